/**
 * Messages on the browser-mode WebSocket (`/api`). Both ends parse what they receive with
 * these schemas: the server every client message, the client every server message.
 *
 *   client → server   {type:'hello', token}            first message, always
 *                     {id, channel, params}            a command of shared/api.ts
 *   server → client   {type:'welcome'}                 the token was right
 *                     {id, reply}                      the command's Reply (errors as data)
 *                     {event}                          a LabEvent
 *
 * A wrong or missing token closes the socket with one of the close codes below.
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
