/**
 * `lab.sh up` (the exported bash script) against the app's `lab up` on the same lab, in one
 * run, alternating: time until every guest printed its ready line. Prints app/script;
 * the app should be no slower than 1.15× the script. Needs root and the tiny guest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportBash } from '../../electron/engine/export/bash-export.js';
import type { LabDocument } from '../../shared/lab.js';
import { report } from '../report.js';
import { benchLab, median, timeAppUp, waitGuestsReady } from '../lab-timing.js';

const VMS = Number(process.env.BENCH_VMS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const makeLab = (): LabDocument => benchLab('bench-export', VMS, 1);


async function scriptRun(lab: LabDocument): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const script = join(dir, 'lab.sh');
  writeFileSync(script, exportBash(lab), { mode: 0o755 });
  const env = { ...process.env, WIREBENCH_ACCEL: 'tcg' };
  const start = performance.now();
  const up = spawnSync('bash', [script, 'up'], { env, encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`lab.sh up failed: ${up.stderr}`);
  await waitGuestsReady(lab);
  const elapsed = performance.now() - start;
  spawnSync('bash', [script, 'down'], { env });
  return elapsed;
}

const app: number[] = [];
const script: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  script.push(await scriptRun(makeLab()));
  app.push(await timeAppUp(makeLab()));
}
const ratio = median(app) / median(script);
report('export', { vms: VMS, rounds: ROUNDS, appMs: app.map(Math.round), scriptMs: script.map(Math.round), ratio, target: 1.15, meetsTarget: ratio <= 1.15 });
