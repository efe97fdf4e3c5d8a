/**
 * Page-level behaviour around the canvas: keyboard shortcuts (browser mode; Electron's menu
 * owns the accelerators there), the unsaved-work guard, autosave to the recovery copy, and the
 * Electron shell's menu and title.
 */
import { labStore } from '../store/lab-store.js';
import { useUi } from '../store/ui-store.js';
import type { ShellApi } from '../../shared/shell-api.js';
import type { LabActions } from './lab-actions.js';
import type { LabApi } from '../../shared/api.js';

const AUTOSAVE_DELAY_MS = 3000;

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function installKeyboard(actions: LabActions): () => void {
  const onKey = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (!mod || isTyping(e.target)) return;
    const key = e.key.toLowerCase();
    if (key === 'z' && !e.shiftKey) labStore.getState().undo();
    else if ((key === 'z' && e.shiftKey) || key === 'y') labStore.getState().redo();
    else if (key === 's') void (e.shiftKey ? actions.saveAs() : actions.save());
    else if (key === 'o') void actions.open();
    else return;
    e.preventDefault();
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}

/** The browser's own "leave site?" prompt while there are unsaved edits. */
export function installUnloadGuard(): () => void {
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!labStore.getState().dirty) return;
    e.preventDefault();
    e.returnValue = '';
  };
  window.addEventListener('beforeunload', onBeforeUnload);
  return () => window.removeEventListener('beforeunload', onBeforeUnload);
}

export function installAutosave(api: Pick<LabApi, 'recovery'>): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = labStore.subscribe((state, previous) => {
    if (state.document === previous.document || !state.dirty) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const { document, path, dirty } = labStore.getState();
      // A failed autosave must not disturb editing; the lab can still be saved normally.
      if (document && dirty) void api.recovery.write({ path, document }).catch(() => undefined);
    }, AUTOSAVE_DELAY_MS);
  });
  return () => {
    if (timer) clearTimeout(timer);
    unsubscribe();
  };
}

export function installShell(shell: ShellApi, actions: LabActions): () => void {
  const offMenu = shell.onMenuCommand((m) => {
    switch (m.command) {
      case 'new':
        return void actions.newLab();
      case 'open':
        return void actions.open();
      case 'openRecent':
        return void actions.open(m.path);
      case 'openDemo':
        return void actions.openDemo();
      case 'save':
        return void actions.save();
      case 'saveAs':
        return void actions.saveAs();
      case 'export':
        return void actions.exportScript();
      case 'undo':
        return labStore.getState().undo();
      case 'redo':
        return labStore.getState().redo();
      case 'fitView':
        return useUi.getState().requestFitView();
    }
  });
  let last = '';
  const report = () => {
    const { document, path, dirty } = labStore.getState();
    const state = { name: document?.name ?? 'Wirebench', path, dirty };
    const key = JSON.stringify(state);
    if (key !== last) shell.setDocumentState(state);
    last = key;
  };
  report();
  const offStore = labStore.subscribe(report);
  return () => {
    offMenu();
    offStore();
  };
}
