/**
 * Browser-mode transport: the contract over the engine's WebSocket (`/api`). Sends the token
 * first, then numbered requests; every server message is parsed before use.
 */
import { createLabApi, WirebenchError, type Channel, type CommandParams, type CommandResult, type LabApi, type LabEvent } from '../../shared/api.js';
import { serverMessageSchema } from '../../electron/engine/server/ws-protocol.js';
import { unwrapReply } from './unwrap-reply.js';

export type ConnectionStatus = { state: 'open' } | { state: 'closed'; reason: string };

export interface WsConnection {
  api: LabApi;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  close(): void;
}

/** Close codes from ws-protocol.ts, told in words the user can act on. */
function describeClose(code: number, reason: string): string {
  if (code === 4001) return 'the engine refused the token; open the exact URL that "wirebench serve" printed';
  if (code === 4002 || code === 4008) return `the engine closed the session (${reason})`;
  if (code === 1006) return 'lost the connection to the engine; is "wirebench serve" still running?';
  return reason ? `connection closed: ${reason}` : `connection closed (code ${code})`;
}

export function connectWebSocket(url: string, token: string): Promise<WsConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const pending = new Map<number, { channel: Channel; resolve: (value: unknown) => void; reject: (err: Error) => void }>();
    const eventListeners = new Set<(event: LabEvent) => void>();
    const statusListeners = new Set<(status: ConnectionStatus) => void>();
    let nextId = 1;
    let welcomed = false;

    const invoke = <C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>> =>
      new Promise((resolveCall, rejectCall) => {
        if (socket.readyState !== WebSocket.OPEN) {
          rejectCall(new WirebenchError('disconnected', `${channel}: not connected to the engine`, 'reload the page; if that fails, restart "wirebench serve"'));
          return;
        }
        const id = nextId++;
        pending.set(id, { channel, resolve: resolveCall as (value: unknown) => void, reject: rejectCall });
        socket.send(JSON.stringify({ id, channel, params }));
      });

    const onEvent: LabApi['onEvent'] = (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    };

    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'hello', token })));
    socket.addEventListener('message', (message) => {
      let parsed;
      try {
        parsed = serverMessageSchema.safeParse(JSON.parse(String(message.data)));
      } catch {
        return;
      }
      if (!parsed.success) {
        console.warn('wirebench: ignored an unreadable message from the engine', parsed.error.issues[0]);
        return;
      }
      const data = parsed.data;
      if ('type' in data) {
        welcomed = true;
        resolve({
          api: createLabApi(invoke, onEvent),
          onStatus: (listener) => {
            statusListeners.add(listener);
            return () => statusListeners.delete(listener);
          },
          close: () => socket.close(1000, 'page closed'),
        });
        for (const listener of statusListeners) listener({ state: 'open' });
      } else if ('event' in data) {
        // Already checked against labEventSchema as part of serverMessageSchema above.
        for (const listener of eventListeners) listener(data.event);
      } else if (data.id !== null) {
        const call = pending.get(data.id);
        if (!call) return;
        pending.delete(data.id);
        try {
          call.resolve(unwrapReply(call.channel, data.reply));
        } catch (err) {
          call.reject(err as Error);
        }
      } else if (!data.reply.ok) {
        console.warn(`wirebench: the engine refused a message: ${data.reply.error.message}`);
      }
    });
    socket.addEventListener('close', (event) => {
      const reason = describeClose(event.code, event.reason);
      for (const call of pending.values()) call.reject(new WirebenchError('disconnected', `${call.channel}: ${reason}`));
      pending.clear();
      if (!welcomed) reject(new WirebenchError('refused', reason));
      for (const listener of statusListeners) listener({ state: 'closed', reason });
    });
  });
}
