/**
 * Messages on the browser-mode WebSocket (`/api`). Both ends parse what they receive with
 * these schemas: the server every client message, the client every server message.
 *
 *   client → server   {type:'hello', token}            first message, always
 *                     {id, channel, params}            a command of shared/api.ts
 *   server → client   {type:'welcome'}                 the token was right
 *                     {id, reply}                      the command's Reply (errors as data)
 *                     {event}                          a LabEvent
 *                     binary frame                     bytes of a capture this socket started
 *                                                      (encodeCaptureFrame: header, then pcap)
 *
 * Commands, replies and events are JSON text frames; a capture's bytes are binary frames, sent
 * only to the socket that started it and only after the reply naming it. A wrong or missing
 * token closes the socket with one of the close codes below.
 *
 * The lab's control socket (electron/engine/server/control-socket.ts) carries the same
 * messages as JSON lines, with a capture's bytes as `{capture, data}` lines (base64), to the
 * connection that started it.
 */
import { z } from 'zod';
import { labEventSchema, replySchema } from './api.js';

/** Largest message either side accepts; a lab document of 500 VMs is well under 200 KiB. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export const CLOSE_BAD_TOKEN = 4001;
export const CLOSE_HELLO_EXPECTED = 4002;
export const CLOSE_HELLO_TIMEOUT = 4008;

export const helloSchema = z.strictObject({ type: z.literal('hello'), token: z.string().min(1).max(256) });

export const requestSchema = z.strictObject({
  id: z.number().int().nonnegative(),
  channel: z.string().min(1).max(64),
  params: z.unknown(),
});
export type WsRequest = z.infer<typeof requestSchema>;

export const serverMessageSchema = z.union([
  z.strictObject({ type: z.literal('welcome') }),
  /** `id` is null when the message that failed could not be read far enough to find its id. */
  z.strictObject({ id: z.number().int().nonnegative().nullable(), reply: replySchema }),
  z.strictObject({ event: labEventSchema }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** The control socket's line for a capture's bytes (base64), to the connection that started it. */
export const captureLineSchema = z.strictObject({ capture: z.string().min(1).max(64), data: z.string() });
export type CaptureLine = z.infer<typeof captureLineSchema>;

/** What the control socket's client reads: the WebSocket's messages, plus capture lines. */
export const controlMessageSchema = z.union([serverMessageSchema, captureLineSchema]);

/**
 * A capture's binary WebSocket frame: byte 0 is the frame kind (1: capture bytes), byte 1 the
 * length N of the capture id (ASCII, 1–255 bytes), bytes 2…N+1 the id, then the pcap bytes.
 */
export const CAPTURE_FRAME = 1;

export function encodeCaptureFrame(captureId: string, bytes: Uint8Array): Uint8Array {
  const n = captureId.length;
  if (n < 1 || n > 255 || !/^[\x20-\x7e]+$/.test(captureId)) throw new Error(`capture id ${JSON.stringify(captureId)} cannot go in a frame header`);
  const frame = new Uint8Array(2 + n + bytes.length);
  frame[0] = CAPTURE_FRAME;
  frame[1] = n;
  for (let i = 0; i < n; i++) frame[2 + i] = captureId.charCodeAt(i);
  frame.set(bytes, 2 + n);
  return frame;
}

/** The capture id and bytes of a binary frame (a view, no copy), or null if it is not a capture frame. */
export function decodeCaptureFrame(frame: Uint8Array): { captureId: string; bytes: Uint8Array } | null {
  if (frame.length < 3 || frame[0] !== CAPTURE_FRAME) return null;
  const n = frame[1]!;
  if (n < 1 || frame.length < 2 + n) return null;
  let captureId = '';
  for (let i = 0; i < n; i++) captureId += String.fromCharCode(frame[2 + i]!);
  return { captureId, bytes: frame.subarray(2 + n) };
}
