/**
 * An engine client that records the bytes of the captures it starts (its own capture channel,
 * as a window or a socket would receive them), for tests that call the engine in process:
 * `engine.invoke('nic.capture', params, recorder.client)`.
 */
import type { LabEvent } from '../../../shared/api.js';
import type { EngineClient } from '../engine-client.js';

export interface CaptureRecorder {
  client: EngineClient;
  /** Every chunk of one capture, in order. */
  chunks(captureId: string): Buffer[];
  /** All bytes of one capture. */
  bytes(captureId: string): Buffer;
  /** Whether the capture's stream ended. */
  ended(captureId: string): boolean;
  /** Targeted events this client received. */
  events: LabEvent[];
  /** Told of each chunk as it arrives. */
  onData(listener: (captureId: string, bytes: Uint8Array) => void): () => void;
}

/** `keep: false`: only `onData` listeners see the bytes (long runs that must not hold them all). */
export function captureRecorder(options: { keep?: boolean } = {}): CaptureRecorder {
  const keep = options.keep ?? true;
  const streams = new Map<string, { chunks: Buffer[]; ended: boolean }>();
  const listeners = new Set<(captureId: string, bytes: Uint8Array) => void>();
  const events: LabEvent[] = [];
  const client: EngineClient = {
    send: (event) => events.push(event),
    openCapture: (captureId) => {
      const stream = { chunks: [] as Buffer[], ended: false };
      streams.set(captureId, stream);
      return {
        write: (bytes) => {
          if (keep) stream.chunks.push(Buffer.from(bytes));
          for (const listener of listeners) listener(captureId, bytes);
        },
        end: () => {
          stream.ended = true;
        },
      };
    },
  };
  return {
    client,
    events,
    chunks: (captureId) => streams.get(captureId)?.chunks ?? [],
    bytes: (captureId) => Buffer.concat(streams.get(captureId)?.chunks ?? []),
    ended: (captureId) => streams.get(captureId)?.ended ?? false,
    onData: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
