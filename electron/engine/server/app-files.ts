/**
 * Finds files that ship with the app (the built renderer, the demo lab) from wherever this
 * code runs: the source tree under tsx/vitest, or a bundle in out/cli or out/main.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest ancestor of this module's folder that contains `relative`, or null. */
export function findAppFile(relative: string, from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function rendererDir(): string {
  const fromEnv = process.env.WIREBENCH_RENDERER_DIR;
  if (fromEnv) return fromEnv;
  return findAppFile(join('out', 'renderer', 'index.html')) ? dirname(findAppFile(join('out', 'renderer', 'index.html'))!) : join(process.cwd(), 'out', 'renderer');
}

export function demoLabPath(): string | undefined {
  return findAppFile(join('assets', 'labs', 'demo.lab.json')) ?? undefined;
}
