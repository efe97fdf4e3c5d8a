/**
 * One connected client of the engine: an Electron window, a browser tab's WebSocket, a CLI on
 * the lab's control socket, or an in-process caller. Broadcast events (VM state, counters, …)
 * go to every listener of `Engine.onEvent`; events meant for one client only (the bytes of a
 * console it opened) go through its own `send`. A transport calls `Engine.disconnectClient`
 * when the client goes away, which ends every subscription it held.
 */
import type { LabEvent } from '../../shared/api.js';

export interface EngineClient {
  /** Delivers an event to this client alone. Must not throw (a closed client drops it). */
  send(event: LabEvent): void;
}
