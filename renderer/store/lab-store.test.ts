import { describe, expect, it } from 'vitest';
import { LAB_FORMAT, validateLab, type LabDocument } from '../../shared/lab.js';
import { createLabStore } from './lab-store.js';
import { CounterHub } from './counter-hub.js';
import { createRuntimeStore } from './runtime-store.js';
import { checkConnection, nextFreeName, renameProblem } from './edit-rules.js';

function lab(): LabDocument {
  const parsed = validateLab({
    format: LAB_FORMAT,
    name: 't',
    bridges: [{ name: 'lan', position: { x: 0, y: 0 } }],
    vms: [
      { name: 'a', position: { x: 0, y: 100 } },
      { name: 'b', position: { x: 100, y: 100 } },
    ],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
    ],
  });
  if (!parsed.ok) throw new Error('fixture is invalid');
  return parsed.lab;
}

function loaded() {
  const store = createLabStore();
  store.getState().load({ path: null, document: lab() });
  return store;
}

describe('lab store edits and undo/redo', () => {
  it('adds a VM and a NIC, undoes both steps, redoes them', () => {
    const store = loaded();
    const s = store.getState;
    expect(s().apply({ kind: 'vm.add', vm: { name: 'c', image: { kind: 'tiny' }, cpus: 1, memoryMiB: 128, position: { x: 5, y: 5 } } })).toBe(true);
    expect(s().apply({ kind: 'nic.add', nic: { vm: 'c', bridge: 'lan', link: 'up' } })).toBe(true);
    expect(s().document!.nics).toHaveLength(3);
    expect(s().dirty).toBe(true);
    s().undo();
    expect(s().document!.nics).toHaveLength(2);
    s().undo();
    expect(s().document!.vms.map((v) => v.name)).toEqual(['a', 'b']);
    // Back to the loaded text: not dirty any more.
    expect(s().dirty).toBe(false);
    s().redo();
    s().redo();
    expect(s().document!.nics.at(-1)).toMatchObject({ vm: 'c', bridge: 'lan' });
  });

  it('renames a VM with its NICs, and undo restores both', () => {
    const store = loaded();
    const s = store.getState;
    s().apply({ kind: 'vm.update', name: 'a', patch: { name: 'alpha' } });
    expect(s().document!.nics[0]).toMatchObject({ vm: 'alpha', bridge: 'lan' });
    s().undo();
    expect(s().document!.vms[0]!.name).toBe('a');
    expect(s().document!.nics[0]!.vm).toBe('a');
    s().redo();
    expect(s().document!.vms[0]!.name).toBe('alpha');
  });

  it('removing a VM removes its NICs, and undo puts them back where they were', () => {
    const store = loaded();
    const s = store.getState;
    const before = s().document!;
    s().apply({ kind: 'vm.remove', name: 'a' });
    expect(s().document!.nics.map((n) => n.vm)).toEqual(['b']);
    s().undo();
    expect(s().document).toEqual(before);
  });

  it('refuses an edit that does not fit and records nothing', () => {
    const store = loaded();
    const s = store.getState;
    expect(s().apply({ kind: 'nic.add', nic: { vm: 'a', bridge: 'lan', link: 'up' } })).toBe(false);
    expect(s().lastError).toMatch(/already on bridge/);
    expect(s().history.undo).toHaveLength(0);
  });

  it('records a drag once, on mouse-up, with the position from before the drag', () => {
    const store = loaded();
    const s = store.getState;
    for (let x = 1; x <= 20; x += 1) s().apply({ kind: 'vm.update', name: 'a', patch: { position: { x, y: 100 } } }, 'later');
    expect(s().history.undo).toHaveLength(0);
    s().commitPending();
    expect(s().history.undo).toHaveLength(1);
    expect(s().document!.vms[0]!.position).toEqual({ x: 20, y: 100 });
    s().undo();
    expect(s().document!.vms[0]!.position).toEqual({ x: 0, y: 100 });
    s().redo();
    expect(s().document!.vms[0]!.position).toEqual({ x: 20, y: 100 });
  });

  it('a multi-node drag is one step too', () => {
    const store = loaded();
    const s = store.getState;
    for (let d = 1; d <= 5; d += 1) {
      s().apply(
        [
          { kind: 'vm.update', name: 'a', patch: { position: { x: d, y: 100 } } },
          { kind: 'vm.update', name: 'b', patch: { position: { x: 100 + d, y: 100 } } },
        ],
        'later',
      );
    }
    s().commitPending();
    expect(s().history.undo).toHaveLength(1);
    s().undo();
    expect(s().document!.vms.map((v) => v.position.x)).toEqual([0, 100]);
  });

  it('`never` updates (runtime) are applied but not recorded and do not count as local edits', () => {
    const store = loaded();
    const s = store.getState;
    const revision = s().localRevision;
    s().apply({ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { link: 'down' } }, 'never');
    expect(s().document!.nics[0]!.link).toBe('down');
    expect(s().history.undo).toHaveLength(0);
    expect(s().localRevision).toBe(revision);
  });

  it('undo of an older edit keeps a later runtime change (deltas, not snapshots)', () => {
    const store = loaded();
    const s = store.getState;
    s().apply({ kind: 'vm.update', name: 'b', patch: { cpus: 2 } });
    s().apply({ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { link: 'down' } }, 'never');
    s().undo();
    expect(s().document!.vms[1]!.cpus).toBe(1);
    expect(s().document!.nics[0]!.link).toBe('down');
  });

  it('clears an optional NIC field instead of writing undefined into the file', () => {
    const store = loaded();
    const s = store.getState;
    s().apply({ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { ip: undefined } });
    expect('ip' in s().document!.nics[0]!).toBe(false);
    s().undo();
    expect(s().document!.nics[0]!.ip).toBe('10.0.0.1/24');
  });

  it('marks saved and becomes dirty again on the next edit', () => {
    const store = loaded();
    const s = store.getState;
    s().apply({ kind: 'lab.rename', name: 'x' });
    s().markSaved('/tmp/x.lab.json');
    expect(s().dirty).toBe(false);
    expect(s().path).toBe('/tmp/x.lab.json');
    s().undo();
    expect(s().dirty).toBe(true);
  });
});

describe('runtime data never enters the document history', () => {
  it('counter ticks and VM states leave the document store untouched', () => {
    const store = loaded();
    const runtime = createRuntimeStore();
    const hub = new CounterHub();
    const before = store.getState();
    const seen: number[] = [];
    hub.subscribeNic('a', 'lan', () => seen.push(hub.nic('a', 'lan')!.rates.rx_bps));
    for (let i = 0; i < 10; i += 1) {
      hub.ingest(i * 250, [
        { vm: 'a', bridge: 'lan', counters: { rx_bytes: i * 100, tx_bytes: 0, rx_packets: i, tx_packets: 0, errors: 0 }, rates: { rx_bps: i * 800, tx_bps: 0, rx_pps: 4, tx_pps: 0 } },
      ]);
    }
    runtime.getState().setVmState('a', 'running', null);
    expect(seen).toHaveLength(10);
    expect(hub.nic('a', 'lan')!.history).toHaveLength(10);
    expect(hub.bridge('lan')).toMatchObject({ rxBps: 7200, nics: 1 });
    const after = store.getState();
    expect(after.document).toBe(before.document);
    expect(after.history).toBe(before.history);
    expect(after.localRevision).toBe(before.localRevision);
  });

  it('locates problems on the element their path names', () => {
    const runtime = createRuntimeStore();
    runtime.getState().setProblems(lab(), [
      { path: 'nics[1].bridge', message: 'x', severity: 'error' },
      { path: 'vms[0].name', message: 'y', severity: 'warning' },
      { path: '', message: 'z', severity: 'error' },
    ]);
    expect(runtime.getState().problems.map((p) => p.target)).toEqual([
      { kind: 'nic', vm: 'b', bridge: 'lan' },
      { kind: 'vm', name: 'a' },
      { kind: 'lab' },
    ]);
  });
});

describe('edit rules', () => {
  it('allows VM–bridge once, refuses VM–VM, bridge–bridge and duplicates', () => {
    const doc = lab();
    expect(checkConnection({ ...doc, nics: [] }, 'vm:a', 'bridge:lan')).toEqual({ ok: true, vm: 'a', bridge: 'lan' });
    expect(checkConnection({ ...doc, nics: [] }, 'bridge:lan', 'vm:a')).toEqual({ ok: true, vm: 'a', bridge: 'lan' });
    expect(checkConnection(doc, 'vm:a', 'vm:b')).toMatchObject({ ok: false });
    expect(checkConnection(doc, 'bridge:lan', 'bridge:lan')).toMatchObject({ ok: false });
    expect(checkConnection(doc, 'vm:a', 'bridge:lan')).toMatchObject({ ok: false, reason: expect.stringMatching(/already/) });
  });
  it('validates renames with the shared name rules and uniqueness', () => {
    const doc = lab();
    expect(renameProblem(doc, 'vm', 'a', 'web-1')).toBeNull();
    expect(renameProblem(doc, 'vm', 'a', 'b')).toMatch(/already named/);
    expect(renameProblem(doc, 'vm', 'a', 'Bad_Name')).toMatch(/lower-case/);
    expect(renameProblem(doc, 'bridge', 'lan', 'much-too-long-name')).toMatch(/fit in 12/);
  });
  it('picks the first free default name', () => {
    expect(nextFreeName(lab(), 'vm')).toBe('vm1');
    expect(nextFreeName(lab(), 'bridge')).toBe('lan1');
  });
});
