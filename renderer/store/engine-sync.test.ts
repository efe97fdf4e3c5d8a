import { describe, expect, it, vi } from 'vitest';
import { createLabApi, WirebenchError, type LabEvent } from '../../shared/api.js';
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import { changesToWire, type LabChange, type WireLabChange } from '../../shared/lab-changes.js';
import { CounterHub } from './counter-hub.js';
import { startEngineSync } from './engine-sync.js';
import { createLabStore } from './lab-store.js';
import { createRuntimeStore } from './runtime-store.js';

const doc: LabDocument = { format: LAB_FORMAT, id: 'aaaaaaaa', name: 't', bridges: [{ name: 'lan', position: { x: 0, y: 0 } }], vms: [], nics: [] };

/** A fake engine at `revision`: `refuse` makes the next lab.change fail with that code. */
function setup(options: { revision?: number } = {}) {
  const sent: Array<{ baseRevision: number; changes: WireLabChange[]; origin?: string }> = [];
  const engine = { revision: options.revision ?? 3, refuse: [] as string[], current: doc, before: null as null | (() => void) };
  const listeners = new Set<(e: LabEvent) => void>();
  const invoke = vi.fn(async (channel: string, params: unknown) => {
    if (channel === 'lab.change') {
      const p = params as { baseRevision: number; changes: WireLabChange[]; origin?: string };
      sent.push(p);
      // Another client's batch reaching the engine (and its event reaching us) just before ours.
      const before = engine.before;
      engine.before = null;
      before?.();
      const refusal = engine.refuse.shift();
      if (refusal) throw new WirebenchError(refusal, 'refused');
      if (p.baseRevision !== engine.revision) throw new WirebenchError('stale-revision', 'stale');
      engine.revision += 1;
      return { revision: engine.revision, problems: [{ path: 'bridges[0].name', message: 'bad', severity: 'warning' }], restartNeeded: [] };
    }
    if (channel === 'lab.current') return { path: null, document: engine.current, problems: [], revision: engine.revision };
    throw new Error(`unexpected ${channel}`);
  });
  const api = createLabApi(invoke as never, (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  });
  const lab = createLabStore();
  lab.getState().load({ path: null, document: doc, revision: engine.revision });
  const runtime = createRuntimeStore();
  const counters = new CounterHub();
  const sync = startEngineSync(api, { lab, runtime, counters }, { debounceMs: 20, origin: 'me' });
  const emit = (e: LabEvent) => listeners.forEach((l) => l(e));
  /** Another client's batch, as the engine broadcasts it (and the fake engine's revision moves on). */
  const remote = (changes: LabChange[]) => {
    engine.revision += 1;
    emit({ type: 'lab.changed', revision: engine.revision, changes: changesToWire(changes), origin: 'other', problems: [] });
  };
  return { sent, engine, lab, runtime, counters, sync, emit, remote };
}

// Each test builds its own stores and fake engine: none depends on another's order.
describe('engine sync', () => {
  it('sends a burst of edits as one debounced lab.change against the known revision and records the problems', async () => {
    const { sent, lab, runtime, sync } = setup();
    for (let x = 0; x < 10; x += 1) lab.getState().apply({ kind: 'bridge.update', name: 'lan', patch: { position: { x, y: 0 } } }, 'later');
    lab.getState().commitPending();
    await new Promise((r) => setTimeout(r, 60));
    await sync.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.baseRevision).toBe(3);
    expect(sent[0]!.origin).toBe('me');
    // The drag's moves collapse to the last one.
    expect(sent[0]!.changes).toEqual([{ kind: 'bridge.update', name: 'lan', patch: { position: { x: 9, y: 0 } } }]);
    expect(lab.getState().revision).toBe(4);
    expect(runtime.getState().problems[0]!.target).toEqual({ kind: 'bridge', name: 'lan' });
    sync.stop();
  });

  it('ignores its own echo, applies other clients\' batches, and those never enter undo history', async () => {
    const { lab, sync, emit, remote } = setup();
    lab.getState().apply({ kind: 'lab.rename', name: 'renamed' });
    await sync.flush();
    // Our own batch comes back as lab.changed: nothing to apply again.
    emit({ type: 'lab.changed', revision: 4, changes: [{ kind: 'lab.rename', name: 'renamed' }], origin: 'me', problems: [] });
    expect(lab.getState().document!.name).toBe('renamed');
    remote([{ kind: 'bridge.update', name: 'lan', patch: { position: { x: 50, y: 50 } } }]);
    expect(lab.getState().document!.bridges[0]!.position).toEqual({ x: 50, y: 50 });
    expect(lab.getState().revision).toBe(5);
    // Remote updates are not undo steps: undo reverts the rename only.
    lab.getState().undo();
    expect(lab.getState().document!.name).toBe('t');
    expect(lab.getState().document!.bridges[0]!.position).toEqual({ x: 50, y: 50 });
    sync.stop();
  });

  it('a remote batch lands under unsent local edits, which then go out against the new revision', async () => {
    const { sent, lab, sync, remote } = setup();
    lab.getState().apply({ kind: 'lab.rename', name: 'mine' });
    remote([{ kind: 'bridge.add', bridge: { name: 'wan', position: { x: 1, y: 1 } } }]);
    expect(lab.getState().document!.bridges.map((b) => b.name)).toEqual(['lan', 'wan']);
    await sync.flush();
    expect(sent.map((s) => s.baseRevision)).toEqual([4]);
    expect(lab.getState().revision).toBe(5);
    sync.stop();
  });

  it('a stale batch is sent again on top of the batches that arrived meanwhile', async () => {
    const { sent, engine, lab, sync, remote } = setup();
    lab.getState().apply({ kind: 'lab.rename', name: 'mine' });
    // Another client's batch gets in first: ours is stale, and its event reaches us before the refusal.
    engine.before = () => remote([{ kind: 'bridge.add', bridge: { name: 'wan', position: { x: 1, y: 1 } } }]);
    await sync.flush();
    expect(sent.map((s) => s.baseRevision)).toEqual([3, 4]);
    expect(lab.getState().revision).toBe(5);
    expect(lab.getState().document!.name).toBe('mine');
    expect(lab.getState().document!.bridges.map((b) => b.name)).toEqual(['lan', 'wan']);
    sync.stop();
  });

  it('reloads the engine\'s document when a batch is stale and nothing arrived to rebase on, and says so', async () => {
    const { engine, lab, runtime, sync } = setup();
    engine.current = { ...doc, name: 'theirs' };
    engine.revision = 7;
    lab.getState().apply({ kind: 'lab.rename', name: 'mine' });
    await sync.flush();
    expect(lab.getState().document!.name).toBe('theirs');
    expect(lab.getState().revision).toBe(7);
    expect(lab.getState().unsent).toEqual([]);
    expect(runtime.getState().notices.at(-1)?.text).toMatch(/changed elsewhere/);
    sync.stop();
  });

  it('reloads on a gap in the revisions', async () => {
    const { engine, lab, emit, sync } = setup();
    engine.current = { ...doc, name: 'later' };
    engine.revision = 9;
    emit({ type: 'lab.changed', revision: 9, changes: [{ kind: 'lab.rename', name: 'later' }], origin: 'other', problems: [] });
    await sync.flush();
    await vi.waitFor(() => expect(lab.getState().revision).toBe(9));
    expect(lab.getState().document!.name).toBe('later');
    sync.stop();
  });

  it('routes counters to the hub and VM states to the runtime store', () => {
    const { counters, runtime, lab, emit, sync } = setup();
    const history = lab.getState().history;
    emit({ type: 'counters.tick', at: 1, nics: [{ vm: 'a', bridge: 'lan', counters: { rx_bytes: 1, tx_bytes: 2, rx_packets: 1, tx_packets: 1, errors: 0 }, rates: { rx_bps: 8, tx_bps: 16, rx_pps: 1, tx_pps: 1 } }] });
    emit({ type: 'vm.state', vm: 'a', state: 'crashed', reason: 'qemu exited with 1' });
    expect(counters.nic('a', 'lan')!.rates.tx_bps).toBe(16);
    expect(runtime.getState().vms.a).toEqual({ state: 'crashed', reason: 'qemu exited with 1' });
    expect(lab.getState().history).toBe(history);
    sync.stop();
  });
});
