/**
 * Messages between the page and the WebSocket worker (ws-worker.ts). In Electron the same
 * worker parses the counter ticks main sends on a MessagePort (`events`).
 */
import type { LabEvent, Reply } from '../../shared/api.js';

export type ToWorker =
  | { kind: 'connect'; url: string; token: string }
  | { kind: 'send'; text: string }
  /** Server messages (JSON text, as on the socket) arrive on this port: parse them like the socket's. */
  | { kind: 'events'; port: MessagePort }
  | { kind: 'close' };

export type FromWorker =
  | { kind: 'welcome' }
  | { kind: 'reply'; id: number; reply: Reply }
  | { kind: 'event'; event: LabEvent }
  /** Bytes of a capture this socket started (a binary frame; the buffer is transferred). */
  | { kind: 'capture'; captureId: string; bytes: Uint8Array }
  /** The engine refused a message it could not tie to a request (no id). */
  | { kind: 'refused'; message: string }
  | { kind: 'closed'; code: number; reason: string };
