/**
 * The Web Worker entry: what the viewer's workers (renderer/packets/worker/dissect.worker.ts
 * and segment.worker.ts) use. Nothing here imports `node:` modules; the Node counterpart of
 * this file is packet/node.ts.
 */
export { DissectorHost } from './core/dissector-host.js';
export { helperCounts, SegmentHelpers, serveSegmentJobs, type HelperPort, type HelperReply, type HelperRequest } from './core/segment-helpers.js';
export { SessionSlot } from './core/session-slot.js';
export { WorkerDispatch } from './core/worker-dispatch.js';
export type { WorkerMessage, WorkerRequest } from './core/worker-protocol.js';
export { compileWiregasmInWorker, loadWiregasmInWorker } from './worker/load-wiregasm.js';
