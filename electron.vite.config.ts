/**
 * electron-vite builds the three Electron parts into out/:
 *   out/main/index.js       ESM (package.json has "type": "module"), engine bundled in
 *   out/preload/index.cjs   CommonJS with every dependency bundled: a sandboxed preload can
 *                           only require('electron'), not zod or our modules
 *   out/renderer/           the React app, also served by `wirebench serve` in browser mode
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// The exported scripts' bash library, embedded as text (electron/engine/export/lab-library.ts;
// scripts/build-node.mjs does the same for the CLI).
const labLibrary = readFileSync(resolve('assets/export/lab-library.sh'), 'utf8');

export default defineConfig({
  main: {
    define: { __WIREBENCH_LAB_LIBRARY__: JSON.stringify(labLibrary) },
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: { index: resolve('electron/main/index.ts') },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      emptyOutDir: true,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
