/**
 * Typed edits of the lab document (as React Flow's `applyNodeChanges`): every edit the UI makes
 * is one of these objects, applied by a pure function that also returns its inverse. The
 * history stores those pairs (deltas), never whole documents, so an undo touches only what
 * the edit touched and runtime-driven updates in between (a pulled cable) survive it.
 *
 * Entities are addressed by name (VMs, bridges) or by their VM–bridge pair (NICs); a rename
 * carries along every NIC that refers to the renamed entity.
 */
import type { Bridge, LabDocument, Nic, Vm } from '../../shared/lab.js';

export type LabChange =
  | { kind: 'vm.add'; vm: Vm; index?: number }
  | { kind: 'vm.remove'; name: string }
  | { kind: 'vm.update'; name: string; patch: Partial<Vm> }
  | { kind: 'bridge.add'; bridge: Bridge; index?: number }
  | { kind: 'bridge.remove'; name: string }
  | { kind: 'bridge.update'; name: string; patch: Partial<Bridge> }
  | { kind: 'nic.add'; nic: Nic; index?: number }
  | { kind: 'nic.remove'; vm: string; bridge: string }
  | { kind: 'nic.update'; vm: string; bridge: string; patch: Partial<Nic> }
  | { kind: 'lab.rename'; name: string };

export interface AppliedChange {
  document: LabDocument;
  /** Changes that undo this one, to be applied in order. */
  inverse: LabChange[];
}

/** An edit that does not fit the document (unknown entity, duplicate); the UI checks first, so this is a bug or a race. */
export class ChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangeError';
  }
}

function insertAt<T>(items: readonly T[], item: T, index: number | undefined): T[] {
  const copy = items.slice();
  const at = index === undefined || index < 0 || index > copy.length ? copy.length : index;
  copy.splice(at, 0, item);
  return copy;
}

/** The values `patch` is about to overwrite, so the inverse restores exactly those keys. */
function previousValues<T extends object>(current: T, patch: Partial<T>): Partial<T> {
  const before: Partial<T> = {};
  for (const key of Object.keys(patch) as Array<keyof T>) before[key] = current[key];
  return before;
}

function findIndexOrThrow<T>(items: readonly T[], match: (item: T) => boolean, what: string): number {
  const index = items.findIndex(match);
  if (index < 0) throw new ChangeError(`${what} is not in the lab (it may have been removed meanwhile)`);
  return index;
}

export function applyChange(doc: LabDocument, change: LabChange): AppliedChange {
  switch (change.kind) {
    case 'vm.add': {
      if (doc.vms.some((v) => v.name === change.vm.name)) throw new ChangeError(`a VM named "${change.vm.name}" already exists`);
      return { document: { ...doc, vms: insertAt(doc.vms, change.vm, change.index) }, inverse: [{ kind: 'vm.remove', name: change.vm.name }] };
    }
    case 'bridge.add': {
      if (doc.bridges.some((b) => b.name === change.bridge.name)) throw new ChangeError(`a bridge named "${change.bridge.name}" already exists`);
      return {
        document: { ...doc, bridges: insertAt(doc.bridges, change.bridge, change.index) },
        inverse: [{ kind: 'bridge.remove', name: change.bridge.name }],
      };
    }
    case 'nic.add': {
      const { vm, bridge } = change.nic;
      if (doc.nics.some((n) => n.vm === vm && n.bridge === bridge)) throw new ChangeError(`VM "${vm}" is already on bridge "${bridge}"`);
      return { document: { ...doc, nics: insertAt(doc.nics, change.nic, change.index) }, inverse: [{ kind: 'nic.remove', vm, bridge }] };
    }
    case 'vm.remove':
    case 'bridge.remove': {
      const isVm = change.kind === 'vm.remove';
      const list: ReadonlyArray<Vm | Bridge> = isVm ? doc.vms : doc.bridges;
      const index = findIndexOrThrow(list, (e) => e.name === change.name, `${isVm ? 'VM' : 'bridge'} "${change.name}"`);
      const entity = list[index]!;
      const attached = (n: Nic) => (isVm ? n.vm : n.bridge) === change.name;
      // NICs are restored in ascending index order, which puts each back exactly where it was.
      const nicInverse: LabChange[] = [];
      doc.nics.forEach((nic, i) => {
        if (attached(nic)) nicInverse.push({ kind: 'nic.add', nic, index: i });
      });
      const remaining = list.filter((_, i) => i !== index);
      const nics = doc.nics.filter((n) => !attached(n));
      const document = isVm ? { ...doc, vms: remaining as Vm[], nics } : { ...doc, bridges: remaining as Bridge[], nics };
      const restore: LabChange = isVm ? { kind: 'vm.add', vm: entity as Vm, index } : { kind: 'bridge.add', bridge: entity as Bridge, index };
      return { document, inverse: [restore, ...nicInverse] };
    }
    case 'nic.remove': {
      const index = findIndexOrThrow(doc.nics, (n) => n.vm === change.vm && n.bridge === change.bridge, `NIC ${change.vm}–${change.bridge}`);
      return { document: { ...doc, nics: doc.nics.filter((_, i) => i !== index) }, inverse: [{ kind: 'nic.add', nic: doc.nics[index]!, index }] };
    }
    case 'vm.update': {
      const index = findIndexOrThrow(doc.vms, (v) => v.name === change.name, `VM "${change.name}"`);
      const current = doc.vms[index]!;
      const renamed = change.patch.name !== undefined && change.patch.name !== current.name ? change.patch.name : null;
      if (renamed && doc.vms.some((v) => v.name === renamed)) throw new ChangeError(`a VM named "${renamed}" already exists`);
      const vms = doc.vms.slice();
      vms[index] = { ...current, ...change.patch };
      const nics = renamed ? doc.nics.map((n) => (n.vm === current.name ? { ...n, vm: renamed } : n)) : doc.nics;
      return {
        document: { ...doc, vms, nics },
        inverse: [{ kind: 'vm.update', name: renamed ?? current.name, patch: previousValues(current, change.patch) }],
      };
    }
    case 'bridge.update': {
      const index = findIndexOrThrow(doc.bridges, (b) => b.name === change.name, `bridge "${change.name}"`);
      const current = doc.bridges[index]!;
      const renamed = change.patch.name !== undefined && change.patch.name !== current.name ? change.patch.name : null;
      if (renamed && doc.bridges.some((b) => b.name === renamed)) throw new ChangeError(`a bridge named "${renamed}" already exists`);
      const bridges = doc.bridges.slice();
      bridges[index] = { ...current, ...change.patch };
      const nics = renamed ? doc.nics.map((n) => (n.bridge === current.name ? { ...n, bridge: renamed } : n)) : doc.nics;
      return {
        document: { ...doc, bridges, nics },
        inverse: [{ kind: 'bridge.update', name: renamed ?? current.name, patch: previousValues(current, change.patch) }],
      };
    }
    case 'nic.update': {
      const index = findIndexOrThrow(doc.nics, (n) => n.vm === change.vm && n.bridge === change.bridge, `NIC ${change.vm}–${change.bridge}`);
      const current = doc.nics[index]!;
      const next: Nic = { ...current, ...change.patch };
      // Optional fields set to undefined are dropped, so the saved file has no `"ip": null` noise.
      for (const key of Object.keys(next) as Array<keyof Nic>) if (next[key] === undefined) delete next[key];
      const nics = doc.nics.slice();
      nics[index] = next;
      return {
        document: { ...doc, nics },
        inverse: [{ kind: 'nic.update', vm: next.vm, bridge: next.bridge, patch: previousValues(current, change.patch) }],
      };
    }
    case 'lab.rename':
      return { document: { ...doc, name: change.name }, inverse: [{ kind: 'lab.rename', name: doc.name }] };
  }
}

/** Applies several changes as one edit; the inverse undoes them last-first. */
export function applyChanges(doc: LabDocument, changes: readonly LabChange[]): AppliedChange {
  let document = doc;
  const inverses: LabChange[][] = [];
  for (const change of changes) {
    const applied = applyChange(document, change);
    document = applied.document;
    inverses.push(applied.inverse);
  }
  return { document, inverse: inverses.reverse().flat() };
}
