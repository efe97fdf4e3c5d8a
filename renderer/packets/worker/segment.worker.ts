/**
 * A segment helper (see packet/core/segment-helpers.ts): its own wiregasm instance, started by the
 * viewer's worker when a big capture needs filtering or listing, answering one job at a time.
 * Its first message is the WebAssembly module the viewer's worker already compiled.
 */
import { loadWiregasmInWorker, serveSegmentJobs, SessionSlot, type HelperReply, type HelperRequest } from '../../../packet/worker.js';

export interface SegmentWorkerInit {
  module: WebAssembly.Module;
}

const scope = self as unknown as {
  postMessage(message: HelperReply, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<HelperRequest | SegmentWorkerInit>) => void) | null;
};
const queue: HelperRequest[] = [];
let serve: ((request: HelperRequest) => void) | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if ('module' in message) return void start(message.module);
  if (serve) serve(message);
  else queue.push(message);
};

function start(module: WebAssembly.Module): void {
  loadWiregasmInWorker(module)
    .then((lib) => {
      serve = serveSegmentJobs(new SessionSlot(lib), (reply, transfer) => scope.postMessage(reply, transfer));
      for (const request of queue.splice(0)) serve(request);
    })
    .catch((err: unknown) => scope.postMessage({ kind: 'failed', error: `segment helper could not start: ${(err as Error).message}` }, []));
}
