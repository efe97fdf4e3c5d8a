/**
 * The document drawn as React Flow nodes and edges. Rebuilding is incremental: an element whose
 * document entity (same object, thanks to immutable edits) and problems did not change keeps
 * its previous object, so React Flow and the memoized components skip it. View-only fields
 * (selected, measured size, dragging) always come from the previous object.
 */
import type { Edge, Node } from '@xyflow/react';
import type { Bridge, LabDocument, Nic, Vm } from '../../shared/lab.js';
import type { LocatedProblem } from '../store/runtime-store.js';
import { targetElementId } from '../store/problem-targets.js';
import { nicEdgeId, nodeId } from '../store/edit-rules.js';

export interface ElementProblems {
  severity: 'error' | 'warning';
  text: string;
}

export type VmNodeData = { vm: Vm; problems: ElementProblems | null };
export type BridgeNodeData = { bridge: Bridge; problems: ElementProblems | null };
export type NicEdgeData = { nic: Nic; capacityBps: number | null; problems: ElementProblems | null };

export type VmFlowNode = Node<VmNodeData, 'vm'>;
export type BridgeFlowNode = Node<BridgeNodeData, 'bridge'>;
export type LabFlowNode = VmFlowNode | BridgeFlowNode;
export type NicFlowEdge = Edge<NicEdgeData, 'nic'>;

/** Problems grouped by the canvas element they concern. */
export function indexProblems(problems: readonly LocatedProblem[]): Map<string, ElementProblems> {
  const grouped = new Map<string, LocatedProblem[]>();
  for (const p of problems) {
    const id = targetElementId(p.target);
    if (!id) continue;
    grouped.set(id, [...(grouped.get(id) ?? []), p]);
  }
  const index = new Map<string, ElementProblems>();
  for (const [id, list] of grouped) {
    index.set(id, {
      severity: list.some((p) => p.severity === 'error') ? 'error' : 'warning',
      text: list.map((p) => `${p.severity}: ${p.message}`).join('\n'),
    });
  }
  return index;
}

function sameProblems(a: ElementProblems | null, b: ElementProblems | null): boolean {
  return a === b || (a !== null && b !== null && a.severity === b.severity && a.text === b.text);
}

export function syncNodes(
  previous: readonly LabFlowNode[],
  doc: LabDocument,
  problems: Map<string, ElementProblems>,
  selected: ReadonlySet<string>,
): LabFlowNode[] {
  const byId = new Map(previous.map((n) => [n.id, n]));
  const next: LabFlowNode[] = [];
  for (const bridge of doc.bridges) {
    const id = nodeId('bridge', bridge.name);
    const old = byId.get(id) as BridgeFlowNode | undefined;
    const nodeProblems = problems.get(id) ?? null;
    const isSelected = selected.has(id);
    if (old && old.data.bridge === bridge && sameProblems(old.data.problems, nodeProblems) && !!old.selected === isSelected) next.push(old);
    else next.push({ ...old, id, type: 'bridge', position: bridge.position, data: { bridge, problems: nodeProblems }, selected: isSelected });
  }
  for (const vm of doc.vms) {
    const id = nodeId('vm', vm.name);
    const old = byId.get(id) as VmFlowNode | undefined;
    const nodeProblems = problems.get(id) ?? null;
    const isSelected = selected.has(id);
    if (old && old.data.vm === vm && sameProblems(old.data.problems, nodeProblems) && !!old.selected === isSelected) next.push(old);
    else next.push({ ...old, id, type: 'vm', position: vm.position, data: { vm, problems: nodeProblems }, selected: isSelected });
  }
  return next;
}

export function syncEdges(
  previous: readonly NicFlowEdge[],
  doc: LabDocument,
  problems: Map<string, ElementProblems>,
  selected: ReadonlySet<string>,
): NicFlowEdge[] {
  const byId = new Map(previous.map((e) => [e.id, e]));
  return doc.nics.map((nic) => {
    const id = nicEdgeId(nic.vm, nic.bridge);
    const old = byId.get(id);
    const edgeProblems = problems.get(id) ?? null;
    const capacityBps = nic.impairments?.rateKbit ? nic.impairments.rateKbit * 1000 : null;
    const isSelected = selected.has(id);
    if (old && old.data?.nic === nic && sameProblems(old.data.problems, edgeProblems) && !!old.selected === isSelected) return old;
    return {
      ...old,
      id,
      type: 'nic',
      source: nodeId('vm', nic.vm),
      target: nodeId('bridge', nic.bridge),
      data: { nic, capacityBps, problems: edgeProblems },
      selected: isSelected,
    };
  });
}
