import { describe, expect, it, vi } from 'vitest';
import { createLabApi, type LabApi } from '../../shared/api.js';
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import { CounterHub } from '../store/counter-hub.js';
import { createLabStore } from '../store/lab-store.js';
import { createRuntimeStore } from '../store/runtime-store.js';
import { createLabActions, type Prompts } from './lab-actions.js';

const saved: LabDocument = { format: LAB_FORMAT, id: 'abcdef0123', name: 'lab', bridges: [{ name: 'lan', position: { x: 0, y: 0 } }], vms: [], nics: [] };

function setup(answers: { confirm: boolean; path?: string | null }) {
  const calls: Array<[string, unknown]> = [];
  /** The engine's recovery files, by path (the engine side is tested in recovery-store.test.ts). */
  const recoveries = new Map<string | null, { savedAt: number; path: string | null; document: LabDocument }>();
  const invoke = vi.fn(async (channel: string, params: unknown) => {
    calls.push([channel, params]);
    const p = params as { path: string | null; document: LabDocument };
    switch (channel) {
      case 'recovery.read':
        return recoveries.get(p.path) ?? null;
      case 'recovery.write':
        recoveries.set(p.path, { savedAt: 1, path: p.path, document: p.document });
        return {};
      case 'recovery.clear':
        recoveries.delete(p.path);
        return {};
      case 'lab.current':
      case 'lab.open':
      case 'lab.new':
        return { path: '/labs/lab.lab.json', document: saved, problems: [] };
      case 'lab.status':
        return { namespace: 'wb-abcdef01', running: false, vms: [], restartNeeded: [] };
      case 'lab.validate':
      case 'lab.update':
        return { problems: [], restartNeeded: [] };
      case 'lab.save':
        return { path: (params as { path?: string }).path ?? '/labs/lab.lab.json' };
      default:
        throw new Error(`unexpected ${channel}`);
    }
  });
  const api: LabApi = createLabApi(invoke as never, () => () => {});
  const lab = createLabStore();
  const runtime = createRuntimeStore();
  const prompts: Prompts = { confirm: vi.fn(async () => answers.confirm), askPath: vi.fn(async () => answers.path ?? null) };
  const actions = createLabActions({ api, shell: null, sync: { flush: async () => {}, stop: () => {} }, lab, runtime, counters: new CounterHub(), prompts });
  return { actions, lab, runtime, recoveries, prompts, calls };
}

describe('lab actions', () => {
  it('offers unsaved changes from the recovery copy and restores them as an undoable edit', async () => {
    const { actions, lab, recoveries, prompts } = setup({ confirm: true });
    recoveries.set('/labs/lab.lab.json', { savedAt: 1, path: '/labs/lab.lab.json', document: { ...saved, bridges: [...saved.bridges, { name: 'wan', position: { x: 9, y: 9 } }] } });
    await actions.loadCurrent();
    expect(prompts.confirm).toHaveBeenCalledWith(expect.stringMatching(/unsaved changes .* Restore them\?/));
    expect(lab.getState().document!.bridges.map((b) => b.name)).toEqual(['lan', 'wan']);
    expect(lab.getState().dirty).toBe(true);
    lab.getState().undo();
    expect(lab.getState().document!.bridges.map((b) => b.name)).toEqual(['lan']);
  });

  it('asks before New drops unsaved edits, and does nothing when told no', async () => {
    const { actions, lab, calls } = setup({ confirm: false });
    await actions.loadCurrent();
    lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    await actions.newLab();
    expect(calls.some(([c]) => c === 'lab.new')).toBe(false);
    expect(lab.getState().document!.name).toBe('edited');
  });

  it('Save As in browser mode asks for a path, saves there and clears the dirty mark', async () => {
    const { actions, lab, calls } = setup({ confirm: true, path: '/labs/copy.lab.json' });
    await actions.loadCurrent();
    lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    expect(await actions.saveAs()).toBe(true);
    expect(calls.at(-1)).toEqual(['lab.save', { path: '/labs/copy.lab.json' }]);
    expect(lab.getState()).toMatchObject({ dirty: false, path: '/labs/copy.lab.json' });
  });

  it('does not start a lab with errors', async () => {
    const { actions, runtime, calls } = setup({ confirm: true });
    await actions.loadCurrent();
    runtime.getState().setProblems(saved, [{ path: 'bridges[0].name', message: 'bad', severity: 'error' }]);
    await actions.startLab();
    expect(calls.some(([c]) => c === 'lab.up')).toBe(false);
    expect(runtime.getState().notices.at(-1)!.text).toMatch(/fix the problems/);
  });
});
