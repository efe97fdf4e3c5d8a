/**
 * The routed lab (assets/labs/routed.lab.json) from Start to "every startup command done"
 * (each guest's `WIREBENCH-STARTUP-DONE` line in its serial log), the app's `lab up` against
 * the lab's exported bash script's `up`, in one run, alternating so machine noise hits both.
 * Both read the same seeds (one renderer), so the ratio is what the app adds. Prints
 * app/script; target ≤ 1.15, as for boot. Needs root and the tiny guest (make setup).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine.js';
import { exportBash } from '../../electron/engine/export/bash-export.js';
import { findTinyGuest } from '../../electron/engine/qemu/tiny-guest.js';
import { STARTUP_DONE } from '../../shared/cloud-init-seed.js';
import { namespaceName } from '../../shared/host-names.js';
import { serializeLab, validateLab, type LabDocument } from '../../shared/lab.js';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from '../../shared/runtime-paths.js';
import { median } from '../lab-timing.js';
import { report } from '../report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ROUTED = new URL('../../assets/labs/routed.lab.json', import.meta.url);

function routedLab(): LabDocument {
  const input = JSON.parse(readFileSync(ROUTED, 'utf8')) as Record<string, unknown>;
  const result = validateLab({ ...input, id: randomBytes(8).toString('hex') });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

/** Resolves once every VM's serial log has its startup-done line. */
async function waitStartupDone(lab: LabDocument): Promise<void> {
  const labDir = labRuntimeDir(runtimeRoot(0, undefined), namespaceName(lab));
  const logs = lab.vms.map((vm) => vmRuntimePaths(labDir, vm.name).serialLog);
  const deadline = Date.now() + 300_000;
  while (!logs.every((log) => existsSync(log) && readFileSync(log, 'utf8').includes(STARTUP_DONE))) {
    if (Date.now() > deadline) throw new Error(`startup not done within 300 s in ${labDir}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function appRun(lab: LabDocument): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const path = join(dir, 'routed.lab.json');
  writeFileSync(path, serializeLab(lab));
  const engine = new Engine();
  await engine.invoke('lab.open', { path });
  const start = performance.now();
  await engine.invoke('lab.up', {});
  await waitStartupDone(lab);
  const elapsed = performance.now() - start;
  await engine.invoke('lab.down', {});
  await engine.close();
  return elapsed;
}

async function scriptRun(lab: LabDocument): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const script = join(dir, 'routed.sh');
  writeFileSync(script, exportBash(lab), { mode: 0o755 });
  const guestDir = execFileSync('dirname', [findTinyGuest().kernel], { encoding: 'utf8' }).trim();
  const env = { ...process.env, WIREBENCH_GUEST_DIR: guestDir };
  const start = performance.now();
  const up = spawnSync(script, ['up'], { env, encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`script up failed: ${up.stderr}`);
  await waitStartupDone(lab);
  const elapsed = performance.now() - start;
  spawnSync(script, ['down'], { env, encoding: 'utf8' });
  return elapsed;
}

const app: number[] = [];
const script: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  script.push(await scriptRun(routedLab()));
  app.push(await appRun(routedLab()));
}
const ratio = median(app) / median(script);
report('routed-startup', {
  vms: routedLab().vms.length,
  rounds: ROUNDS,
  appMs: app.map(Math.round),
  scriptMs: script.map(Math.round),
  ratio,
  target: 1.15,
  meetsTarget: ratio <= 1.15,
});
