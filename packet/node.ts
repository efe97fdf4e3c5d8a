/**
 * The Node entry: what tests, benches and the engine's test support use to dissect in Node
 * (the same DissectorHost and worker code the app runs in its Web Worker; only how wiregasm
 * is loaded differs). The only part of packet/ that may import `node:` modules is this file
 * and packet/node/.
 */
export { DissectorHost } from './core/dissector-host.js';
export { parseCaptureFile, PcapFormatError, PcapStreamReader, writePcap, writePcapng, type PcapRecord } from './core/pcap-format.js';
export { helperCounts, SegmentHelpers, serveSegmentJobs, type HelperPort, type HelperReply, type HelperRequest } from './core/segment-helpers.js';
export { SessionSlot } from './core/session-slot.js';
export { udpRecords } from './core/synthetic-udp.js';
export { WorkerDispatch } from './core/worker-dispatch.js';
export type { CaptureStats, TreeNode } from './core/viewer-types.js';
export type { CallName, WorkerCalls, WorkerMessage, WorkerRequest } from './core/worker-protocol.js';
export { compileWiregasmNode, loadWiregasmNode } from './node/wiregasm-node.js';
export { startDissectThread, type DissectThread } from './node/dissect-thread.js';
export { spawnNodeHelper } from './node/segment-thread.js';
