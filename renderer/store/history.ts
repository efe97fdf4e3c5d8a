/**
 * Undo/redo history of document deltas, tagged like excalidraw's store updates:
 *   - `now`:   record this edit as one undo step;
 *   - `never`: apply without recording (runtime or remote updates: a cable pulled by the engine);
 *   - `later`: an edit in progress (a drag): fold every step into one pending entry that becomes
 *              a single undo step when `commitPending` runs (on mouse-up).
 */
import type { LabChange } from '../../shared/lab-changes.js';

export type CaptureTag = 'now' | 'never' | 'later';

export interface HistoryEntry {
  redo: LabChange[];
  undo: LabChange[];
}

export interface History {
  undo: HistoryEntry[];
  redo: HistoryEntry[];
  /** The in-progress `later` edit: the first undo per key and the latest redo per key. */
  pending: Map<string, HistoryEntry> | null;
}

export const MAX_HISTORY = 200;

export const emptyHistory = (): History => ({ undo: [], redo: [], pending: null });

/** Which part of the document a change touches; consecutive `later` changes to one key collapse. */
export function changeKey(change: LabChange): string {
  switch (change.kind) {
    case 'vm.add':
      return `vm:${change.vm.name}:add`;
    case 'bridge.add':
      return `bridge:${change.bridge.name}:add`;
    case 'nic.add':
      return `nic:${change.nic.vm}:${change.nic.bridge}:add`;
    case 'vm.remove':
    case 'bridge.remove':
      return `${change.kind}:${change.name}`;
    case 'nic.remove':
      return `nic:${change.vm}:${change.bridge}:remove`;
    case 'vm.update':
    case 'bridge.update':
      return `${change.kind}:${change.name}:${Object.keys(change.patch).sort().join(',')}`;
    case 'nic.update':
      return `nic:${change.vm}:${change.bridge}:${Object.keys(change.patch).sort().join(',')}`;
    case 'lab.rename':
      return 'lab:name';
  }
}

export function record(history: History, entry: HistoryEntry): History {
  const undo = [...history.undo, entry];
  if (undo.length > MAX_HISTORY) undo.splice(0, undo.length - MAX_HISTORY);
  return { undo, redo: [], pending: history.pending };
}

/** Folds a `later` step into the pending entry, keeping the earliest undo for each key. */
export function addPending(history: History, changes: readonly LabChange[], inverse: readonly LabChange[]): History {
  const pending = new Map(history.pending ?? []);
  changes.forEach((change, i) => {
    const key = changeKey(change);
    const existing = pending.get(key);
    // `inverse` is last-first, so the i-th change's inverse sits at the mirrored position
    // when every change has exactly one inverse (true for the updates a drag produces).
    const own = changes.length === inverse.length ? [inverse[inverse.length - 1 - i]!] : [...inverse];
    pending.set(key, { redo: [change], undo: existing ? existing.undo : own });
  });
  return { ...history, pending };
}

/** Turns the pending `later` edit into one undo step; a no-op when nothing is pending. */
export function commitPending(history: History): History {
  if (!history.pending || history.pending.size === 0) return { ...history, pending: null };
  const entries = [...history.pending.values()];
  const entry: HistoryEntry = { redo: entries.flatMap((e) => e.redo), undo: entries.reverse().flatMap((e) => e.undo) };
  return record({ ...history, pending: null }, entry);
}
