import { describe, expect, it, vi } from 'vitest';
import { WirebenchError, createLabApi, type LabApi } from '../../shared/api.js';
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import { CounterHub } from '../store/counter-hub.js';
import { createLabStore } from '../store/lab-store.js';
import { createRuntimeStore } from '../store/runtime-store.js';
import { createLabActions, type Prompts } from './lab-actions.js';

const saved: LabDocument = { format: LAB_FORMAT, id: 'abcdef0123', name: 'lab', bridges: [{ name: 'lan', position: { x: 0, y: 0 } }], vms: [], nics: [] };

function setup(answers: { confirm: boolean; path?: string | null; choice?: string | null; saveErrors?: WirebenchError[] }) {
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
      case 'lab.create':
        return { path: '/labs/lab.lab.json', document: saved, problems: [] };
      case 'lab.status':
        return { namespace: 'wb-abcdef01', running: false, vms: [], restartNeeded: [] };
      case 'lab.validate':
      case 'lab.change':
        return { problems: [], restartNeeded: [] };
      case 'lab.save': {
        const failure = answers.saveErrors?.shift();
        if (failure) throw failure;
      }
        return { path: (params as { path?: string }).path ?? '/labs/lab.lab.json' };
      default:
        throw new Error(`unexpected ${channel}`);
    }
  });
  const api: LabApi = createLabApi(invoke as never, () => () => {});
  const lab = createLabStore();
  const runtime = createRuntimeStore();
  const prompts: Prompts = { confirm: vi.fn(async () => answers.confirm), askPath: vi.fn(async () => answers.path ?? null), choose: vi.fn(async () => answers.choice ?? null) };
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
    expect(calls.some(([c]) => c === 'lab.create')).toBe(false);
    expect(lab.getState().document!.name).toBe('edited');
  });

  it('asks before Open and the demo drop unsaved edits, and does nothing when told no', async () => {
    const { actions, lab, calls } = setup({ confirm: false, path: '/labs/other.lab.json' });
    await actions.loadCurrent();
    lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    const before = calls.length;
    await actions.open();
    await actions.open('/labs/other.lab.json');
    await actions.openDemo();
    expect(calls.slice(before).filter(([c]) => c === 'lab.open' || c === 'lab.openDemo')).toEqual([]);
    expect(lab.getState()).toMatchObject({ dirty: true, document: { name: 'edited' } });
  });

  const changed = () => new WirebenchError('changed-on-disk', '/labs/lab.lab.json was changed by another program', 'overwrite, reload or save elsewhere');

  it('a file changed on disk: "Overwrite" saves again with overwrite', async () => {
    const { actions, lab, calls, prompts } = setup({ confirm: true, choice: 'overwrite', saveErrors: [changed()] });
    await actions.loadCurrent();
    lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    expect(await actions.save()).toBe(true);
    expect(prompts.choose).toHaveBeenCalledWith('The file changed on disk', expect.stringContaining('changed by another program'), expect.arrayContaining([expect.objectContaining({ id: 'overwrite' }), expect.objectContaining({ id: 'reload' }), expect.objectContaining({ id: 'elsewhere' })]));
    expect(calls.filter(([c]) => c === 'lab.save').map(([, p]) => p)).toEqual([{}, { overwrite: true }]);
    expect(lab.getState().dirty).toBe(false);
  });

  it('a file changed on disk: "Reload" opens it again and drops the edits (and their autosave)', async () => {
    const { actions, lab, calls } = setup({ confirm: true, choice: 'reload', saveErrors: [changed()] });
    await actions.loadCurrent();
    lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    expect(await actions.save()).toBe(false);
    expect(calls.filter(([c]) => c === 'lab.save')).toHaveLength(1);
    expect(calls.some(([c, p]) => c === 'lab.open' && (p as { path: string }).path === '/labs/lab.lab.json')).toBe(true);
    expect(calls.some(([c]) => c === 'recovery.clear')).toBe(true);
    expect(lab.getState()).toMatchObject({ dirty: false, document: { name: 'lab' } });
  });

  it('a full disk or read-only folder: "Save elsewhere" asks for a path and saves there; Cancel keeps the edits', async () => {
    const full = new WirebenchError('disk-full', 'cannot save /labs/lab.lab.json: the disk is full', 'free some space');
    const { actions, lab, calls } = setup({ confirm: true, choice: 'elsewhere', path: '/other/lab.lab.json', saveErrors: [full] });
    await actions.loadCurrent();
    lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    expect(await actions.save()).toBe(true);
    expect(calls.filter(([c]) => c === 'lab.save').map(([, p]) => p)).toEqual([{}, { path: '/other/lab.lab.json' }]);
    expect(lab.getState()).toMatchObject({ dirty: false, path: '/other/lab.lab.json' });

    const readOnly = new WirebenchError('read-only', 'cannot save /labs/lab.lab.json: it is on a read-only file system', 'save elsewhere');
    const second = setup({ confirm: true, choice: null, saveErrors: [readOnly] });
    await second.actions.loadCurrent();
    second.lab.getState().apply({ kind: 'lab.rename', name: 'edited' });
    expect(await second.actions.save()).toBe(false);
    expect(second.lab.getState().dirty).toBe(true);
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
