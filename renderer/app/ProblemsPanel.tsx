import { useRuntime } from '../store/runtime-store.js';
import { useUi } from '../store/ui-store.js';
import { targetElementId } from '../store/problem-targets.js';

/** Every problem the engine found, with its JSON path; clicking one selects what it concerns. */
export function ProblemsPanel() {
  const problems = useRuntime((s) => s.problems);
  if (problems.length === 0) return <footer className="wb-problems wb-ok" data-testid="problems">No problems</footer>;
  return (
    <footer className="wb-problems" data-testid="problems">
      <strong>
        {problems.filter((p) => p.severity === 'error').length} error(s), {problems.filter((p) => p.severity === 'warning').length} warning(s)
      </strong>
      <ul>
        {problems.map((p, i) => {
          const id = targetElementId(p.target);
          return (
            <li key={i} className={p.severity}>
              <button className="wb-link" disabled={!id} onClick={() => id && useUi.getState().setSelected([id])}>
                {p.path || 'lab'}
              </button>{' '}
              {p.message}
            </li>
          );
        })}
      </ul>
    </footer>
  );
}
