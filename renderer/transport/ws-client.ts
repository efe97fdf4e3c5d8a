/**
 * Browser-mode transport: the contract over the engine's WebSocket (`/api`). Sends the token
 * first, then numbered requests (matched to their replies by shared/correlator.ts). The socket lives in a worker (ws-worker.ts) that parses every
 * server message with the contract's schemas before the page sees it; replies are unwrapped
 * against their command's result schema here. A capture's bytes (binary frames, only for the
 * captures this page started, only after the reply naming them) go to its `capture.stream`
 * sink; the socket's `capture.ended` ends that stream.
 */
import { createLabApi, WirebenchError, type CaptureStreamSink, type Channel, type CommandParams, type CommandResult, type LabApi, type LabEvent, type Reply } from '../../shared/api.js';
import { Correlator } from '../../shared/correlator.js';
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
    // Commands waiting for their reply (no deadline: the engine answers or the socket closes).
    const calls = new Correlator<Channel, number, Reply>();
    const eventListeners = new Set<(event: LabEvent) => void>();
    const captureSinks = new Map<string, CaptureStreamSink>();
    const statusListeners = new Set<(status: ConnectionStatus) => void>();
    let open = false;
    const notConnected = (channel: Channel) => new WirebenchError('disconnected', `${channel}: not connected to the engine`, 'reload the page; if that fails, restart "wirebench serve"');

    const invoke = <C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>> =>
      calls.request<CommandResult<C>>(channel, (id) => {
        if (!open) throw notConnected(channel);
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
            api: createLabApi(invoke, onEvent, (captureId, sink) => {
              captureSinks.set(captureId, sink);
              return () => {
                if (captureSinks.get(captureId) === sink) captureSinks.delete(captureId);
              };
            }),
            onStatus: (listener) => {
              statusListeners.add(listener);
              return () => statusListeners.delete(listener);
            },
            close: () => toWorker({ kind: 'close' }),
          });
          for (const listener of statusListeners) listener({ state: 'open' });
          break;
        case 'event':
          if (message.event.type === 'capture.ended') {
            // On the one ordered socket every byte of the capture came before this.
            captureSinks.get(message.event.captureId)?.end();
            captureSinks.delete(message.event.captureId);
          }
          for (const listener of eventListeners) listener(message.event);
          break;
        case 'capture':
          // Bytes of a capture nobody streams (its viewer closed) are dropped.
          captureSinks.get(message.captureId)?.data(message.bytes);
          break;
        case 'reply':
          calls.answer(message.id, message.reply, (reply, channel) => unwrapReply(channel, reply));
          break;
        case 'refused':
          console.warn(`wirebench: the engine refused a message: ${message.message}`);
          break;
        case 'closed': {
          const wasOpen = open;
          open = false;
          const reason = describeClose(message.code, message.reason);
          calls.close((channel) => new WirebenchError('disconnected', `${channel}: ${reason}`), notConnected);
          for (const sink of captureSinks.values()) sink.end();
          captureSinks.clear();
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
