import { useEffect, useState, type ReactNode } from 'react';

/**
 * A text field that commits on Enter or blur after `check` passes; shows the problem while the
 * draft is invalid and goes back to the stored value on Escape.
 */
export function Field({
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
      <input
        value={draft}
        placeholder={placeholder}
        data-testid={testId}
        className={problem ? 'invalid' : ''}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setDraft(value);
        }}
      />
      <FieldNote problem={problem} hint={hint} />
    </label>
  );
}

/**
 * A field's draft: follows the stored value when it changes outside, knows its problem (none
 * while it equals the stored value), and commits only a changed, valid draft.
 */
export function useDraft(value: string, check: (draft: string) => string | null, onCommit: (draft: string) => void) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const problem = draft === value ? null : check(draft);
  const commit = () => {
    if (draft !== value && !problem) onCommit(draft);
  };
  return { draft, setDraft, problem, commit };
}

/** Under a field: its problem while the draft is invalid, else its hint. */
export function FieldNote({ problem, hint }: { problem: string | null; hint?: ReactNode }) {
  if (problem) return <small className="wb-field-problem" role="alert">{problem}</small>;
  return hint ? <small className="wb-muted">{hint}</small> : null;
}

/** Integer within bounds, or the reason it is not. */
export function intProblem(text: string, min: number, max: number, unit = ''): string | null {
  if (!/^\d+$/.test(text.trim())) return `write a whole number${unit ? ` of ${unit}` : ''}`;
  const n = Number(text);
  return n < min || n > max ? `must be ${min}–${max}${unit ? ` ${unit}` : ''}` : null;
}
