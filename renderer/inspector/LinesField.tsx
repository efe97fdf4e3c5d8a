import type { ReactNode } from 'react';
import { FieldNote, useDraft } from './Field.js';

/**
 * A multi-line field: one entry per line (routes, startup commands, hosts). Commits on blur or
 * Ctrl+Enter after `check` passes; shows the problem (with its line) while the draft is
 * invalid, and goes back to the stored value on Escape.
 */
export function LinesField({
  label,
  value,
  check,
  onCommit,
  placeholder,
  testId,
  hint,
}: {
  label: string;
  value: string;
  check(draft: string): string | null;
  onCommit(draft: string): void;
  placeholder?: string;
  testId?: string;
  hint?: ReactNode;
}) {
  const { draft, setDraft, problem, commit } = useDraft(value, check, onCommit);
  return (
    <label className="wb-field">
      <span>{label}</span>
      <textarea
        value={draft}
        placeholder={placeholder}
        data-testid={testId}
        rows={Math.min(8, Math.max(2, draft.split('\n').length + 1))}
        className={problem ? 'invalid' : ''}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) commit();
          if (e.key === 'Escape') setDraft(value);
        }}
      />
      <FieldNote problem={problem} hint={hint} />
    </label>
  );
}

/** The non-empty lines of a draft, trimmed. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}
