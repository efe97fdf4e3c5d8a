/**
 * Electron's side of "parse hot events off the page thread": counter ticks do not come through
 * the preload's event channel (parsed on the page thread) but on a MessagePort that the socket
 * worker of browser mode (ws-worker.ts) owns and parses, exactly as it parses the WebSocket's
 * messages. The preload posts that port to the page (`COUNTERS_PORT_MESSAGE`); here it goes on
 * to the worker, and the worker's parsed events join the bridge's.
 */
import type { LabApi } from '../../shared/api.js';
import { COUNTERS_PORT_MESSAGE, labApiOverBridge, type LabBridge } from '../../shared/unwrap-reply.js';
import type { FromWorker, ToWorker } from './ws-worker-protocol.js';
import { withMergedEvents, type EventListeners } from './merged-events.js';

export interface PageWindow {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** The grouped API over the preload's bridge, with counter ticks parsed in a worker. */
export function electronLabApi(bridge: LabBridge, page: PageWindow = window): LabApi {
  const api = labApiOverBridge(bridge);
  if (!bridge.connectCounters) return api;
  const listeners: EventListeners = new Set();
  const worker = new Worker(new URL('./ws-worker.ts', import.meta.url), { type: 'module', name: 'wirebench-events' });
  const toWorker = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    if (e.data.kind !== 'event') return;
    for (const listener of listeners) listener(e.data.event);
  };
  page.addEventListener('message', (e) => {
    const port = e.ports[0];
    // `source === window`: posted by the preload, not by a frame (Electron's main-world-port pattern).
    if (e.source === page && e.data === COUNTERS_PORT_MESSAGE && port) toWorker({ kind: 'events', port }, [port]);
  });
  bridge.connectCounters();
  return withMergedEvents(api, listeners);
}
