/**
 * The Electron transport's hot paths end to end against a mocked `electron`, with real
 * MessageChannels (Node's, standing in for MessageChannelMain in main and the DOM's in the
 * renderer): main's engine client opens a capture → one port goes to the window that started
 * it → the preload hands its bytes to the page's sink, in order, then the end; the window's
 * counter ticks travel on a port that the preload posts to the page (for its worker).
 */
import { describe, expect, it, vi } from 'vitest';
import type { LabEvent, Reply } from '../../shared/api.js';
import { COUNTERS_PORT_MESSAGE } from '../../shared/unwrap-reply.js';
import type { EngineClient } from '../engine/engine-client.js';
import { rendererEntry } from '../main/app-url.js';
import { registerEngineIpc } from '../main/ipc-bridge.js';
import { buildPreloadApis } from './preload-api.js';

vi.mock('electron', () => ({ MessageChannelMain: MessageChannel }));

type OnHandler = (event: { ports?: unknown[]; senderFrame?: unknown; sender?: unknown }, ...args: unknown[]) => void;

/** One window: main's side (registerEngineIpc) and its preload (buildPreloadApis), wired through fakes of ipcMain/ipcRenderer/webContents. */
function electronWindow() {
  const entry = rendererEntry('/opt/wirebench/out/main', undefined);
  const rendererHandlers = new Map<string, OnHandler[]>();
  const mainHandlers = new Map<string, OnHandler>();
  let invokeHandler: ((event: unknown, channel: unknown, params: unknown) => Promise<Reply>) | null = null;
  const frame = { url: entry.url, parent: null };
  const deliver = (channel: string, event: { ports?: unknown[] }, ...args: unknown[]) => rendererHandlers.get(channel)?.forEach((h) => h(event, ...args));
  const contents = {
    send: vi.fn((channel: string, value: unknown) => deliver(channel, {}, value)),
    postMessage: vi.fn((channel: string, message: unknown, ports: unknown[]) => deliver(channel, { ports }, message)),
    isDestroyed: () => false,
    getURL: () => entry.url,
    once: vi.fn(),
  };
  const clients: EngineClient[] = [];
  const broadcast = new Set<(event: LabEvent) => void>();
  const engine = {
    dispatch: vi.fn(async (_channel: unknown, _params: unknown, client: EngineClient): Promise<Reply> => {
      clients.push(client);
      return { ok: true, result: { captureId: 'cap-1', title: 'a/eth0 (lan)' } };
    }),
    disconnectClient: vi.fn(),
    onEvent: (l: (event: LabEvent) => void) => {
      broadcast.add(l);
      return () => broadcast.delete(l);
    },
  };
  registerEngineIpc({
    ipcMain: {
      handle: (_name: string, h: never) => (invokeHandler = h),
      removeHandler: vi.fn(),
      on: (name: string, h: OnHandler) => mainHandlers.set(name, h),
      removeListener: vi.fn(),
    } as never,
    engine,
    isAppUrl: entry.isAppUrl,
    targets: () => [contents as never],
  });
  const ipcRenderer = {
    invoke: async (_channel: string, command: unknown, params: unknown) => invokeHandler!({ senderFrame: frame, sender: contents }, command, params),
    on: (channel: string, h: OnHandler) => rendererHandlers.set(channel, [...(rendererHandlers.get(channel) ?? []), h]),
    removeListener: vi.fn(),
    send: (channel: string) => mainHandlers.get(channel)?.({ senderFrame: frame, sender: contents }),
  };
  const posted: Array<{ message: unknown; ports: unknown[] }> = [];
  const { api } = buildPreloadApis(ipcRenderer as never, (message, ports) => posted.push({ message, ports }));
  return { api, clients, contents, broadcast, posted };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('Electron transport: a MessagePort per capture, and one for counter ticks', () => {
  it('delivers a capture\'s bytes through its MessagePort to the page, in order, then the end', async () => {
    const { api, clients, contents } = electronWindow();
    await api.invoke('nic.capture', { nic: { vm: 'a', bridge: 'lan' }, options: {} });
    const sink = clients[0]!.openCapture!('cap-1');
    // Bytes the engine sends before the page subscribes wait in the port (nothing buffers them here).
    sink.write(new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1]));
    const received: number[][] = [];
    let ended = false;
    api.streamCapture!('cap-1', { data: (bytes) => received.push([...bytes]), end: () => (ended = true) });
    sink.write(Buffer.from([1, 2, 3]));
    sink.end();
    await settle();
    expect(received).toEqual([[0xd4, 0xc3, 0xb2, 0xa1], [1, 2, 3]]);
    expect(ended).toBe(true);
    // None of it went over the event channel.
    expect(contents.send).not.toHaveBeenCalled();
  });

  it('a stream attached before its port arrives gets every byte too; another capture\'s port is not its own', async () => {
    const { api, clients } = electronWindow();
    await api.invoke('nic.capture', { nic: { vm: 'a', bridge: 'lan' }, options: {} });
    const mine: number[][] = [];
    api.streamCapture!('cap-9', { data: (bytes) => mine.push([...bytes]), end: () => {} });
    const other = clients[0]!.openCapture!('cap-8');
    const sink = clients[0]!.openCapture!('cap-9');
    other.write(new Uint8Array([8]));
    sink.write(new Uint8Array([9, 9]));
    await settle();
    expect(mine).toEqual([[9, 9]]);
  });

  it('hands the counter-tick port to the page, and ticks then travel on it (as JSON text for the worker to parse)', async () => {
    const { api, broadcast, posted, contents } = electronWindow();
    api.connectCounters!();
    expect(posted).toHaveLength(1);
    expect(posted[0]!.message).toBe(COUNTERS_PORT_MESSAGE);
    const port = posted[0]!.ports[0] as MessagePort;
    const seen: unknown[] = [];
    port.onmessage = (e) => seen.push(e.data);
    const tick: LabEvent = { type: 'counters.tick', at: 5, nics: [] };
    broadcast.forEach((l) => l(tick));
    await settle();
    expect(seen).toEqual([JSON.stringify({ event: tick })]);
    expect(contents.send).not.toHaveBeenCalled();
    port.close();
  });
});
