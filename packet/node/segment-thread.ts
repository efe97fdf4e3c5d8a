/**
 * A segment helper (packet/core/segment-helpers.ts) as a Node worker thread, for
 * tests and benches: the same `serveSegmentJobs` the Web Worker (renderer/packets/worker/segment.worker.ts) runs.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { serveSegmentJobs, type HelperPort, type HelperReply, type HelperRequest } from '../core/segment-helpers.js';
import { SessionSlot } from '../core/session-slot.js';
import { loadWiregasmNode } from './wiregasm-node.js';

const ROLE = 'wirebench-segment-helper';

/** A helper thread instantiating `module` (compiled once by the viewer's thread). */
export function spawnNodeHelper(module: WebAssembly.Module): HelperPort {
  // Worker threads do not inherit the test runner's TypeScript loader: register tsx's first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { role: ROLE, module } });
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    onReply: (handler) => worker.on('message', (reply: HelperReply) => handler(reply)),
    onError: (handler) => worker.on('error', handler),
    terminate: () => void worker.terminate(),
  };
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === ROLE) {
  const port = parentPort;
  const queue: HelperRequest[] = [];
  let serve: ((request: HelperRequest) => void) | null = null;
  port.on('message', (request: HelperRequest) => (serve ? serve(request) : queue.push(request)));
  try {
    const { module } = workerData as { module: WebAssembly.Module };
    serve = serveSegmentJobs(new SessionSlot(await loadWiregasmNode(module)), (reply, transfer) => port.postMessage(reply, transfer));
    for (const request of queue.splice(0)) serve(request);
  } catch (err) {
    port.postMessage({ kind: 'failed', error: `segment helper could not start: ${(err as Error).message}` } satisfies HelperReply);
  }
}
