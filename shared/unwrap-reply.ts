/**
 * Turns a transport's raw reply into the command's typed result, or throws the engine's error.
 * Both transports use it, so a reply is parsed with the contract's schema on the receiving
 * side whichever way it travelled.
 */
import { commands, createLabApi, errorFromData, replySchema, WirebenchError, type Channel, type CommandResult, type LabApi, type LabEvent, type StreamCapture } from './api.js';

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

/**
 * What Electron's preload exposes as `window.wirebench`: the contract's one door, with the
 * channel checked and the params parsed by the contract before anything crosses IPC. Replies
 * cross contextBridge as data and never as a rejection, because an Error thrown across
 * contextBridge keeps only its message: the code and the hint ("what to do") would be lost.
 * The page turns replies into results or `WirebenchError`s with `labApiOverBridge`.
 */
export interface LabBridge {
  /** Resolves to the reply envelope (`{ ok, result }` or `{ ok: false, error }`); never rejects. */
  invoke(channel: Channel, params: unknown): Promise<unknown>;
  onEvent(listener: (event: LabEvent) => void): () => void;
  /** The bytes of a capture this window started, from its own MessagePort (`LabApi.capture.stream`). */
  streamCapture?: StreamCapture;
  /**
   * Asks for counter ticks on a MessagePort of their own: the preload posts it to the page
   * (`window.postMessage(COUNTERS_PORT_MESSAGE, '*', [port])`), which hands it to its worker;
   * from then on ticks no longer come through `onEvent`.
   */
  connectCounters?(): void;
}

/** The message the preload posts to the page with the counter-tick port. */
export const COUNTERS_PORT_MESSAGE = 'wirebench:counters-port';

/** The grouped `LabApi` over the preload's bridge: same methods and errors as browser mode. */
export function labApiOverBridge(bridge: LabBridge): LabApi {
  return createLabApi(
    async (channel, params) => unwrapReply(channel, await bridge.invoke(channel, params)),
    (listener) => bridge.onEvent(listener),
    bridge.streamCapture ? (captureId, sink) => bridge.streamCapture!(captureId, sink) : undefined,
  );
}
