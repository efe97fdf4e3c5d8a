import { describe, expect, it } from 'vitest';
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import { createRuntimeStore } from '../store/runtime-store.js';
import { indexProblems, syncEdges, syncNodes } from './flow-model.js';

const doc: LabDocument = {
  format: LAB_FORMAT,
  name: 't',
  bridges: [{ name: 'lan', position: { x: 0, y: 0 } }],
  vms: [
    { name: 'a', image: { kind: 'tiny' }, cpus: 1, memoryMiB: 128, position: { x: 0, y: 100 } },
    { name: 'b', image: { kind: 'tiny' }, cpus: 1, memoryMiB: 128, position: { x: 100, y: 100 } },
  ],
  nics: [
    { vm: 'a', bridge: 'lan', link: 'up' },
    { vm: 'b', bridge: 'lan', link: 'down', impairments: { rateKbit: 1000 } },
  ],
};

describe('document → React Flow model', () => {
  it('draws VMs, bridges and one edge per NIC (VM → bridge) with the link state and rate limit', () => {
    const nodes = syncNodes([], doc, new Map(), new Set());
    const edges = syncEdges([], doc, new Map(), new Set());
    expect(nodes.map((n) => n.id)).toEqual(['bridge:lan', 'vm:a', 'vm:b']);
    expect(edges.map((e) => [e.id, e.source, e.target])).toEqual([
      ['nic:a:lan', 'vm:a', 'bridge:lan'],
      ['nic:b:lan', 'vm:b', 'bridge:lan'],
    ]);
    expect(edges[1]!.data).toMatchObject({ capacityBps: 1_000_000, nic: { link: 'down' } });
  });

  it('keeps unchanged elements as the same objects, so memoized components skip them', () => {
    const nodes = syncNodes([], doc, new Map(), new Set());
    const moved: LabDocument = { ...doc, vms: [doc.vms[0]!, { ...doc.vms[1]!, position: { x: 200, y: 100 } }] };
    const next = syncNodes(nodes.map((n) => ({ ...n, measured: { width: 10, height: 10 } })), moved, new Map(), new Set(['vm:b']));
    expect(next[0]!.measured).toEqual({ width: 10, height: 10 });
    expect(next[2]).toMatchObject({ position: { x: 200, y: 100 }, selected: true, measured: { width: 10, height: 10 } });
    const again = syncNodes(next, moved, new Map(), new Set(['vm:b']));
    expect(again.every((n, i) => n === next[i])).toBe(true);
  });

  it('puts each problem on the node or edge its path names', () => {
    const runtime = createRuntimeStore();
    runtime.getState().setProblems(doc, [
      { path: 'nics[1].mac', message: 'duplicate MAC', severity: 'warning' },
      { path: 'vms[0].name', message: 'bad name', severity: 'error' },
    ]);
    const index = indexProblems(runtime.getState().problems);
    const nodes = syncNodes([], doc, index, new Set());
    const edges = syncEdges([], doc, index, new Set());
    expect(nodes.find((n) => n.id === 'vm:a')!.data.problems).toEqual({ severity: 'error', text: 'error: bad name' });
    expect(edges.find((e) => e.id === 'nic:b:lan')!.data!.problems).toEqual({ severity: 'warning', text: 'warning: duplicate MAC' });
  });
});
