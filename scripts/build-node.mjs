#!/usr/bin/env node
// Bundles the plain-Node entry points (privileged helper, CLI) into single files under out/,
// so the helper that pkexec runs as root loads no transpiler and nothing from node_modules.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

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
    logLevel: 'warning',
  });
}
