/**
 * One connected client of the engine: an Electron window, a browser tab's WebSocket, a CLI on
 * the lab's control socket, or an in-process caller. Broadcast events (VM state, counters, …)
 * go to every listener of `Engine.onEvent`; events meant for one client only (the bytes of a
 * console it opened) go through its own `send`, and the bytes of a capture it started through
 * the `CaptureSink` it opens for that capture (its own channel: binary WebSocket frames, a
 * MessagePort per capture in Electron, lines on the control socket). A transport calls
 * `Engine.disconnectClient` when the client goes away, which ends every subscription it held
 * and stops the captures it started.
 */
import type { LabEvent } from '../../shared/api.js';

/** The pcap stream of one capture, to the client that started it. Neither method may throw. */
export interface CaptureSink {
  /** The next bytes, in order; the first write starts with the pcap file header. */
  write(bytes: Uint8Array): void;
  /** No more bytes will come (called before the `capture.ended` event). */
  end(): void;
}

export interface EngineClient {
  /** Delivers an event to this client alone. Must not throw (a closed client drops it). */
  send(event: LabEvent): void;
  /**
   * Opens this client's channel for the bytes of a capture it started (`nic.capture`,
   * `bridge.capture`). The engine sends nothing on it before the command's reply has gone out.
   * Absent: the client receives no capture bytes (only the `saveTo` file gets them).
   */
  openCapture?(captureId: string): CaptureSink;
}
