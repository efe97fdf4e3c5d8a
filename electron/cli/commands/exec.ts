/**
 * `wirebench exec FILE VM -- CMD…`: runs CMD in the guest's shell over its console (`vm.run`),
 * prints what it printed and exits with its exit code (like ssh).
 */
import type { LabConnection } from '../lab-connection.js';
import type { ExecArgs } from './verb-args.js';
import { requireRunning, requireVmName } from './verb-support.js';

export async function execCommand(lab: LabConnection, args: ExecArgs, write: (text: string) => void): Promise<number> {
  requireVmName(lab.document, args.vm);
  await requireRunning(lab, args.file, args.vm);
  const result = await lab.invoke('vm.run', { vm: args.vm, command: args.command, ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}) });
  if (result.output) write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
  return Math.max(0, Math.min(255, result.exitCode));
}
