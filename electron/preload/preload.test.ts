/**
 * The preload against a mocked `electron`: it exposes exactly the contract's groups (plus the
 * shell object), never ipcRenderer itself, and parses what comes back.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createLabApi, type LabApi } from '../../shared/api.js';
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

/** Every value reachable from `root`, to prove ipcRenderer and its methods are not among them. */
function reachable(root: unknown, seen = new Set<unknown>()): Set<unknown> {
  if (root === null || (typeof root !== 'object' && typeof root !== 'function') || seen.has(root)) return seen;
  seen.add(root);
  for (const value of Object.values(root as object)) reachable(value, seen);
  return seen;
}

describe('preload', () => {
  it('exposes window.wirebench with exactly the LabApi groups, and window.wirebenchShell', () => {
    expect([...exposed.keys()].sort()).toEqual(['wirebench', 'wirebenchShell']);
    const contractKeys = Object.keys(createLabApi((() => Promise.resolve()) as never, () => () => {})).sort();
    const api = exposed.get('wirebench') as LabApi;
    expect(Object.keys(api).sort()).toEqual(contractKeys);
    for (const group of contractKeys.filter((k) => k !== 'onEvent')) {
      const contractGroup = createLabApi((() => Promise.resolve()) as never, () => () => {})[group as keyof LabApi];
      expect(Object.keys(api[group as keyof LabApi] as object).sort()).toEqual(Object.keys(contractGroup as object).sort());
    }
    expect(Object.keys(exposed.get('wirebenchShell') as object).sort()).toEqual(['onMenuCommand', 'pickOpenPath', 'pickSavePath', 'setDocumentState']);
  });

  it('never exposes ipcRenderer or any of its methods', () => {
    const values = reachable({ a: exposed.get('wirebench'), b: exposed.get('wirebenchShell') });
    expect(values.has(ipcRenderer)).toBe(false);
    for (const method of Object.values(ipcRenderer)) expect(values.has(method)).toBe(false);
  });

  it('calls the one invoke channel with the command name and unwraps the reply', async () => {
    const api = exposed.get('wirebench') as LabApi;
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: { path: '/tmp/x.lab.json' } });
    await expect(api.lab.save('/tmp/x.lab.json')).resolves.toEqual({ path: '/tmp/x.lab.json' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(INVOKE_CHANNEL, 'lab.save', { path: '/tmp/x.lab.json' });
  });

  it('rethrows engine errors with their hint, and refuses malformed replies', async () => {
    const api = exposed.get('wirebench') as LabApi;
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'no-lab', message: 'no lab is open', hint: 'open a lab first' } });
    await expect(api.lab.up()).rejects.toThrow('no lab is open — open a lab first');
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, result: { unexpected: true } });
    await expect(api.lab.save()).rejects.toThrow(/unexpected result/);
  });

  it('delivers parsed events, drops malformed ones, and unsubscribes', () => {
    const api = exposed.get('wirebench') as LabApi;
    const seen: unknown[] = [];
    const off = api.onEvent((e) => seen.push(e));
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
