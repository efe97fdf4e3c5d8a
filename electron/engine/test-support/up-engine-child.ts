/**
 * A real engine in its own process that brings a whole lab up, for the fault test that kills it
 * in the middle (kill -9 cannot be done to the test's own process). Run as
 * `node --import tsx up-engine-child.ts LAB`: opens LAB, prints `{"opened":true}`, starts
 * `lab.up` and prints `{"up":true}` or `{"up":false,"error":…}` when it ends (if it lives that long).
 */
import { Engine } from '../engine.js';

const [labPath] = process.argv.slice(2);
if (!labPath) {
  process.stderr.write('usage: up-engine-child.ts LAB_FILE\n');
  process.exit(2);
}

// One VM at a time, so a kill in the middle leaves some VMs started and others not.
const engine = new Engine({ controlSocket: false, runtime: { bootConcurrency: 1 } });
try {
  await engine.invoke('lab.open', { path: labPath });
  process.stdout.write(`${JSON.stringify({ opened: true })}\n`);
  await engine.invoke('lab.up', {});
  process.stdout.write(`${JSON.stringify({ up: true })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ up: false, error: (err as Error).message })}\n`);
}
// Keep running (holding the lab) until killed.
setInterval(() => undefined, 60_000);
