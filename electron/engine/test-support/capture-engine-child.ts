/**
 * A real engine in its own process, for the fault tests that kill it (kill -9 cannot be done
 * to the test's own process). Run as `node --import tsx capture-engine-child.ts LAB SAVE_TO`:
 * opens LAB, brings its network up (no VMs), starts a capture of its first bridge saved to
 * SAVE_TO, prints one JSON line `{"ready":true,"captureId":…}` and then waits to be killed.
 */
import { Engine } from '../engine.js';

const [labPath, saveTo] = process.argv.slice(2);
if (!labPath || !saveTo) {
  process.stderr.write('usage: capture-engine-child.ts LAB_FILE SAVE_TO\n');
  process.exit(2);
}

const engine = new Engine({ controlSocket: false });
try {
  const opened = await engine.invoke('lab.open', { path: labPath });
  const bridge = opened.document.bridges[0]?.name;
  if (!bridge) throw new Error(`${labPath} has no bridge to capture`);
  await engine.invoke('lab.upNetwork', {});
  const capture = await engine.invoke('bridge.capture', { bridge, options: { saveTo } });
  process.stdout.write(`${JSON.stringify({ ready: true, captureId: capture.captureId })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ready: false, error: (err as Error).message })}\n`);
  process.exit(1);
}
// Keep running until killed.
setInterval(() => undefined, 60_000);
