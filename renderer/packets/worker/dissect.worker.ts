/**
 * The Web Worker: loads wiregasm (Wireshark's dissectors in WebAssembly) and hands every
 * message to `WorkerDispatch`. Nothing else lives here, so Node tests exercise the same code.
 */
import {
  compileWiregasmInWorker,
  DissectorHost,
  helperCounts,
  loadWiregasmInWorker,
  SegmentHelpers,
  WorkerDispatch,
  type HelperPort,
  type HelperReply,
  type WorkerMessage,
  type WorkerRequest,
} from '../../../packet/worker.js';
import type { SegmentWorkerInit } from './segment.worker.js';

// The DOM lib is in scope for the whole renderer; the worker only needs these two members.
const scope = self as unknown as {
  postMessage(message: WorkerMessage, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
};

const post = (message: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(message, transfer);
const queue: WorkerRequest[] = [];
let dispatch: WorkerDispatch | null = null;

scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  if (dispatch) dispatch.handle(event.data);
  else queue.push(event.data);
};

/** A segment helper as a nested Web Worker, instantiating the module this worker compiled. */
function spawnHelper(module: WebAssembly.Module): HelperPort {
  const worker = new Worker(new URL('./segment.worker.ts', import.meta.url), { type: 'module', name: 'wirebench-segment-helper' });
  worker.postMessage({ module } satisfies SegmentWorkerInit);
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    onReply: (handler) => worker.addEventListener('message', (event: MessageEvent<HelperReply>) => handler(event.data)),
    onError: (handler) => worker.addEventListener('error', (event) => handler(new Error(event.message || 'segment helper failed'))),
    terminate: () => worker.terminate(),
  };
}

const { helpers: helperCount, listingHelpers } = helperCounts(navigator.hardwareConcurrency || 1);

(async () => {
  const module = await compileWiregasmInWorker();
  const host = new DissectorHost(await loadWiregasmInWorker(module));
  host.warmUp();
  dispatch = new WorkerDispatch(host, post, new SegmentHelpers(() => spawnHelper(module), helperCount), listingHelpers);
  post({ kind: 'ready' });
  for (const request of queue.splice(0)) dispatch.handle(request);
})().catch((err: unknown) => {
  post({ kind: 'failed', error: `the packet dissector could not start: ${(err as Error).message}` });
});
