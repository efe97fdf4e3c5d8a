/**
 * Electron's counter ticks off the page thread: the port the preload posts to the page goes
 * to the socket worker (which parses what arrives on it), and the worker's parsed events reach
 * the page's listeners alongside the bridge's own events. Against fake Worker and window.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '../../shared/api.js';
import { COUNTERS_PORT_MESSAGE, type LabBridge } from '../../shared/unwrap-reply.js';
import { electronLabApi, type PageWindow } from './electron-events.js';
import type { FromWorker, ToWorker } from './ws-worker-protocol.js';

class FakeWorker {
  static last: FakeWorker | null = null;
  readonly sent: Array<{ message: ToWorker; transfer: unknown[] }> = [];
  onmessage: ((e: { data: FromWorker }) => void) | null = null;
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(message: ToWorker, transfer: unknown[] = []): void {
    this.sent.push({ message, transfer });
  }
}

beforeEach(() => vi.stubGlobal('Worker', FakeWorker));
afterEach(() => vi.unstubAllGlobals());

function page() {
  let listener: ((e: MessageEvent) => void) | null = null;
  const win: PageWindow & { post(data: unknown, ports: unknown[], source?: unknown): void } = {
    addEventListener: (_type, l) => (listener = l),
    post: (data, ports, source = win) => listener?.({ data, ports, source } as unknown as MessageEvent),
  };
  return win;
}

describe('electronLabApi', () => {
  it('asks for the counter port, hands it to the worker, and merges the worker\'s parsed events with the bridge\'s', () => {
    const bridgeListeners = new Set<(e: LabEvent) => void>();
    const bridge: LabBridge = {
      invoke: async () => ({ ok: true, result: null }),
      onEvent: (l) => {
        bridgeListeners.add(l);
        return () => bridgeListeners.delete(l);
      },
      streamCapture: () => () => {},
      connectCounters: vi.fn(),
    };
    const win = page();
    const api = electronLabApi(bridge, win);
    expect(bridge.connectCounters).toHaveBeenCalledOnce();
    const worker = FakeWorker.last!;
    const port = { fake: 'port' };
    // A frame's message (not the preload's: another source) is ignored.
    win.post(COUNTERS_PORT_MESSAGE, [port], {});
    expect(worker.sent).toEqual([]);
    win.post(COUNTERS_PORT_MESSAGE, [port]);
    expect(worker.sent).toEqual([{ message: { kind: 'events', port }, transfer: [port] }]);
    const seen: LabEvent[] = [];
    const off = api.onEvent((e) => seen.push(e));
    const tick: LabEvent = { type: 'counters.tick', at: 1, nics: [] };
    const state: LabEvent = { type: 'vm.state', vm: 'a', state: 'running', reason: null };
    worker.onmessage!({ data: { kind: 'event', event: tick } });
    bridgeListeners.forEach((l) => l(state));
    expect(seen).toEqual([tick, state]);
    off();
    worker.onmessage!({ data: { kind: 'event', event: tick } });
    expect(seen).toHaveLength(2);
    expect(bridgeListeners.size).toBe(0);
  });
});
