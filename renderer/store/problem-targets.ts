/**
 * Maps a problem's JSON path (`nics[2].bridge`, `vms[0].name`) to the canvas element it
 * concerns, so the problem can be drawn on that node or edge.
 */
import type { LabDocument } from '../../shared/lab.js';

export type ProblemTarget =
  | { kind: 'vm'; name: string }
  | { kind: 'bridge'; name: string }
  | { kind: 'nic'; vm: string; bridge: string }
  | { kind: 'lab' };

export function problemTarget(document: LabDocument, path: string): ProblemTarget {
  const match = /^(vms|bridges|nics)\[(\d+)\]/.exec(path);
  if (!match) return { kind: 'lab' };
  const index = Number(match[2]);
  if (match[1] === 'vms') {
    const vm = document.vms[index];
    return vm ? { kind: 'vm', name: vm.name } : { kind: 'lab' };
  }
  if (match[1] === 'bridges') {
    const bridge = document.bridges[index];
    return bridge ? { kind: 'bridge', name: bridge.name } : { kind: 'lab' };
  }
  const nic = document.nics[index];
  return nic ? { kind: 'nic', vm: nic.vm, bridge: nic.bridge } : { kind: 'lab' };
}

/** The canvas id of the node or edge a target names (null for the whole lab). */
export function targetElementId(target: ProblemTarget): string | null {
  switch (target.kind) {
    case 'vm':
      return `vm:${target.name}`;
    case 'bridge':
      return `bridge:${target.name}`;
    case 'nic':
      return `nic:${target.vm}:${target.bridge}`;
    case 'lab':
      return null;
  }
}
