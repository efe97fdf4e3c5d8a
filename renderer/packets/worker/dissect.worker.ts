/**
 * The Web Worker: loads wiregasm (Wireshark's dissectors in WebAssembly) and hands every
 * message to `WorkerDispatch`. Nothing else lives here, so Node tests exercise the same code.
 */
import type { WiregasmLoader } from '@goodtools/wiregasm';
import loadWiregasm from '@goodtools/wiregasm/dist/wiregasm.js';
import wasmUrl from '@goodtools/wiregasm/dist/wiregasm.wasm?url';
import dataUrl from '@goodtools/wiregasm/dist/wiregasm.data?url';
import { DissectorHost } from '../core/dissector-host.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';
import { WorkerDispatch } from './worker-dispatch.js';

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

(async () => {
  const lib = await (loadWiregasm as unknown as WiregasmLoader)({
    locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : path.endsWith('.data') ? dataUrl : prefix + path),
    print: () => undefined,
    printErr: () => undefined,
    handleStatus: () => undefined,
  });
  if (!lib.init()) throw new Error('wiregasm failed to register its dissectors');
  const host = new DissectorHost(lib);
  host.warmUp();
  dispatch = new WorkerDispatch(host, post);
  post({ kind: 'ready' });
  for (const request of queue.splice(0)) dispatch.handle(request);
})().catch((err: unknown) => {
  post({ kind: 'failed', error: `the packet dissector could not start: ${(err as Error).message}` });
});
