import { describe, expect, it, vi } from 'vitest';
import type { LabEvent, Reply } from '../../shared/api.js';
import { registerEngineIpc } from './ipc-bridge.js';
import { rendererEntry } from './app-url.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels.js';
import type { EngineClient } from '../engine/engine-client.js';

vi.mock('electron', () => ({}));

type Handler = (event: { senderFrame: { url: string; parent: unknown } | null; sender: unknown }, channel: unknown, params: unknown) => Promise<Reply>;

function setup() {
  const entry = rendererEntry('/opt/wirebench/out/main', undefined);
  let handler: Handler | null = null;
  const ipcMain = { handle: vi.fn((_name: string, h: Handler) => (handler = h)), removeHandler: vi.fn() };
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
  const contents = { send: vi.fn(), isDestroyed: () => false, getURL: () => entry.url, once: vi.fn((_name: string, f: () => void) => destroyed.push(f)) };
  const stop = registerEngineIpc({ ipcMain: ipcMain as never, engine, isAppUrl: entry.isAppUrl, targets: () => [contents as never] });
  return { entry, ipcMain, engine, contents, listeners, stop, call: (frame: { url: string; parent: unknown } | null, channel: unknown, params: unknown) => handler!({ senderFrame: frame, sender: contents }, channel, params), destroy: () => destroyed.forEach((f) => f()) };
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
});
