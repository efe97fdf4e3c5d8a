/**
 * Shared by the helper's system tests: where the bundled helper is, and small wrappers around
 * the host tools the tests use to look at what the helper did (never to do its work for it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Built by the test global setup (scripts/build-node.mjs), exactly as the app ships it. */
export const HELPER_BUNDLE = resolve(REPO_ROOT, 'out/helper/wirebench-helper.mjs');
export const OWNED_DIR = '/run/wirebench/helper/owned';

/** A lab namespace name no other test (or run) uses. */
export function randomNamespace(): string {
  return `wb-${randomBytes(4).toString('hex')}`;
}

/** Runs a host tool and returns stdout; throws with its stderr on failure. */
export function sh(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Like sh, but never throws (clean-up paths). */
export function trySh(file: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function namespaceNames(): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

export interface LinkJson {
  ifname: string;
  flags: string[];
  master?: string;
  operstate?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

export function links(ns: string): LinkJson[] {
  return JSON.parse(sh('ip', ['-n', ns, '-j', '-d', 'link', 'show'])) as LinkJson[];
}

export function link(ns: string, dev: string): LinkJson | undefined {
  return links(ns).find((l) => l.ifname === dev);
}

/** Removes a namespace and its marker whatever state a failed test left them in. */
export function forceRemoveNamespace(ns: string): void {
  trySh('ip', ['netns', 'pids', ns])
    .stdout.split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .forEach((pid) => {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    });
  if (existsSync(`/run/netns/${ns}`)) trySh('ip', ['netns', 'del', ns]);
  rmSync(`${OWNED_DIR}/${ns}`, { force: true });
}
