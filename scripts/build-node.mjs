#!/usr/bin/env node
// Bundles the plain-Node entry points (privileged helper, CLI) into single files under out/,
// so the helper that pkexec runs as root loads no transpiler and nothing from node_modules.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';

// The exported scripts' bash library, embedded as text (electron/engine/export/lab-library.ts;
// electron.vite.config.ts does the same for the Electron main).
const labLibrary = readFileSync(new URL('../assets/export/lab-library.sh', import.meta.url), 'utf8');

const entries = [
  { in: 'electron/helper/main.ts', out: 'out/helper/wirebench-helper.mjs' },
  { in: 'electron/cli/main.ts', out: 'out/cli/wirebench.mjs' },
];

for (const entry of entries) {
  if (!existsSync(entry.in)) {
    console.error(`build-node: ${entry.in} is missing`);
    process.exit(1);
  }
  await build({
    entryPoints: [entry.in],
    outfile: entry.out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    // Bundled CommonJS dependencies (ws) may call require(); give ESM output one.
    banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
    external: ['electron'],
    define: { __WIREBENCH_LAB_LIBRARY__: JSON.stringify(labLibrary) },
    logLevel: 'warning',
  });
}
