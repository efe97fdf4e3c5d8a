/**
 * Reading process facts from /proc for the fault tests: who is whose child, what a process
 * runs, and how much CPU it has used. The tests assert on these ("no helper and no tcpdump
 * of that engine remains"), so they must not rely on the processes' own cooperation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isProcessRunning } from '../../common/process-state.js';

export { isProcessRunning };

function stat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which is in parentheses and may contain spaces).
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function parentOf(pid: number): number | null {
  const fields = stat(pid);
  return fields ? Number(fields[1]) : null;
}

/** utime + stime in clock ticks (1/100 s here), or null once the process is gone. */
export function cpuTicks(pid: number): number | null {
  const fields = stat(pid);
  return fields ? Number(fields[11]) + Number(fields[12]) : null;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Living children of `pid` (zombies excluded). */
export function childrenOf(pid: number): number[] {
  return allPids().filter((p) => parentOf(p) === pid && isProcessRunning(p));
}

/** Living processes whose command line contains `text`. */
export function processesRunning(text: string): number[] {
  return allPids().filter((p) => p !== process.pid && isProcessRunning(p) && commandLine(p).includes(text));
}
