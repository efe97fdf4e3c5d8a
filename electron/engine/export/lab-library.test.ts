import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAB_LIBRARY_ASSET, LAB_LIBRARY_START, labLibrary, labLibraryFile } from './lab-library.js';

const repo = new URL('../../../', import.meta.url).pathname;

describe('the exported scripts\' bash library (assets/export/lab-library.sh)', () => {
  it('is a shell file shellcheck finds nothing in on its own', () => {
    const run = spawnSync('shellcheck', ['--shell=bash', '--severity=style', LAB_LIBRARY_ASSET], { cwd: repo, encoding: 'utf8' });
    if (run.error) throw new Error(`shellcheck could not run (${run.error.message}); install the Debian package shellcheck`);
    expect(run.stdout + run.stderr, 'shellcheck findings').toBe('');
    expect(run.status).toBe(0);
  }, 60_000);

  it('goes into scripts from its start line to its last line, which runs main', () => {
    const file = readFileSync(`${repo}${LAB_LIBRARY_ASSET}`, 'utf8');
    expect(labLibraryFile()).toBe(file);
    const part = labLibrary();
    expect(part.startsWith(`${LAB_LIBRARY_START}\n`)).toBe(true);
    expect(file.endsWith(part)).toBe(true);
    // The lines above the start stand in for the lab's own part and stay out of scripts.
    expect(part).not.toContain('NS=wb-00000000');
    expect(part.endsWith('set -E\nmain "$@"\n')).toBe(true);
  });

  it('is embedded by the bundler as text when the build defines it (no file read at run time)', async () => {
    const text = '#!/usr/bin/env bash\n# x\n# Everything below is the same in every exported lab.\nmain "$@"\n';
    const bundle = await build({
      entryPoints: [new URL('./lab-library.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      define: { __WIREBENCH_LAB_LIBRARY__: JSON.stringify(text) },
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]!.text;
    const module = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as typeof import('./lab-library.js');
    expect(module.labLibraryFile()).toBe(text);
    expect(module.labLibrary()).toBe('# Everything below is the same in every exported lab.\nmain "$@"\n');
  });
});
