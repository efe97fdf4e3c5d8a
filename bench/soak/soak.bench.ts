/**
 * Load held (issue 14): SOAK_CYCLES (default 10) cycles of `lab up`, a capture on every NIC,
 * traffic between neighbours, and `lab down`, on a SOAK_VMS-VM lab (default 20), in one engine.
 * After the cycles nothing may be left (namespaces, TAPs, processes, open files, runtime files,
 * counted) and the engine's RSS must have grown less than 10% from cycle 2 to the last
 * (electron/engine/test-support/soak.ts). Run with --expose-gc for steadier RSS. Needs root and the tiny guest.
 */
import { runSoak } from '../../electron/engine/test-support/soak.js';
import { median } from '../lab-timing.js';
import { report } from '../report.js';

const VMS = Number(process.env.SOAK_VMS ?? 20);
const CYCLES = Number(process.env.SOAK_CYCLES ?? 10);

const result = await runSoak({ vms: VMS, cycles: CYCLES, log: (line) => console.error(line) });
const first = result.cycles[0]!;
const rest = result.cycles.slice(1);
report('soak', {
  vms: VMS,
  cycles: CYCLES,
  upMsMedian: Math.round(median(result.cycles.map((c) => c.upMs))),
  downMsMedian: Math.round(median(result.cycles.map((c) => c.downMs))),
  // Later cycles against the first, in the same run: a cycle must not get slower as they pile up.
  upRatioLastToFirst: result.cycles.at(-1)!.upMs / first.upMs,
  packetsPerCycle: result.cycles.map((c) => c.packets),
  rssMiB: result.cycles.map((c) => c.rssMiB),
  rssGrowthCycle2ToLast: result.rssGrowth,
  openFiles: result.cycles.map((c) => c.openFiles),
  leaks: result.leaks,
  leaked: result.leaked,
  problems: result.problems,
  target: { leaked: 0, rssGrowth: 0.1 },
  meetsTarget: result.leaked === 0 && result.rssGrowth < 0.1 && result.problems.length === 0 && rest.length > 0,
});
if (result.leaked > 0 || result.problems.length > 0) process.exitCode = 1;
