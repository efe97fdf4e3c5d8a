/**
 * Browser-mode transport: the contract over the engine's WebSocket (`/api`). Sends the token
 * first, then numbered requests. The socket lives in a worker (ws-worker.ts) that parses every
 * server message with the contract's schemas before the page sees it; replies are unwrapped
 * against their command's result schema here.
 */
import { createLabApi, WirebenchError, type Channel, type CommandParams, type CommandResult, type LabApi, type LabEvent } from '../../shared/api.js';
import { unwrapReply } from '../../shared/unwrap-reply.js';
import type { FromWorker, ToWorker } from './ws-worker-protocol.js';

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
    const worker = new Worker(new URL('./ws-worker.ts', import.meta.url), { type: 'module', name: 'wirebench-socket' });
    const toWorker = (message: ToWorker) => worker.postMessage(message);
    const pending = new Map<number, { channel: Channel; resolve: (value: unknown) => void; reject: (err: Error) => void }>();
    const eventListeners = new Set<(event: LabEvent) => void>();
    const statusListeners = new Set<(status: ConnectionStatus) => void>();
    let nextId = 1;
    let open = false;

    const invoke = <C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>> =>
      new Promise((resolveCall, rejectCall) => {
        if (!open) {
          rejectCall(new WirebenchError('disconnected', `${channel}: not connected to the engine`, 'reload the page; if that fails, restart "wirebench serve"'));
          return;
        }
        const id = nextId++;
        pending.set(id, { channel, resolve: resolveCall as (value: unknown) => void, reject: rejectCall });
        toWorker({ kind: 'send', text: JSON.stringify({ id, channel, params }) });
      });

    const onEvent: LabApi['onEvent'] = (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    };

    worker.onerror = (e) => {
      e.preventDefault();
      const reason = `the connection worker failed: ${e.message || 'could not load'}; reload the page`;
      if (!open) reject(new WirebenchError('refused', reason));
      for (const listener of statusListeners) listener({ state: 'closed', reason });
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const message = e.data;
      switch (message.kind) {
        case 'welcome':
          open = true;
          resolve({
            api: createLabApi(invoke, onEvent),
            onStatus: (listener) => {
              statusListeners.add(listener);
              return () => statusListeners.delete(listener);
            },
            close: () => toWorker({ kind: 'close' }),
          });
          for (const listener of statusListeners) listener({ state: 'open' });
          break;
        case 'event':
          for (const listener of eventListeners) listener(message.event);
          break;
        case 'reply': {
          const call = pending.get(message.id);
          if (!call) return;
          pending.delete(message.id);
          try {
            call.resolve(unwrapReply(call.channel, message.reply));
          } catch (err) {
            call.reject(err as Error);
          }
          break;
        }
        case 'refused':
          console.warn(`wirebench: the engine refused a message: ${message.message}`);
          break;
        case 'closed': {
          const wasOpen = open;
          open = false;
          const reason = describeClose(message.code, message.reason);
          for (const call of pending.values()) call.reject(new WirebenchError('disconnected', `${call.channel}: ${reason}`));
          pending.clear();
          if (!wasOpen) reject(new WirebenchError('refused', reason));
          for (const listener of statusListeners) listener({ state: 'closed', reason });
          worker.terminate();
          break;
        }
      }
    };
    toWorker({ kind: 'connect', url, token });
  });
}
