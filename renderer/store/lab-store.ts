/**
 * The lab document as the designer edits it: this window's replica of the engine's document,
 * changed only through typed `LabChange`s (shared/lab-changes.ts) with an undo history of deltas
 * (history.ts). Local edits (and undo/redo, which are edits too) are applied at once and queued
 * in `unsent` for engine-sync.ts to send as one batch; batches from the engine (another window,
 * a pulled cable from the CLI) arrive through `applyRemote` and never enter history. Runtime
 * data — VM states, counters, problems — lives in runtime-store.ts and counter-hub.ts.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { LabDocument } from '../../shared/lab.js';
import { applyChanges, ChangeError, type LabChange } from '../../shared/lab-changes.js';
import { addPending, changeKey, commitPending, emptyHistory, record, type CaptureTag, type History } from './history.js';

export interface LabStoreState {
  document: LabDocument | null;
  /** File the document was opened from or saved to; null for a lab never saved. */
  path: string | null;
  /** Document text at the last open or save, to tell whether undo brought us back to it. */
  savedText: string | null;
  dirty: boolean;
  history: History;
  /** Bumped by every edit the engine has not seen yet (local edits, undo, redo); not by `never` updates. */
  localRevision: number;
  /** The engine's revision this document includes (null: not known, e.g. a test's document). */
  revision: number | null;
  /** Local edits not yet sent to the engine, in order (a drag's moves collapse to the latest). */
  unsent: LabChange[];
  /** The last edit the store refused, for the status bar. */
  lastError: string | null;

  load(lab: { path: string | null; document: LabDocument; revision?: number | undefined }): void;
  /** Applies an edit; returns false (and sets `lastError`) when the document cannot take it. */
  apply(changes: LabChange | readonly LabChange[], tag?: CaptureTag): boolean;
  /** Ends a `later` edit (a drag) as one undo step. */
  commitPending(): void;
  undo(): void;
  redo(): void;
  /** Takes the engine's whole document (a reload after a refused batch) without recording it; drops unsent edits. */
  adoptRemote(lab: { path: string | null; document: LabDocument; revision?: number | undefined }): void;
  /** Applies a batch the engine applied (another window's edit) at `revision`, without recording it; false when it does not fit. */
  applyRemote(changes: readonly LabChange[], revision: number): boolean;
  /** Hands the unsent local edits to the sender (and forgets them). */
  takeUnsent(): LabChange[];
  setRevision(revision: number): void;
  markSaved(path: string): void;
}

const textOf = (doc: LabDocument | null) => (doc ? JSON.stringify(doc) : null);

export type LabStore = StoreApi<LabStoreState>;

const isUpdate = (c: LabChange) => c.kind === 'vm.update' || c.kind === 'bridge.update' || c.kind === 'nic.update';

/** Queues local changes; a batch of updates repeating the queue's tail (a drag's next move) replaces it. */
function enqueue(unsent: readonly LabChange[], changes: readonly LabChange[]): LabChange[] {
  const n = changes.length;
  if (n > 0 && unsent.length >= n && changes.every(isUpdate)) {
    const tail = unsent.slice(-n);
    if (tail.every((c, i) => changeKey(c) === changeKey(changes[i]!))) return [...unsent.slice(0, -n), ...changes];
  }
  return [...unsent, ...changes];
}

export function createLabStore(): LabStore {
  return createStore<LabStoreState>()((set, get) => {
    const setDocument = (document: LabDocument, history: History, local: readonly LabChange[] | null, dirtyHint?: boolean) => {
      const { savedText, localRevision, unsent } = get();
      // During a drag the document changes on every mouse move: skip the text comparison then.
      const dirty = dirtyHint ?? textOf(document) !== savedText;
      set({ document, history, dirty, ...(local ? { localRevision: localRevision + 1, unsent: enqueue(unsent, local) } : {}), lastError: null });
    };

    return {
      document: null,
      path: null,
      savedText: null,
      dirty: false,
      history: emptyHistory(),
      localRevision: 0,
      revision: null,
      unsent: [],
      lastError: null,

      load: ({ path, document, revision }) =>
        set({ document, path, savedText: textOf(document), dirty: false, history: emptyHistory(), lastError: null, revision: revision ?? null, unsent: [] }),

      apply: (input, tag = 'now') => {
        const { document, history } = get();
        if (!document) {
          set({ lastError: 'no lab is open; open a lab or create a new one first' });
          return false;
        }
        const changes = Array.isArray(input) ? (input as readonly LabChange[]) : [input as LabChange];
        if (changes.length === 0) return true;
        try {
          const applied = applyChanges(document, changes);
          // A `now` edit arriving mid-drag closes the drag first, so the two stay separate steps.
          const settled = tag === 'now' && history.pending ? commitPending(history) : history;
          const next =
            tag === 'now' ? record(settled, { redo: [...changes], undo: applied.inverse }) : tag === 'later' ? addPending(history, changes, applied.inverse) : history;
          setDocument(applied.document, next, tag === 'never' ? null : changes, tag === 'later' ? true : undefined);
          return true;
        } catch (err) {
          if (!(err instanceof ChangeError)) throw err;
          set({ lastError: err.message });
          return false;
        }
      },

      commitPending: () => {
        const { history, document } = get();
        if (!history.pending) return;
        set({ history: commitPending(history), dirty: textOf(document) !== get().savedText });
      },

      undo: () => {
        const { document, history } = get();
        const settled = history.pending ? commitPending(history) : history;
        const entry = settled.undo.at(-1);
        if (!document || !entry) return;
        try {
          const applied = applyChanges(document, entry.undo);
          setDocument(applied.document, { undo: settled.undo.slice(0, -1), redo: [...settled.redo, entry], pending: null }, entry.undo);
        } catch (err) {
          if (!(err instanceof ChangeError)) throw err;
          // The entity this step touched is gone (removed by the engine): drop the step, keep the rest.
          set({ history: { ...settled, undo: settled.undo.slice(0, -1) }, lastError: `cannot undo: ${err.message}` });
        }
      },

      redo: () => {
        const { document, history } = get();
        const entry = history.redo.at(-1);
        if (!document || !entry) return;
        try {
          const applied = applyChanges(document, entry.redo);
          setDocument(applied.document, { undo: [...history.undo, entry], redo: history.redo.slice(0, -1), pending: null }, entry.redo);
        } catch (err) {
          if (!(err instanceof ChangeError)) throw err;
          set({ history: { ...history, redo: history.redo.slice(0, -1) }, lastError: `cannot redo: ${err.message}` });
        }
      },

      adoptRemote: ({ path, document, revision }) => {
        set({ document, path, dirty: textOf(document) !== get().savedText, revision: revision ?? null, unsent: [] });
      },

      applyRemote: (changes, revision) => {
        const { document, savedText } = get();
        if (!document) return false;
        try {
          const applied = applyChanges(document, changes);
          set({ document: applied.document, dirty: textOf(applied.document) !== savedText, revision });
          return true;
        } catch (err) {
          if (!(err instanceof ChangeError)) throw err;
          return false;
        }
      },

      takeUnsent: () => {
        const { unsent } = get();
        if (unsent.length) set({ unsent: [] });
        return unsent;
      },

      setRevision: (revision) => set({ revision }),

      markSaved: (path) => set({ path, savedText: textOf(get().document), dirty: false }),
    };
  });
}

/** The app's one document store (tests create their own with `createLabStore`). */
export const labStore = createLabStore();

export function useLab<T>(selector: (state: LabStoreState) => T): T {
  return useStore(labStore, selector);
}

export const canUndo = (s: LabStoreState) => s.history.undo.length > 0 || (s.history.pending?.size ?? 0) > 0;
export const canRedo = (s: LabStoreState) => s.history.redo.length > 0;
