/**
 * The lab document as the designer edits it: one zustand store, changed only through typed
 * `LabChange`s (see lab-changes.ts) with an undo history of deltas (history.ts). Runtime data —
 * VM states, counters, problems reported by the engine — lives in runtime-store.ts and
 * counter-hub.ts and never enters this history.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { LabDocument } from '../../shared/lab.js';
import { applyChanges, ChangeError, type LabChange } from './lab-changes.js';
import { addPending, commitPending, emptyHistory, record, type CaptureTag, type History } from './history.js';

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
  /** The last edit the store refused, for the status bar. */
  lastError: string | null;

  load(lab: { path: string | null; document: LabDocument }): void;
  /** Applies an edit; returns false (and sets `lastError`) when the document cannot take it. */
  apply(changes: LabChange | readonly LabChange[], tag?: CaptureTag): boolean;
  /** Ends a `later` edit (a drag) as one undo step. */
  commitPending(): void;
  undo(): void;
  redo(): void;
  /** Takes an engine-side document (after a pulled cable, another window's edit) without recording it. */
  adoptRemote(lab: { path: string | null; document: LabDocument }): void;
  markSaved(path: string): void;
}

const textOf = (doc: LabDocument | null) => (doc ? JSON.stringify(doc) : null);

export type LabStore = StoreApi<LabStoreState>;

export function createLabStore(): LabStore {
  return createStore<LabStoreState>()((set, get) => {
    const setDocument = (document: LabDocument, history: History, local: boolean, dirtyHint?: boolean) => {
      const { savedText, localRevision } = get();
      // During a drag the document changes on every mouse move: skip the text comparison then.
      const dirty = dirtyHint ?? textOf(document) !== savedText;
      set({ document, history, dirty, localRevision: local ? localRevision + 1 : localRevision, lastError: null });
    };

    return {
      document: null,
      path: null,
      savedText: null,
      dirty: false,
      history: emptyHistory(),
      localRevision: 0,
      lastError: null,

      load: ({ path, document }) =>
        set({ document, path, savedText: textOf(document), dirty: false, history: emptyHistory(), lastError: null }),

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
          setDocument(applied.document, next, tag !== 'never', tag === 'later' ? true : undefined);
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
          setDocument(applied.document, { undo: settled.undo.slice(0, -1), redo: [...settled.redo, entry], pending: null }, true);
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
          setDocument(applied.document, { undo: [...history.undo, entry], redo: history.redo.slice(0, -1), pending: null }, true);
        } catch (err) {
          if (!(err instanceof ChangeError)) throw err;
          set({ history: { ...history, redo: history.redo.slice(0, -1) }, lastError: `cannot redo: ${err.message}` });
        }
      },

      adoptRemote: ({ path, document }) => {
        const current = get();
        if (textOf(current.document) === textOf(document) && current.path === path) return;
        set({ document, path, dirty: textOf(document) !== current.savedText });
      },

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
