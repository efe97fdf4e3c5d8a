/**
 * Checks the canvas runs before it turns a gesture into a change, so a refused edit explains
 * itself instead of producing an invalid document.
 */
import { nameProblem } from '../../shared/name-rules.js';
import type { LabDocument } from '../../shared/lab.js';

export type NodeKind = 'vm' | 'bridge';

export interface NodeRef {
  kind: NodeKind;
  name: string;
}

/** Parses a canvas node id (`vm:a`, `bridge:lan`). */
export function parseNodeId(id: string): NodeRef | null {
  const match = /^(vm|bridge):(.+)$/.exec(id);
  return match ? { kind: match[1] as NodeKind, name: match[2]! } : null;
}

export const nodeId = (kind: NodeKind, name: string) => `${kind}:${name}`;
export const nicEdgeId = (vm: string, bridge: string) => `nic:${vm}:${bridge}`;

export function parseNicEdgeId(id: string): { vm: string; bridge: string } | null {
  const match = /^nic:([^:]+):([^:]+)$/.exec(id);
  return match ? { vm: match[1]!, bridge: match[2]! } : null;
}

/** A cable joins one VM and one bridge, once; returns the VM–bridge pair or why not. */
export function checkConnection(
  doc: LabDocument,
  sourceId: string,
  targetId: string,
): { ok: true; vm: string; bridge: string } | { ok: false; reason: string } {
  const a = parseNodeId(sourceId);
  const b = parseNodeId(targetId);
  if (!a || !b) return { ok: false, reason: 'connect a VM to a bridge' };
  if (a.kind === b.kind) {
    return {
      ok: false,
      reason: a.kind === 'vm' ? 'VMs connect through a bridge: draw the cable from the VM to a bridge' : 'bridges cannot be joined directly: put a VM (a router) between them',
    };
  }
  const vm = a.kind === 'vm' ? a.name : b.name;
  const bridge = a.kind === 'bridge' ? a.name : b.name;
  if (doc.nics.some((n) => n.vm === vm && n.bridge === bridge)) return { ok: false, reason: `VM "${vm}" is already on bridge "${bridge}"; a VM has one NIC per bridge` };
  return { ok: true, vm, bridge };
}

/** Why `next` cannot replace `current` as a VM or bridge name, or null. */
export function renameProblem(doc: LabDocument, kind: NodeKind, current: string, next: string): string | null {
  if (next === current) return null;
  const problem = nameProblem(kind, next);
  if (problem) return problem;
  const taken = kind === 'vm' ? doc.vms.some((v) => v.name === next) : doc.bridges.some((b) => b.name === next);
  return taken ? `another ${kind === 'vm' ? 'VM' : 'bridge'} is already named "${next}"; names are unique per kind` : null;
}

/** First free default name: vm1, vm2… and lan1, lan2… */
export function nextFreeName(doc: LabDocument, kind: NodeKind): string {
  const base = kind === 'vm' ? 'vm' : 'lan';
  const taken = new Set(kind === 'vm' ? doc.vms.map((v) => v.name) : doc.bridges.map((b) => b.name));
  for (let i = 1; ; i += 1) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}
