/** Messages between the page and the WebSocket worker (ws-worker.ts). */
import type { LabEvent, Reply } from '../../shared/api.js';

export type ToWorker =
  | { kind: 'connect'; url: string; token: string }
  | { kind: 'send'; text: string }
  | { kind: 'close' };

export type FromWorker =
  | { kind: 'welcome' }
  | { kind: 'reply'; id: number; reply: Reply }
  | { kind: 'event'; event: LabEvent }
  /** The engine refused a message it could not tie to a request (no id). */
  | { kind: 'refused'; message: string }
  | { kind: 'closed'; code: number; reason: string };
