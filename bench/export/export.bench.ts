/**
 * `lab.sh up` (the exported bash script) against the app's `lab up` on the same lab, in one
 * run, alternating: time until every guest printed its ready line. Prints app/script;
 * the app should be no slower than 1.15× the script. Needs root and the tiny guest.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine.js';
import { exportBash } from '../../electron/engine/export/bash-export.js';
import { namespaceName } from '../../shared/host-names.js';
import { LAB_FORMAT, serializeLab, validateLab, type LabDocument } from '../../shared/lab.js';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from '../../shared/runtime-paths.js';
import { report } from '../report.js';

const VMS = Number(process.env.BENCH_VMS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

function makeLab(): LabDocument {
  const vms = Array.from({ length: VMS }, (_, i) => ({ name: `vm${i}` }));
  const result = validateLab({
    format: LAB_FORMAT,
    id: randomBytes(8).toString('hex'),
    name: 'bench-export',
    bridges: [{ name: 'lan' }],
    vms,
    nics: vms.map((vm, i) => ({ vm: vm.name, bridge: 'lan', ip: `10.0.0.${i + 1}/24` })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

async function appRun(lab: LabDocument): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  writeFileSync(join(dir, 'lab.lab.json'), serializeLab(lab));
  const engine = new Engine({ runtime: { accel: 'tcg' } });
  await engine.invoke('lab.open', { path: join(dir, 'lab.lab.json') });
  const start = performance.now();
  await engine.invoke('lab.up', {});
  const elapsed = performance.now() - start;
  await engine.invoke('lab.down', {});
  await engine.close();
  return elapsed;
}

async function scriptRun(lab: LabDocument): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const script = join(dir, 'lab.sh');
  writeFileSync(script, exportBash(lab), { mode: 0o755 });
  const env = { ...process.env, WIREBENCH_ACCEL: 'tcg' };
  const labDir = labRuntimeDir(runtimeRoot(0, undefined), namespaceName(lab));
  const start = performance.now();
  const up = spawnSync('bash', [script, 'up'], { env, encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`lab.sh up failed: ${up.stderr}`);
  const logs = lab.vms.map((vm) => vmRuntimePaths(labDir, vm.name).serialLog);
  while (!logs.every((log) => existsSync(log) && readFileSync(log, 'utf8').includes('WIREBENCH-READY'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const elapsed = performance.now() - start;
  spawnSync('bash', [script, 'down'], { env });
  return elapsed;
}

const app: number[] = [];
const script: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  script.push(await scriptRun(makeLab()));
  app.push(await appRun(makeLab()));
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const ratio = median(app) / median(script);
report('export', { vms: VMS, rounds: ROUNDS, appMs: app.map(Math.round), scriptMs: script.map(Math.round), ratio, target: 1.15, meetsTarget: ratio <= 1.15 });
