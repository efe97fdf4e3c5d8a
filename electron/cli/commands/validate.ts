import { readFile } from 'node:fs/promises';
import { formatProblem, parseLab } from '../../../shared/lab.js';

/** `wirebench validate FILE`: prints every problem with its JSON path; exit 1 on errors. */
export async function validateCommand(file: string, out: (line: string) => void): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    out(`${file}: cannot read: ${(err as Error).message}`);
    return 1;
  }
  const result = parseLab(text);
  for (const problem of result.problems) out(`${file}: ${formatProblem(problem)}`);
  if (!result.ok) {
    out(`${file}: invalid (${result.problems.filter((p) => p.severity === 'error').length} error(s))`);
    return 1;
  }
  out(`${file}: ok (${result.lab.vms.length} VMs, ${result.lab.bridges.length} bridges, ${result.lab.nics.length} NICs)`);
  return 0;
}
