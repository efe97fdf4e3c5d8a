import { useState } from 'react';
import { useUi } from '../store/ui-store.js';
import { useRuntime } from '../store/runtime-store.js';
import { useChoice, type ChoiceRequest } from './choice-request.js';

/** Browser mode's stand-ins for native dialogs: a path typed by hand, a yes/no question, and a choice (save failures). */
export function Dialogs() {
  const pathRequest = useUi((s) => s.pathRequest);
  const confirmRequest = useUi((s) => s.confirmRequest);
  const choiceRequest = useChoice((s) => s.request);
  return (
    <>
      {choiceRequest && <ChoiceDialog request={choiceRequest} />}
      {pathRequest && <PathDialog key={pathRequest.title} title={pathRequest.title} initial={pathRequest.initial} resolve={pathRequest.resolve} />}
      {confirmRequest && (
        <div className="wb-dialog-backdrop">
          <div className="wb-dialog" role="alertdialog" aria-label="confirm" data-testid="confirm-dialog">
            <p>{confirmRequest.message}</p>
            <div className="wb-row wb-right">
              <button onClick={() => confirmRequest.resolve(false)} data-testid="confirm-no">Cancel</button>
              <button className="wb-primary" autoFocus onClick={() => confirmRequest.resolve(true)} data-testid="confirm-yes">OK</button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

function ChoiceDialog({ request }: { request: ChoiceRequest }) {
  return (
    <div className="wb-dialog-backdrop">
      <div className="wb-dialog" role="alertdialog" aria-label={request.title} data-testid="choice-dialog" onKeyDown={(e) => e.key === 'Escape' && request.resolve(null)}>
        <h2>{request.title}</h2>
        <p>{request.message}</p>
        <div className="wb-row wb-right">
          <button onClick={() => request.resolve(null)} data-testid="choice-cancel">Cancel</button>
          {request.choices.map((choice) => (
            <button key={choice.id} className={choice.primary ? 'wb-primary' : undefined} autoFocus={choice.primary} onClick={() => request.resolve(choice.id)} data-testid={`choice-${choice.id}`}>
              {choice.label}
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}

function PathDialog({ title, initial, resolve }: { title: string; initial: string; resolve(path: string | null): void }) {
  const [path, setPath] = useState(initial);
  const problem = path.trim() === '' ? 'type a path' : !path.startsWith('/') ? 'use an absolute path (it is a file on the engine host)' : null;
  return (
    <div className="wb-dialog-backdrop">
      <form
        className="wb-dialog"
        role="dialog"
        aria-label={title}
        data-testid="path-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem) resolve(path.trim());
        }}
      >
        <h2>{title}</h2>
        <input autoFocus value={path} onChange={(e) => setPath(e.target.value)} data-testid="path-input" onKeyDown={(e) => e.key === 'Escape' && resolve(null)} />
        {problem && <small className="wb-field-problem">{problem}</small>}
        <div className="wb-row wb-right">
          <button type="button" onClick={() => resolve(null)}>Cancel</button>
          <button type="submit" className="wb-primary" disabled={!!problem} data-testid="path-ok">OK</button>
        </div>
      </form>
    </div>
  );
}

export function Notices() {
  const notices = useRuntime((s) => s.notices);
  const dismiss = useRuntime((s) => s.dismiss);
  return (
    <div className="wb-notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`wb-notice ${n.level}`} data-testid={`notice-${n.level}`}>
          <span>{n.text}</span>
          <button onClick={() => dismiss(n.id)} aria-label="dismiss">×</button>
        </div>
      ))}
    </div>
  );
}
