/**
 * Turns a transport's raw reply into the command's typed result, or throws the engine's error.
 * Both transports use it, so a reply is parsed with the contract's schema on the receiving
 * side whichever way it travelled.
 */
import { commands, errorFromData, replySchema, WirebenchError, type Channel, type CommandResult } from './api.js';

export function unwrapReply<C extends Channel>(channel: C, raw: unknown): CommandResult<C> {
  const reply = replySchema.safeParse(raw);
  if (!reply.success) throw new WirebenchError('bad-reply', `${channel}: the engine sent a reply this UI cannot read; is the engine the same version as the UI?`);
  if (!reply.data.ok) throw errorFromData(reply.data.error);
  const result = commands[channel].result.safeParse(reply.data.result);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new WirebenchError('bad-reply', `${channel}: unexpected result at ${first?.path.join('.') || 'top level'}: ${first?.message}; the engine and UI versions may differ`);
  }
  return result.data as CommandResult<C>;
}
