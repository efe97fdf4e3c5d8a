import { describe, expect, it, vi } from 'vitest';
import type { LabEvent, Reply } from '../../shared/api.js';
import { registerEngineIpc } from './ipc-bridge.js';
import { rendererEntry } from './app-url.js';
import { CAPTURE_PORT_CHANNEL, COUNTERS_PORT_CHANNEL, EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels.js';
import type { EngineClient } from '../engine/engine-client.js';

/** Electron's MessageChannelMain, mocked: each end records what is posted on it and whether it closed. */
const { FakeMessageChannelMain } = vi.hoisted(() => {
  class FakePort {
    readonly posted: unknown[] = [];
    closed = false;
    postMessage(message: unknown): void {
      if (this.closed) throw new Error('posted on a closed port');
      this.posted.push(message);
    }
    close(): void {
      this.closed = true;
    }
  }
  class FakeMessageChannelMain {
    static made: FakeMessageChannelMain[] = [];
    readonly port1 = new FakePort();
    readonly port2 = new FakePort();
    constructor() {
      FakeMessageChannelMain.made.push(this);
    }
  }
  return { FakeMessageChannelMain };
});

vi.mock('electron', () => ({ MessageChannelMain: FakeMessageChannelMain }));

type Handler = (event: { senderFrame: { url: string; parent: unknown } | null; sender: unknown }, channel: unknown, params: unknown) => Promise<Reply>;

function setup() {
  const entry = rendererEntry('/opt/wirebench/out/main', undefined);
  let handler: Handler | null = null;
  const onListeners = new Map<string, (event: unknown) => void>();
  const ipcMain = {
    handle: vi.fn((_name: string, h: Handler) => (handler = h)),
    removeHandler: vi.fn(),
    on: vi.fn((name: string, l: (event: unknown) => void) => onListeners.set(name, l)),
    removeListener: vi.fn((name: string) => onListeners.delete(name)),
  };
  const listeners = new Set<(e: LabEvent) => void>();
  const engine = {
    dispatch: vi.fn(async (_channel: unknown, _params: unknown, _client: EngineClient): Promise<Reply> => ({ ok: true, result: null })),
    disconnectClient: vi.fn((_client: EngineClient) => {}),
    onEvent: (l: (e: LabEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const destroyed: Array<() => void> = [];
  const contents = { send: vi.fn(), postMessage: vi.fn(), isDestroyed: () => false, getURL: () => entry.url, once: vi.fn((_name: string, f: () => void) => destroyed.push(f)) };
  const stop = registerEngineIpc({ ipcMain: ipcMain as never, engine, isAppUrl: entry.isAppUrl, targets: () => [contents as never] });
  return { entry, ipcMain, onListeners, engine, contents, listeners, stop, call: (frame: { url: string; parent: unknown } | null, channel: unknown, params: unknown) => handler!({ senderFrame: frame, sender: contents }, channel, params), destroy: () => destroyed.forEach((f) => f()) };
}

describe('IPC sender check and parsing', () => {
  it('registers exactly one invoke channel', () => {
    const { ipcMain } = setup();
    expect(ipcMain.handle).toHaveBeenCalledTimes(1);
    expect(ipcMain.handle.mock.calls[0]![0]).toBe(INVOKE_CHANNEL);
  });

  it('refuses a foreign frame without reaching the engine', async () => {
    const { call, engine } = setup();
    const reply = await call({ url: 'https://evil.example/', parent: null }, 'lab.current', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(engine.dispatch).not.toHaveBeenCalled();
  });

  it('refuses our own page loaded in a subframe, and a missing frame', async () => {
    const { call, engine, entry } = setup();
    expect(await call({ url: entry.url, parent: {} }, 'lab.current', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(null, 'lab.current', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(engine.dispatch).not.toHaveBeenCalled();
  });

  it('refuses an unknown command name before the engine sees it', async () => {
    const { call, engine, entry } = setup();
    expect(await call({ url: entry.url, parent: null }, 'fs.readFile', { path: '/etc/shadow' })).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
    expect(engine.dispatch).not.toHaveBeenCalled();
  });

  it('hands a trusted call to the engine, which parses the params', async () => {
    const { call, engine, entry } = setup();
    await call({ url: `${entry.url}?x=1`, parent: null }, 'lab.open', { path: '/tmp/a.lab.json' });
    expect(engine.dispatch).toHaveBeenCalledWith('lab.open', { path: '/tmp/a.lab.json' }, expect.anything());
  });

  it('makes each window one engine client: its targeted events reach it alone, and its close ends its subscriptions', async () => {
    const { call, engine, entry, contents, destroy } = setup();
    await call({ url: entry.url, parent: null }, 'console.open', { vm: 'a' });
    await call({ url: entry.url, parent: null }, 'console.write', { vm: 'a', data: 'x' });
    const clients = engine.dispatch.mock.calls.map((c) => c[2]);
    expect(clients[0]).toBe(clients[1]);
    const data: LabEvent = { type: 'console.data', vm: 'a', data: 'hello' };
    clients[0]!.send(data);
    expect(contents.send).toHaveBeenCalledWith(EVENT_CHANNEL, data);
    destroy();
    expect(engine.disconnectClient).toHaveBeenCalledWith(clients[0]);
  });

  it('forwards engine events on the event channel and stops on unregister', () => {
    const { listeners, contents, stop, ipcMain } = setup();
    const event: LabEvent = { type: 'vm.state', vm: 'a', state: 'running', reason: null };
    listeners.forEach((l) => l(event));
    expect(contents.send).toHaveBeenCalledWith(EVENT_CHANNEL, event);
    stop();
    expect(listeners.size).toBe(0);
    expect(ipcMain.removeHandler).toHaveBeenCalledWith(INVOKE_CHANNEL);
  });

  it('streams a capture the window started on a MessagePort of its own, posted to that window alone', async () => {
    const { call, engine, entry, contents, listeners } = setup();
    await call({ url: entry.url, parent: null }, 'nic.capture', { nic: { vm: 'a', bridge: 'lan' }, options: {} });
    const client = engine.dispatch.mock.calls[0]![2];
    FakeMessageChannelMain.made = [];
    const sink = client.openCapture!('cap-7');
    const [channel] = FakeMessageChannelMain.made;
    // One end goes to the window (webContents.postMessage), named by its capture id.
    expect(contents.postMessage).toHaveBeenCalledWith(CAPTURE_PORT_CHANNEL, { captureId: 'cap-7' }, [channel!.port2]);
    const pooled = Buffer.from('..pcap-bytes..');
    sink.write(pooled.subarray(2, 12));
    sink.write(new Uint8Array([1, 2, 3]));
    sink.end();
    // The bytes arrive through the port, in order, each a copy of just its bytes; then the end, and the port closes.
    expect(channel!.port1.posted).toEqual([new Uint8Array(Buffer.from('pcap-bytes')), new Uint8Array([1, 2, 3]), null]);
    expect((channel!.port1.posted[0] as Uint8Array).buffer.byteLength).toBe(10);
    expect(channel!.port1.closed).toBe(true);
    // Never on the event channel, and nothing for the broadcast listeners.
    expect(contents.send).not.toHaveBeenCalled();
    expect(listeners.size).toBe(1);
    sink.write(new Uint8Array([4]));
    expect(channel!.port1.posted).toHaveLength(3);
  });

  it('sends counter ticks on the port the window asked for (its worker parses them), other events on the event channel', () => {
    const { onListeners, listeners, contents, entry, stop } = setup();
    const tick: LabEvent = { type: 'counters.tick', at: 1, nics: [] };
    listeners.forEach((l) => l(tick));
    // Before the window asks: the event channel, as before.
    expect(contents.send).toHaveBeenCalledWith(EVENT_CHANNEL, tick);
    contents.send.mockClear();
    FakeMessageChannelMain.made = [];
    // A foreign frame gets no port.
    onListeners.get(COUNTERS_PORT_CHANNEL)!({ senderFrame: { url: 'https://evil.example/', parent: null }, sender: contents });
    expect(FakeMessageChannelMain.made).toHaveLength(0);
    onListeners.get(COUNTERS_PORT_CHANNEL)!({ senderFrame: { url: entry.url, parent: null }, sender: contents });
    const [channel] = FakeMessageChannelMain.made;
    expect(contents.postMessage).toHaveBeenCalledWith(COUNTERS_PORT_CHANNEL, null, [channel!.port2]);
    listeners.forEach((l) => l(tick));
    const state: LabEvent = { type: 'vm.state', vm: 'a', state: 'running', reason: null };
    listeners.forEach((l) => l(state));
    expect(channel!.port1.posted).toEqual([JSON.stringify({ event: tick })]);
    expect(contents.send.mock.calls).toEqual([[EVENT_CHANNEL, state]]);
    // A reload asks again: the old port is closed, ticks go on the new one.
    onListeners.get(COUNTERS_PORT_CHANNEL)!({ senderFrame: { url: entry.url, parent: null }, sender: contents });
    expect(channel!.port1.closed).toBe(true);
    listeners.forEach((l) => l(tick));
    expect(FakeMessageChannelMain.made[1]!.port1.posted).toHaveLength(1);
    stop();
    expect(onListeners.has(COUNTERS_PORT_CHANNEL)).toBe(false);
  });
});
