import { describe, expect, it, vi } from 'vitest';
import { createLabApi, type LabEvent } from '../../shared/api.js';
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import { CounterHub } from './counter-hub.js';
import { startEngineSync } from './engine-sync.js';
import { createLabStore } from './lab-store.js';
import { createRuntimeStore } from './runtime-store.js';

const doc: LabDocument = { format: LAB_FORMAT, id: 'aaaaaaaa', name: 't', bridges: [{ name: 'lan', position: { x: 0, y: 0 } }], vms: [], nics: [] };

function setup() {
  const sent: LabDocument[] = [];
  const listeners = new Set<(e: LabEvent) => void>();
  const invoke = vi.fn(async (channel: string, params: unknown) => {
    if (channel === 'lab.update') {
      sent.push((params as { document: LabDocument }).document);
      return { problems: [{ path: 'bridges[0].name', message: 'bad', severity: 'warning' }], restartNeeded: [] };
    }
    throw new Error(`unexpected ${channel}`);
  });
  const api = createLabApi(invoke as never, (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  });
  const lab = createLabStore();
  lab.getState().load({ path: null, document: doc });
  const runtime = createRuntimeStore();
  const counters = new CounterHub();
  const sync = startEngineSync(api, { lab, runtime, counters }, { debounceMs: 20 });
  const emit = (e: LabEvent) => listeners.forEach((l) => l(e));
  return { sent, lab, runtime, counters, sync, emit };
}

describe('engine sync', () => {
  it('sends a burst of edits as one debounced lab.update and records the problems', async () => {
    const { sent, lab, runtime, sync } = setup();
    for (let x = 0; x < 10; x += 1) lab.getState().apply({ kind: 'bridge.update', name: 'lan', patch: { position: { x, y: 0 } } }, 'later');
    lab.getState().commitPending();
    await new Promise((r) => setTimeout(r, 60));
    await sync.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.bridges[0]!.position.x).toBe(9);
    expect(runtime.getState().problems[0]!.target).toEqual({ kind: 'bridge', name: 'lan' });
    sync.stop();
  });

  it('ignores a stale lab.changed echo while local edits are pending, adopts remote changes otherwise', async () => {
    const { lab, sync, emit } = setup();
    lab.getState().apply({ kind: 'lab.rename', name: 'renamed' });
    emit({ type: 'lab.changed', path: null, document: doc });
    expect(lab.getState().document!.name).toBe('renamed');
    await sync.flush();
    emit({ type: 'lab.changed', path: null, document: { ...lab.getState().document!, bridges: [{ name: 'lan', position: { x: 50, y: 50 } }] } });
    expect(lab.getState().document!.bridges[0]!.position).toEqual({ x: 50, y: 50 });
    // Remote updates are not undo steps: undo reverts the rename only.
    lab.getState().undo();
    expect(lab.getState().document!.name).toBe('t');
    expect(lab.getState().document!.bridges[0]!.position).toEqual({ x: 50, y: 50 });
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
