/**
 * The suite's one summary line (scripts/run-tests.mjs prints it before `N passed, N failed`):
 * how many faults the tests injected, how many bad inputs they tried, and how many objects they
 * found leaked afterwards (namespaces, interfaces, processes, runtime files; must be 0).
 *
 * Each test adds its counts as one JSON line to test-results/tally.jsonl (O_APPEND writes of one
 * short line, so the suite's parallel workers never interleave); run-tests.mjs empties the file
 * before the run and sums it after.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TALLY_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'tally.jsonl');

export interface Tally {
  /** Faults injected: a killed process, a full disk, a read-only folder, a file changed underneath. */
  faults?: number;
  /** Bad inputs tried: malformed requests, refused options, invalid documents. */
  badInputs?: number;
  /** Objects found left behind by a leak check (0 when the check passed). */
  leaked?: number;
}

/** Adds one test's counts to the suite's tally; `test` names it in the file. */
export function tally(test: string, counts: Tally): void {
  mkdirSync(dirname(TALLY_FILE), { recursive: true });
  appendFileSync(join(TALLY_FILE), `${JSON.stringify({ test, ...counts })}\n`);
}
