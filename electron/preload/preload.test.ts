/**
 * The preload against a mocked `electron`: it exposes exactly the contract bridge (plus the
 * shell object), never ipcRenderer itself, and parses what comes back.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { WirebenchError } from '../../shared/api.js';
import { labApiOverBridge, type LabBridge } from '../../shared/unwrap-reply.js';
import type { ShellApi } from '../../shared/shell-api.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL, MENU_CHANNEL } from '../main/ipc-channels.js';

const exposed = new Map<string, unknown>();
const ipcRenderer = {
  invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => ({ ok: true, result: null })),
  on: vi.fn(),
  removeListener: vi.fn(),
  send: vi.fn(),
  sendSync: vi.fn(),
};

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer,
}));

beforeAll(async () => {
  await import('./index.js');
});

const bridge = () => exposed.get('wirebench') as LabBridge;

/** Every value reachable from `root`, to prove ipcRenderer and its methods are not among them. */
function reachable(root: unknown, seen = new Set<unknown>()): Set<unknown> {
  if (root === null || (typeof root !== 'object' && typeof root !== 'function') || seen.has(root)) return seen;
  seen.add(root);
  for (const value of Object.values(root as object)) reachable(value, seen);
  return seen;
}

describe('preload', () => {
  it('exposes window.wirebench (the contract bridge: invoke, onEvent; capture streams and the counter port) and window.wirebenchShell', () => {
    expect([...exposed.keys()].sort()).toEqual(['wirebench', 'wirebenchShell']);
    expect(Object.keys(exposed.get('wirebench') as object).sort()).toEqual(['connectCounters', 'invoke', 'onEvent', 'streamCapture']);
    expect(Object.keys(exposed.get('wirebenchShell') as object).sort()).toEqual(['onMenuCommand', 'pickOpenPath', 'pickSavePath', 'setDocumentState']);
  });

  it('never exposes ipcRenderer or any of its methods', () => {
    const values = reachable({ a: exposed.get('wirebench'), b: exposed.get('wirebenchShell') });
    expect(values.has(ipcRenderer)).toBe(false);
    for (const method of Object.values(ipcRenderer)) expect(values.has(method)).toBe(false);
  });

  it('sends a contract command on the one invoke channel; the page gets the typed result', async () => {
    const api = labApiOverBridge(bridge());
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: { path: '/tmp/x.lab.json' } });
    await expect(api.lab.save({ path: '/tmp/x.lab.json' })).resolves.toEqual({ path: '/tmp/x.lab.json' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(INVOKE_CHANNEL, 'lab.save', { path: '/tmp/x.lab.json' });
  });

  it('refuses unknown commands and invalid params before anything crosses IPC', async () => {
    ipcRenderer.invoke.mockClear();
    await expect(bridge().invoke('fs.readFile' as never, { path: '/etc/shadow' })).resolves.toMatchObject({ ok: false, error: { code: 'bad-request', message: 'unknown command "fs.readFile"' } });
    await expect(bridge().invoke('lab.open', { path: 42 })).resolves.toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('lab.open: invalid parameters at path') } });
    await expect(bridge().invoke('lab.up', { extra: true })).resolves.toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('hands engine errors over as data (never a rejection), so the page keeps their code and hint', async () => {
    // contextBridge copies only the message of an Error thrown across it; data crosses whole.
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'no-lab', message: 'no lab is open', hint: 'open a lab first' } });
    await expect(bridge().invoke('lab.up', {})).resolves.toEqual({ ok: false, error: { code: 'no-lab', message: 'no lab is open', hint: 'open a lab first' } });
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'no-lab', message: 'no lab is open', hint: 'open a lab first' } });
    const failure = await labApiOverBridge(bridge()).lab.up().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WirebenchError);
    expect(failure).toMatchObject({ code: 'no-lab', message: 'no lab is open', hint: 'open a lab first' });
    // A main process that throws, or sends something unreadable, still yields data.
    ipcRenderer.invoke.mockRejectedValueOnce(new Error('no handler registered'));
    await expect(bridge().invoke('lab.status', {})).resolves.toMatchObject({ ok: false, error: { message: 'no handler registered' } });
    ipcRenderer.invoke.mockResolvedValueOnce('garbage');
    await expect(bridge().invoke('lab.status', {})).resolves.toMatchObject({ ok: false, error: { code: 'bad-reply' } });
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: { unexpected: true } });
    await expect(labApiOverBridge(bridge()).lab.save()).rejects.toThrow(/unexpected result/);
  });

  it('delivers parsed events, drops malformed ones, and unsubscribes', () => {
    const seen: unknown[] = [];
    const off = bridge().onEvent((e) => seen.push(e));
    const [channel, handler] = ipcRenderer.on.mock.calls.at(-1)! as [string, (event: unknown, value: unknown) => void];
    expect(channel).toBe(EVENT_CHANNEL);
    handler({}, { type: 'vm.state', vm: 'a', state: 'running', reason: null });
    handler({}, { type: 'vm.state', vm: 'a', state: 'exploded' });
    handler({}, { type: 'not-an-event' });
    expect(seen).toEqual([{ type: 'vm.state', vm: 'a', state: 'running', reason: null }]);
    off();
    expect(ipcRenderer.removeListener).toHaveBeenCalledWith(EVENT_CHANNEL, handler);
  });

  it('parses menu commands from main', () => {
    const shell = exposed.get('wirebenchShell') as ShellApi;
    const seen: unknown[] = [];
    shell.onMenuCommand((c) => seen.push(c));
    const [channel, handler] = ipcRenderer.on.mock.calls.at(-1)! as [string, (event: unknown, value: unknown) => void];
    expect(channel).toBe(MENU_CHANNEL);
    handler({}, { command: 'save' });
    handler({}, { command: 'rm -rf' });
    expect(seen).toEqual([{ command: 'save' }]);
  });
});
