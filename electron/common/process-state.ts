/**
 * Whether a process is still running, read from `/proc/<pid>/stat` (world-readable, so it works
 * for other users' processes too). A zombie (`Z`) or dead (`X`) process counts as gone: on these
 * machines PID 1 may reap a daemonized QEMU late, and signal 0 still answers for a zombie.
 *
 * electron/common/ holds Node-only code the engine, the helper and the CLI share; shared/ is for
 * code that also runs in the page, so it may not read /proc.
 */
import { readFileSync } from 'node:fs';

export function isProcessRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name, which is in parentheses and may itself contain ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
