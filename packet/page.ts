/**
 * The page's entry (the React viewer on the UI thread, renderer/packets/): only the types and
 * constants it shares with the dissection worker. No wiregasm here: dissection never runs on
 * the page thread, so nothing of it is bundled into the page.
 *
 * packet/ is the packet-format and dissection code both sides run:
 *   core/    neither DOM nor Node (pcap files, wiregasm sessions, the worker protocol)
 *   worker/  Web Worker side: loads wiregasm from URLs Vite emits        → packet/worker.ts
 *   node/    Node side: loads wiregasm from node_modules, Node threads   → packet/node.ts
 */
export { DEFAULT_RING } from './core/viewer-types.js';
export type { CaptureStats, FieldCompletion, FilterCheck, FollowResult, FrameDetails, PacketRow, RingLimit, TreeNode } from './core/viewer-types.js';
export type { CallName, WorkerCalls, WorkerMessage, WorkerRequest } from './core/worker-protocol.js';
