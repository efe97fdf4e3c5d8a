/**
 * What a test needs from the machine, and what happens when it is missing: on a developer's
 * machine the file is skipped with a warning naming what to install; with `CI=true` the same
 * gap is a failure (a CI machine that silently skips its VM tests proves nothing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findTinyGuest } from '../../electron/engine/qemu/tiny-guest.js';

export const CHROMIUM_PATH = process.env.WIREBENCH_CHROMIUM ?? '/usr/bin/chromium';

/** Debian's Chromium, for pages driven by playwright-core. */
export function missingChromium(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `Debian chromium is not installed (${CHROMIUM_PATH}): apt-get install chromium`;
}

/** Root, QEMU, the tiny guest (and tshark): what booting real labs takes. */
export function missingLabHost(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  for (const [tool, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['tshark', 'tshark']] as const) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed: apt-get install ${pkg}`;
    }
  }
  try {
    findTinyGuest();
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/** True when the file should be skipped; throws under CI=true instead. */
export function skipWhenMissing(file: string, ...missing: Array<string | null>): boolean {
  const gaps = missing.filter((m): m is string => m !== null);
  if (gaps.length === 0) return false;
  if (process.env.CI === 'true') throw new Error(`${file}: ${gaps.join('; ')} (CI=true: a missing prerequisite fails the run instead of skipping it)`);
  console.warn(`${file} skipped: ${gaps.join('; ')}`);
  return true;
}
