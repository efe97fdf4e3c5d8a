#!/usr/bin/env node
// `npm start`: the desktop app when Electron can run here, browser mode otherwise.
// Electron needs its binary (skipped by ELECTRON_SKIP_BINARY_DOWNLOAD) and a display; without
// either, the same UI is served to a browser by `wirebench serve` on the demo lab (or FILE).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

/** The Electron executable's path, or why there is none. */
function electronBinary() {
  try {
    const path = require('electron');
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { why: 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)' };
  } catch {
    return { why: 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)' };
  }
}

function buildIfMissing(files) {
  if (files.every((f) => existsSync(f))) return;
  console.log('wirebench: building first (npm run build)…');
  const built = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal; forward TERM from process managers too.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const electron = electronBinary();
const display = process.env.DISPLAY || process.env.WAYLAND_DISPLAY;

if (electron.path && display) {
  buildIfMissing(['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']);
  run(electron.path, ['.', ...args]);
} else {
  const why = [electron.why, display ? null : 'no display ($DISPLAY and $WAYLAND_DISPLAY are unset)'].filter(Boolean).join(' / ');
  console.log(`wirebench: ${why}: starting browser mode`);
  buildIfMissing(['out/cli/wirebench.mjs', 'out/renderer/index.html']);
  run(process.execPath, ['out/cli/wirebench.mjs', 'serve', ...args]);
}
