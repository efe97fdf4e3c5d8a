/**
 * Scale (issue 14): the largest lab this machine holds. Brings BENCH_VMS tiny guests (default
 * 100) up with the app's `lab up` and prints VMs up, boot time, QEMU RSS per VM, idle host CPU
 * and the counter tick for all their NICs. Targets: 100 VMs, RSS ≤ 120 MiB each, idle host CPU
 * ≤ 10%, tick ≤ 2 ms.
 *
 * Idle CPU is what the lab's QEMU processes use (their /proc/<pid>/stat), as a share of the
 * host's cores, so other work on the machine does not count; the host's total is printed too.
 *
 * Baseline, in the same run: BENCH_BASELINE_VMS (default 10) of the same guests started by a
 * shell loop with QEMU's defaults, i.e. the same argv without the right-sizing (no `tb-size`,
 * so TCG's 1 GiB cache, and the old 128 MiB of guest memory); RSS and idle CPU are compared per
 * VM. The tick is compared with a bare read of the same /proc file (bench/counters' floor).
 * Needs root and the tiny guest (make setup).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine.js';
import { CountersPoller } from '../../electron/engine/net/counters-poller.js';
import { vmQemuSpec } from '../../electron/engine/qemu/vm-spec.js';
import { findTinyGuest } from '../../electron/engine/qemu/tiny-guest.js';
import { writeSeedImage } from '../../electron/engine/qemu/seed-image.js';
import { renderSeed } from '../../shared/cloud-init-seed.js';
import { tapName } from '../../shared/host-names.js';
import { serializeLab, type LabDocument } from '../../shared/lab.js';
import { qemuArgs } from '../../shared/qemu-spec.js';
import { vmRuntimePaths } from '../../shared/runtime-paths.js';
import { benchLab, shellLab, waitGuestsReady } from '../lab-timing.js';
import { percentile, report } from '../report.js';

const VMS = Number(process.env.BENCH_VMS ?? 100);
const BASELINE_VMS = Number(process.env.BENCH_BASELINE_VMS ?? 10);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 20);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 15);
const TICKS = 500;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** VmRSS of a process, in MiB. */
function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** Host CPU busy share (all cores) over `seconds`, from /proc/stat. */
async function hostCpuPercent(seconds: number): Promise<number> {
  const sample = (): { busy: number; total: number } => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = fields[3]! + fields[4]!;
    return { busy: total - idle, total };
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = sample();
  return ((b.busy - a.busy) / (b.total - a.total)) * 100;
}

/**
 * CPU the given processes used over `seconds`, as a share of the whole host (all cores), from
 * their /proc/<pid>/stat: unlike /proc/stat's total it leaves out whatever else runs meanwhile.
 */
async function processesCpuPercent(pids: number[], seconds: number): Promise<number> {
  const ticks = (): number =>
    pids.reduce((sum, pid) => {
      try {
        const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        return sum + Number(fields[11]) + Number(fields[12]); // utime + stime
      } catch {
        return sum;
      }
    }, 0);
  const hz = 100; // USER_HZ on Linux
  const a = ticks();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((ticks() - a) / hz / seconds / availableParallelism()) * 100;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/**
 * The app's argv without its right-sizing, i.e. what a tiny guest cost before: TCG's default
 * cache (no `tb-size`), anonymous guest RAM without a balloon, and `-kernel`/`-initrd` with the
 * old command line (no options that keep an idle guest asleep) instead of the boot disk.
 */
function withQemuDefaults(argv: string[], guest: { kernel: string; initrd: string }): string[] {
  const flags = new Set(['-nodefaults', '-no-user-config', '-daemonize']);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i]!;
    if (flags.has(option)) {
      out.push(option);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('-')) throw new Error(`withQemuDefaults: "${option}" takes no value here; add it to the flags`);
    if (option === '-object' && value.startsWith('memory-backend-')) continue;
    if (option === '-device' && value.startsWith('virtio-balloon')) continue;
    if (option === '-drive' && value.includes('id=boot0,')) out.push('-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyS0 quiet panic=-1');
    else if (option === '-device' && value.includes('drive=boot0,')) continue;
    else if (option === '-machine') out.push(option, 'pc');
    else if (option === '-accel') out.push(option, value.replace(/^tcg,tb-size=\d+$/, 'tcg'));
    else out.push(option, value);
  }
  return out;
}

/** The baseline: QEMU's defaults (see withQemuDefaults) and 128 MiB, from a shell loop. */
async function baseline(lab: LabDocument): Promise<{ bootMs: number; rssMiBPerVm: number; idleCpuPercent: number }> {
  const { ns, labDir, lines, qemuLine } = shellLab(lab);
  const guest = findTinyGuest();
  const seeds: Array<{ vm: string; file: string }> = [];
  for (const vm of lab.vms) {
    const spec = vmQemuSpec(lab, vm.name, { accel: { accelerators: ['tcg'], cpu: 'max' }, labDir, tinyGuest: guest });
    const argv = withQemuDefaults(qemuArgs({ ...spec, memoryMiB: 128 }), guest);
    seeds.push({ vm: vm.name, file: spec.seedImage });
    lines.push(qemuLine(argv));
  }
  // The seed images the app builds before each start, from the same renderer.
  const seedLines = lines.findIndex((l) => l.startsWith('ip netns exec'));
  const setup = spawnSync('bash', ['-c', lines.slice(0, seedLines).join('\n')], { encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`shell baseline failed: ${setup.stderr}`);
  for (const seed of seeds) await writeSeedImage(renderSeed(lab, seed.vm), seed.file);
  lines.splice(0, seedLines, 'set -e');
  const start = performance.now();
  const run = spawnSync('bash', ['-c', lines.join('\n')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`shell baseline failed: ${run.stderr}`);
  await waitGuestsReady(lab);
  const bootMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const pids = lab.vms.map((vm) => Number(readFileSync(vmRuntimePaths(labDir, vm.name).pidFile, 'utf8').trim()));
  const rssMiBPerVm = mean(pids.map(rssMiB));
  const idleCpuPercent = await processesCpuPercent(pids, IDLE_S);
  spawnSync('bash', ['-c', `for p in $(ip netns pids ${ns}); do kill -9 "$p"; done; ip netns del ${ns}`]);
  rmSync(labDir, { recursive: true, force: true });
  return { bootMs, rssMiBPerVm, idleCpuPercent };
}

const idleBefore = await hostCpuPercent(5);
log(`scale: host CPU before anything runs: ${idleBefore.toFixed(1)}%`);

log(`scale: baseline, ${BASELINE_VMS} VMs with QEMU's defaults`);
const base = await baseline(benchLab('bench-scale-base', BASELINE_VMS, 4));
log(`scale: baseline ${JSON.stringify(base)}`);

log(`scale: the app's lab up of ${VMS} VMs`);
const lab = benchLab('bench-scale', VMS, 4);
const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
const path = join(dir, 'lab.lab.json');
writeFileSync(path, serializeLab(lab));
const engine = new Engine({ controlSocket: false });
let result: Record<string, unknown> = {};
try {
  await engine.invoke('lab.open', { path });
  const start = performance.now();
  let upError: string | null = null;
  await engine.invoke('lab.up', {}).catch((err: Error) => (upError = err.message.split('\n').slice(0, 4).join(' / ')));
  const bootMs = performance.now() - start;
  const status = await engine.invoke('lab.status', {});
  const running = status.vms.filter((v) => v.state === 'running' && v.pid);
  log(`scale: ${running.length} of ${VMS} VMs up in ${(bootMs / 1000).toFixed(1)} s${upError ? ` (lab up: ${upError})` : ''}`);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const rss = running.map((v) => rssMiB(v.pid!));
  const [idleCpuPercent, hostBusyPercent] = await Promise.all([processesCpuPercent(running.map((v) => v.pid!), IDLE_S), hostCpuPercent(IDLE_S)]);

  // The counter tick for all NICs, on the lab's real /proc/<pid>/net/dev.
  const procFile = `/proc/${running[0]!.pid}/net/dev`;
  const nics = lab.nics.map((n) => ({ vm: n.vm, bridge: n.bridge, tap: tapName(n.vm, n.bridge) }));
  const poller = new CountersPoller({ nics: () => nics, procNetDevPath: () => procFile }, () => undefined);
  const time = (fn: () => void): number[] =>
    Array.from({ length: TICKS }, () => {
      const t = process.hrtime.bigint();
      fn();
      return Number(process.hrtime.bigint() - t) / 1e6;
    });
  let now = Date.now();
  time(() => poller.tick((now += 250))); // warm-up
  const bare = time(() => readFileSync(procFile, 'utf8'));
  const ticks = time(() => poller.tick((now += 250)));

  const rssPerVm = mean(rss);
  const idlePerVm = idleCpuPercent / Math.max(1, running.length);
  const baseIdlePerVm = base.idleCpuPercent / BASELINE_VMS;
  result = {
    vms: VMS,
    vmsUp: running.length,
    upError,
    bootS: Math.round(bootMs / 100) / 10,
    rssMiBPerVm: Math.round(rssPerVm * 10) / 10,
    rssMiBMax: Math.round(Math.max(...rss) * 10) / 10,
    idleHostCpuPercent: Math.round(idleCpuPercent * 10) / 10,
    // Whole-host busy share over the same window, neighbours included, and before the bench.
    hostBusyPercent: Math.round(hostBusyPercent * 10) / 10,
    hostCpuBeforePercent: Math.round(idleBefore * 10) / 10,
    tickMsP50: percentile(ticks, 50),
    tickMsP95: percentile(ticks, 95),
    nics: nics.length,
    baseline: {
      vms: BASELINE_VMS,
      bootS: Math.round(base.bootMs / 100) / 10,
      rssMiBPerVm: Math.round(base.rssMiBPerVm * 10) / 10,
      idleHostCpuPercent: Math.round(base.idleCpuPercent * 10) / 10,
      bareReadMsP50: percentile(bare, 50),
    },
    rssRatio: rssPerVm / base.rssMiBPerVm,
    idleCpuPerVmRatio: baseIdlePerVm > 0 ? idlePerVm / baseIdlePerVm : null,
    tickRatioToBareRead: percentile(ticks, 50) / percentile(bare, 50),
    target: { vms: 100, rssMiBPerVm: 120, idleHostCpuPercent: 10, tickMs: 2 },
    meetsTarget: running.length >= 100 && rssPerVm <= 120 && idleCpuPercent <= 10 && percentile(ticks, 50) <= 2,
  };
} finally {
  const t = performance.now();
  await engine.invoke('lab.down', {}).catch((err: Error) => log(`scale: down failed: ${err.message}`));
  log(`scale: down in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
report('scale', result);
