/**
 * Typed edits of the lab document (as React Flow's `applyNodeChanges`): every edit is one of
 * these objects, applied by a pure function that also returns its inverse. The renderer applies
 * them to its copy and keeps the inverses as undo history (deltas, never whole documents, so an
 * undo touches only what the edit touched); the engine, which owns the document, applies the
 * same batches (`lab.change`) and broadcasts them (`lab.changed`). One function, both sides.
 *
 * Entities are addressed by name (VMs, bridges) or by their VM–bridge pair (NICs); a rename
 * carries along every NIC that refers to the renamed entity. In a patch, `undefined` removes an
 * optional field; on the wire (JSON has no undefined) that is `null` (`changesToWire`).
 */
import { z } from 'zod';
import { bridgeSchema, nicSchema, vmSchema, type Bridge, type LabDocument, type Nic, type Vm } from './lab.js';

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

/** Optional fields set to undefined are dropped, so the saved file has no `"ip": null` noise. */
function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
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
      vms[index] = withoutUndefined({ ...current, ...change.patch });
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
      const next: Nic = withoutUndefined({ ...current, ...change.patch });
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

// ---------------------------------------------------------------------------------------------
// On the wire (lab.change, lab.changed)
// ---------------------------------------------------------------------------------------------

/**
 * A patch of an entity: every field optional, without the document's defaults (a patch that
 * leaves `cpus` out must not set it to 1), and optional fields nullable (null = remove it).
 */
function patchSchema<S extends z.ZodRawShape>(shape: S) {
  const fields: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) {
    const type = field as z.ZodType;
    if (type instanceof z.ZodDefault) fields[key] = (type.unwrap() as z.ZodType).optional();
    else if (type instanceof z.ZodOptional) fields[key] = (type.unwrap() as z.ZodType).nullable().optional();
    else fields[key] = type.optional();
  }
  return z.strictObject(fields);
}

const entityName = z.string().min(1).max(64);
const index = z.number().int().min(0).max(100_000).optional();

/** One change as it crosses between processes (checked field by field with the document's own schemas). */
export const labChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('vm.add'), vm: vmSchema, index }),
  z.strictObject({ kind: z.literal('vm.remove'), name: entityName }),
  z.strictObject({ kind: z.literal('vm.update'), name: entityName, patch: patchSchema(vmSchema.shape) }),
  z.strictObject({ kind: z.literal('bridge.add'), bridge: bridgeSchema, index }),
  z.strictObject({ kind: z.literal('bridge.remove'), name: entityName }),
  z.strictObject({ kind: z.literal('bridge.update'), name: entityName, patch: patchSchema(bridgeSchema.shape) }),
  z.strictObject({ kind: z.literal('nic.add'), nic: nicSchema, index }),
  z.strictObject({ kind: z.literal('nic.remove'), vm: entityName, bridge: entityName }),
  z.strictObject({ kind: z.literal('nic.update'), vm: entityName, bridge: entityName, patch: patchSchema(nicSchema.shape) }),
  z.strictObject({ kind: z.literal('lab.rename'), name: z.string().min(1).max(100) }),
]);
/** A change as parsed from the wire: patches may hold `null` (remove the field). */
export type WireLabChange = z.infer<typeof labChangeSchema>;

/** At most this many changes in one batch (a whole-lab restore is one batch). */
export const MAX_BATCH = 20_000;
export const labChangeBatchSchema = z.array(labChangeSchema).max(MAX_BATCH);

const hasPatch = (c: LabChange): c is Extract<LabChange, { patch: unknown }> => 'patch' in c;

/** The batch as JSON can carry it: a removed field (`undefined` in a patch) becomes `null`. */
export function changesToWire(changes: readonly LabChange[]): WireLabChange[] {
  return changes.map((c) => {
    if (!hasPatch(c)) return c as WireLabChange;
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(c.patch)) patch[key] = value === undefined ? null : value;
    return { ...c, patch } as WireLabChange;
  });
}

/** The batch a receiver applies: `null` in a patch means "remove this optional field". */
export function changesFromWire(changes: readonly WireLabChange[]): LabChange[] {
  return changes.map((c) => {
    if (!('patch' in c)) return c as LabChange;
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(c.patch)) patch[key] = value === null ? undefined : value;
    return { ...c, patch } as LabChange;
  });
}
