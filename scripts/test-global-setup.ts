// Builds the bundled helper and CLI once before any test file runs: system tests start
// the real helper process exactly as the app does.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'inherit' });
}
