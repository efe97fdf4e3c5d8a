/**
 * The import-boundary lint (eslint.config.js) fails on every forbidden import and passes the
 * allowed ones. Scratch files go into a temporary copy of the layout (the repository's own
 * eslint.config.js, node_modules linked), never into the working tree, and the real `eslint`
 * command runs on them: its exit code is what `npm run lint` and `make test` see.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');

/** [scratch file, its source, what the case shows]. */
const forbidden: Array<[string, string, string]> = [
  ['electron/engine/scratch.ts', "import { App } from '../../renderer/app/App.js';\nvoid App;", 'the engine importing the renderer'],
  ['electron/main/scratch.ts', "export * from '../../renderer/packets/packet-client.js';", 'the Electron shell re-exporting the renderer'],
  ['electron/engine/test-support/scratch.ts', "import '../../../renderer/packets/ring-limit.js';", 'engine test support importing the renderer'],
  ['renderer/app/scratch.ts', "import type { Engine } from '../../electron/engine/engine.js';\nexport type E = Engine;", 'the renderer importing the engine (type only)'],
  ['renderer/packets/scratch.test.ts', "import { waitFor } from '../../electron/engine/test-support/system-lab.js';\nvoid waitFor;", 'a renderer test importing engine test support'],
  ['shared/scratch.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;", 'shared/ importing node:fs'],
  ['shared/scratch-bare.ts', "import { join } from 'path';\nvoid join;", 'shared/ importing a Node builtin without node:'],
  ['shared/scratch-up.ts', "export { DEFAULT_RING } from '../packet/page.js';", 'shared/ importing packet/'],
  ['packet/core/scratch.ts', "import { Worker } from 'node:worker_threads';\nvoid Worker;", 'packet/ core importing node:worker_threads'],
  ['packet/worker/scratch.ts', "import { createRequire } from 'node:module';\nvoid createRequire;", "packet/'s worker side importing node:module"],
  ['packet/core/scratch-up.ts', "import '../../renderer/packets/packets-store.js';", 'packet/ importing the renderer'],
  ['electron/engine/scratch-electron.ts', "import { app } from 'electron';\nvoid app;", "the engine importing 'electron'"],
  ['electron/helper/scratch.ts', "import type { IpcMain } from 'electron';\nexport type I = IpcMain;", "the root helper importing 'electron' (type only)"],
  ['electron/cli/scratch.ts', "export { app } from 'electron/main';", "the CLI re-exporting 'electron/main'"],
  ['renderer/scratch.ts', "import { ipcRenderer } from 'electron';\nvoid ipcRenderer;", "the renderer importing 'electron'"],
  ['shared/scratch-electron.ts', "import { app } from 'electron';\nvoid app;", "shared/ importing 'electron'"],
  ['e2e/scratch.ts', "import { app } from 'electron';\nvoid app;", "an e2e file importing 'electron'"],
  ['electron/cli/scratch-require.ts', "import electron = require('electron');\nvoid electron;", "the CLI importing 'electron' with import = require()"],
  // import() is caught too (no-restricted-syntax, same patterns).
  ['shared/scratch-dynamic.ts', "export const load = () => import('node:fs');", 'shared/ loading node:fs with import()'],
  ['renderer/scratch-dynamic.ts', "export const load = () => import('../electron/engine/engine.js');", 'the renderer loading the engine with import()'],
  ['electron/engine/scratch-dynamic.ts', "export const load = () => import('electron');", "the engine loading 'electron' with import()"],
];

const allowed: Array<[string, string, string]> = [
  ['electron/main/scratch.ts', "import { app } from 'electron';\nimport { Engine } from '../engine/engine.js';\nvoid app; void Engine;", "the Electron main process importing 'electron' and the engine"],
  ['electron/preload/scratch.ts', "import { contextBridge } from 'electron';\nimport { commands } from '../../shared/api.js';\nvoid contextBridge; void commands;", "the preload importing 'electron' and shared/"],
  ['electron/engine/scratch.ts', "import { readFileSync } from 'node:fs';\nimport { namespaceName } from '../../shared/host-names.js';\nvoid readFileSync; void namespaceName;", 'the engine importing node:fs and shared/'],
  ['electron/engine/test-support/scratch.ts', "import { writePcap } from '../../../packet/node.js';\nvoid writePcap;", "engine test support importing packet/'s Node entry"],
  ['renderer/app/scratch.ts', "import { namespaceName } from '../../shared/host-names.js';\nimport { DEFAULT_RING } from '../../packet/page.js';\nvoid namespaceName; void DEFAULT_RING;", 'the renderer importing shared/ and packet/'],
  ['renderer/app/scratch.test.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;", 'a renderer test importing node:fs'],
  ['shared/scratch.ts', "import { z } from 'zod';\nimport { labSchema } from './lab.js';\nvoid z; void labSchema;", 'shared/ importing a package and shared/'],
  ['shared/scratch.test.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;", 'a shared/ test importing node:fs'],
  ['packet/node/scratch.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;", "packet/'s Node side importing node:fs"],
  ['packet/core/scratch.test.ts', "import { openEngine } from '../../electron/engine/test-support/system-lab.js';\nvoid openEngine;", 'a packet/ system test using the engine test support'],
  ['bench/scratch.ts', "import { startBrowserMode } from '../electron/engine/server/browser-mode.js';\nvoid startBrowserMode;", 'a bench importing the engine'],
  ['scratch.config.ts', "import { defineConfig } from 'electron-vite';\nvoid defineConfig;", "a config importing electron-vite (not 'electron')"],
  ['electron/main/scratch-dynamic.ts', "export const load = () => import('electron');", "the Electron main process loading 'electron' with import()"],
  ['packet/node/scratch-dynamic.ts', "export const load = () => import('node:worker_threads');", "packet/'s Node side loading node:worker_threads with import()"],
];

interface EslintFileResult {
  filePath: string;
  messages: Array<{ ruleId: string | null; message: string; severity: number }>;
}

let root: string;

/** Writes one set of scratch files into a fresh copy and runs the real eslint on them. */
function lint(set: 'forbidden' | 'allowed', cases: Array<[string, string, string]>): { status: number | null; results: Map<string, EslintFileResult>; stderr: string } {
  const dir = join(root, set);
  mkdirSync(dir);
  cpSync(join(repo, 'eslint.config.js'), join(dir, 'eslint.config.js'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [file, source] of cases) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), `${source}\n`);
  }
  const run = spawnSync(process.execPath, [join(repo, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', ...cases.map(([file]) => file)], { cwd: dir, encoding: 'utf8' });
  const results = new Map<string, EslintFileResult>();
  for (const r of JSON.parse(run.stdout || '[]') as EslintFileResult[]) results.set(r.filePath.slice(dir.length + 1), r);
  return { status: run.status, results, stderr: run.stderr };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wb-lint-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('import-boundary lint', () => {
  it('fails on a forbidden import in every boundary case', () => {
    const { status, results, stderr } = lint('forbidden', forbidden);
    expect(stderr).toBe('');
    expect(status, 'eslint exits 1: npm run lint fails').toBe(1);
    for (const [file, , what] of forbidden) {
      const errors = results.get(file)?.messages.filter((m) => m.severity === 2) ?? [];
      const rule = file.includes('dynamic') ? 'no-restricted-syntax' : '@typescript-eslint/no-restricted-imports';
      expect(errors.map((m) => m.ruleId), `${what} (${file})`).toEqual([rule]);
    }
  });

  it('passes the imports each side is allowed', () => {
    const { status, results, stderr } = lint('allowed', allowed);
    expect(stderr).toBe('');
    for (const [file, , what] of allowed) expect(results.get(file)?.messages ?? ['not linted'], `${what} (${file})`).toEqual([]);
    expect(status, 'eslint exits 0').toBe(0);
  });
});
