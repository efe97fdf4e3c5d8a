/**
 * Time for `lab up` to bring a 10-VM demo-style lab to "every guest ready", against the same
 * QEMU command lines started by a plain shell loop on a network made with plain `ip`
 * commands, in the same run (alternating, so machine noise hits both). Prints app/shell;
 * target ≤ 1.15. Needs root and the tiny guest (make setup).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { writeSeedImage } from '../../electron/engine/qemu/seed-image.js';
import { renderSeed } from '../../shared/cloud-init-seed.js';
import { vmQemuSpec } from '../../electron/engine/qemu/vm-spec.js';
import { findTinyGuest } from '../../electron/engine/qemu/tiny-guest.js';
import type { LabDocument } from '../../shared/lab.js';
import { qemuArgs } from '../../shared/qemu-spec.js';
import { report } from '../report.js';
import { benchLab, median, shellLab, timeAppUp, waitGuestsReady } from '../lab-timing.js';

const VMS = Number(process.env.BENCH_VMS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const makeLab = (): LabDocument => benchLab('bench-boot', VMS, 2);

/** The baseline: a shell loop with the same QEMU argv (from the same pure builder). */
async function shellRun(lab: LabDocument): Promise<number> {
  const { ns, labDir, lines, qemuLine } = shellLab(lab);
  const guest = findTinyGuest();
  const specs = lab.vms.map((vm) => vmQemuSpec(lab, vm.name, { accel: { accelerators: ['tcg'], cpu: 'max' }, labDir, tinyGuest: guest }));
  for (const spec of specs) {
    lines.push(qemuLine(qemuArgs(spec)));
  }
  const start = performance.now();
  // Each guest reads its configuration from its seed image (the same builder the app uses), after the folder exists.
  mkdirSync(labDir, { recursive: true });
  await Promise.all(specs.map((spec) => writeSeedImage(renderSeed(lab, spec.name), spec.seedImage)));
  const run = spawnSync('bash', ['-c', lines.join('\n')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`shell baseline failed: ${run.stderr}`);
  await waitGuestsReady(lab);
  const elapsed = performance.now() - start;
  spawnSync('bash', ['-c', `for p in $(ip netns pids ${ns}); do kill -9 "$p"; done; ip netns del ${ns}`]);
  rmSync(labDir, { recursive: true, force: true });
  return elapsed;
}

const app: number[] = [];
const shell: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  shell.push(await shellRun(makeLab()));
  app.push(await timeAppUp(makeLab()));
}
report('boot', {
  vms: VMS,
  rounds: ROUNDS,
  appMs: app.map(Math.round),
  shellMs: shell.map(Math.round),
  ratio: median(app) / median(shell),
  target: 1.15,
  meetsTarget: median(app) / median(shell) <= 1.15,
});
