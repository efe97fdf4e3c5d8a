import { canRedo, canUndo, labStore, useLab } from '../store/lab-store.js';
import { hasErrors, useRuntime } from '../store/runtime-store.js';
import { useUi } from '../store/ui-store.js';
import { useActions } from './actions-context.js';

export function Toolbar({ mode }: { mode: 'electron' | 'browser' }) {
  const actions = useActions();
  const name = useLab((s) => s.document?.name ?? '');
  const path = useLab((s) => s.path);
  const dirty = useLab((s) => s.dirty);
  const undoable = useLab(canUndo);
  const redoable = useLab(canRedo);
  const errors = useRuntime(hasErrors);
  const running = useRuntime((s) => s.labRunning);
  const busy = useRuntime((s) => s.busy);
  const restartNeeded = useRuntime((s) => s.restartNeeded);
  return (
    <header className="wb-toolbar" role="toolbar">
      <strong className="wb-title" data-testid="lab-title" title={path ?? 'never saved'}>
        {name}
        {dirty && <span className="wb-dirty" data-testid="dirty" title="unsaved changes"> ●</span>}
      </strong>
      <span className="wb-path wb-muted">{path ?? 'not saved yet'}</span>
      <span className="wb-spacer" />
      {mode === 'browser' && (
        <>
          <button onClick={() => void actions.newLab()}>New</button>
          <button onClick={() => void actions.open()} data-testid="open">Open…</button>
          <button onClick={() => void actions.save()} data-testid="save">Save</button>
          <button onClick={() => void actions.saveAs()} data-testid="save-as">Save As…</button>
        </>
      )}
      <button onClick={() => labStore.getState().undo()} disabled={!undoable} data-testid="undo" title="Undo (Ctrl+Z)">Undo</button>
      <button onClick={() => labStore.getState().redo()} disabled={!redoable} data-testid="redo" title="Redo (Ctrl+Shift+Z)">Redo</button>
      <button onClick={() => useUi.getState().requestFitView()} title="Fit the lab in the window">Fit</button>
      <span className="wb-sep" />
      {restartNeeded.length > 0 && <span className="wb-warn" title={restartNeeded.join('\n')}>restart needed</span>}
      {busy && <span className="wb-busy">{busy}</span>}
      <button
        className="wb-primary"
        onClick={() => void actions.startLab()}
        disabled={errors || !!busy}
        title={errors ? 'fix the errors in the problems list first' : 'boot every VM of the lab'}
        data-testid="lab-start"
      >
        {running ? 'Start (apply)' : 'Start lab'}
      </button>
      <button onClick={() => void actions.stopLab()} disabled={!!busy} data-testid="lab-stop">Stop lab</button>
    </header>
  );
}
