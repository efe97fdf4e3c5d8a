import { useState, type KeyboardEvent } from 'react';
import type { NodeKind } from '../store/edit-rules.js';
import { renameProblem } from '../store/edit-rules.js';
import { labStore, useLab } from '../store/lab-store.js';
import { useUi } from '../store/ui-store.js';
import { nodeId } from '../store/edit-rules.js';

/** A node's name; double-click to rename in place, checked as you type with the shared name rules. */
export function InlineName({ kind, name }: { kind: NodeKind; name: string }) {
  const id = nodeId(kind, name);
  const editing = useUi((s) => s.renaming === id);
  const setRenaming = useUi((s) => s.setRenaming);
  const document = useLab((s) => s.document);
  const [draft, setDraft] = useState(name);
  const problem = document ? renameProblem(document, kind, name, draft) : null;

  if (!editing) {
    return (
      <span
        className="wb-node-name"
        data-testid={`name-${id}`}
        title="Double-click to rename"
        onDoubleClick={(e) => {
          e.stopPropagation();
          setDraft(name);
          setRenaming(id);
        }}
      >
        {name}
      </span>
    );
  }

  const commit = () => {
    if (problem) return;
    if (draft !== name && labStore.getState().apply({ kind: kind === 'vm' ? 'vm.update' : 'bridge.update', name, patch: { name: draft } })) {
      useUi.getState().renameSelected(id, nodeId(kind, draft));
    }
    setRenaming(null);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    e.stopPropagation();
    if (e.key === 'Enter') commit();
    if (e.key === 'Escape') setRenaming(null);
  };
  return (
    <span className="wb-rename nodrag">
      <input
        autoFocus
        aria-label={`rename ${kind} ${name}`}
        data-testid="rename-input"
        className={problem ? 'invalid' : ''}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => (problem ? setRenaming(null) : commit())}
        onFocus={(e) => e.target.select()}
      />
      {problem && <span className="wb-rename-problem" role="alert">{problem}</span>}
    </span>
  );
}
