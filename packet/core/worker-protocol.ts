/**
 * Messages between the UI and the dissection worker. Requests carry an id and get exactly one
 * reply; `stats` messages are pushed by the worker whenever a capture's numbers change.
 */
import type { CaptureStats, FieldCompletion, FilterCheck, FollowResult, FrameDetails, PacketRow, RingLimit } from './viewer-types.js';

export interface WorkerCalls {
  openLive: { args: { id: string; ring?: RingLimit }; result: null };
  push: { args: { id: string; bytes: Uint8Array }; result: null };
  openFile: { args: { id: string; bytes: Uint8Array; ring?: RingLimit }; result: CaptureStats };
  rows: { args: { id: string; start: number; count: number }; result: PacketRow[] };
  rowOf: { args: { id: string; number: number }; result: number };
  frame: { args: { id: string; number: number }; result: FrameDetails | null };
  follow: { args: { id: string; protocol: 'TCP' | 'UDP'; number: number }; result: FollowResult };
  setFilter: { args: { id: string; filter: string }; result: FilterCheck };
  checkFilter: { args: { filter: string }; result: FilterCheck };
  complete: { args: { text: string }; result: FieldCompletion[] };
  setRing: { args: { id: string; ring: RingLimit }; result: null };
  exportPcapng: { args: { id: string }; result: Uint8Array };
  clear: { args: { id: string }; result: null };
  close: { args: { id: string }; result: null };
}

export type CallName = keyof WorkerCalls;

export type WorkerRequest = { [K in CallName]: { seq: number; call: K; args: WorkerCalls[K]['args'] } }[CallName];

export type WorkerMessage =
  | { kind: 'reply'; seq: number; ok: true; result: unknown }
  | { kind: 'reply'; seq: number; ok: false; error: string }
  | { kind: 'stats'; stats: Record<string, CaptureStats> }
  | { kind: 'ready' }
  | { kind: 'failed'; error: string };
