/** What every operation may use: who it works for, the per-namespace queue, captures, events. */
import type { InvokingUser } from './invoking-user.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { CaptureManager } from './ops/capture.js';

export interface CaptureEndedEvent {
  event: 'capture.ended';
  captureId: string;
  packetsCaptured: number | null;
  kernelDrops: number | null;
}

export interface HelperContext {
  user: InvokingUser;
  queue: KeyedQueue;
  captures: CaptureManager;
  /** Writes an unsolicited event line to stdout. */
  emit(event: CaptureEndedEvent): void;
  /** Diagnostics for the engine's log (stderr; stdout is the protocol). */
  log(message: string): void;
}
