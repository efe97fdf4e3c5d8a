/**
 * The fixed part of every exported bash script: assets/export/lab-library.sh, a real shell file
 * (shellchecked on its own). The bundles embed its text at build time: scripts/build-node.mjs
 * (CLI) and electron.vite.config.ts (Electron main) define `__WIREBENCH_LAB_LIBRARY__` as it.
 * Unbundled code (vitest, tsx) reads it from the source tree instead. Not a `?raw` import:
 * tsx, which runs engine children in the system tests, cannot load one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __WIREBENCH_LAB_LIBRARY__: string | undefined;

/** Where the library lives, from the repository's root. */
export const LAB_LIBRARY_ASSET = 'assets/export/lab-library.sh';

/** The line from which the file is copied into scripts; the lines above it are for shellcheck. */
export const LAB_LIBRARY_START = '# Everything below is the same in every exported lab.';

let cached: string | undefined;

/** The whole file, as embedded (or read from the source tree). */
export function labLibraryFile(): string {
  if (typeof __WIREBENCH_LAB_LIBRARY__ === 'string') return __WIREBENCH_LAB_LIBRARY__;
  cached ??= readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', LAB_LIBRARY_ASSET), 'utf8');
  return cached;
}

/** The part every script carries: from `LAB_LIBRARY_START` to the end. */
export function labLibrary(): string {
  const file = labLibraryFile();
  const start = file.indexOf(`\n${LAB_LIBRARY_START}\n`);
  if (start < 0) throw new Error(`${LAB_LIBRARY_ASSET} has no line "${LAB_LIBRARY_START}"`);
  return file.slice(start + 1);
}
