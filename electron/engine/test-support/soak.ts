/**
 * The soak (issue 14, "load held"): one lab brought up and down again and again in one engine,
 * each cycle with traffic between every pair of neighbours and a capture on every NIC, then a
 * count of everything a cycle could leave: namespaces, TAPs, processes, open files, runtime
 * files, and the engine's RSS after each cycle. bench/soak runs it long (20 VMs, 10 cycles);
 * electron/engine/lab/soak.system.test.ts runs it short in the suite.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespaceName, tapName } from '../../../shared/host-names.js';
import { LAB_FORMAT, serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';
import { labRuntimeDir, runtimeRoot } from '../../../shared/runtime-paths.js';
import { Engine } from '../engine.js';
import { captureRecorder } from './capture-recorder.js';

export interface SoakOptions {
  vms: number;
  cycles: number;
  /** One line per cycle (default: nothing). */
  log?: (line: string) => void;
}

export interface SoakCycle {
  cycle: number;
  upMs: number;
  downMs: number;
  /** Packets all NIC captures of this cycle saw. */
  packets: number;
  /** The engine's resident set after the cycle's down (after a GC when `--expose-gc`). */
  rssMiB: number;
  openFiles: number;
}

export interface SoakLeaks {
  namespaces: number;
  taps: number;
  processes: number;
  /** Open files of the engine's process beyond what it held after the first cycle. */
  openFiles: number;
  runtimeFiles: number;
}

export interface SoakResult {
  vms: number;
  cycles: SoakCycle[];
  leaks: SoakLeaks;
  leaked: number;
  /** RSS after the last cycle over RSS after cycle 2 (cycle 1 loads code and warms caches). */
  rssGrowth: number;
  /** Anything that went wrong in a cycle (a failed ping, a capture without packets). */
  problems: string[];
}

/** `vms` tiny guests on a few bridges; each pings the next VM on its bridge. */
export function soakLab(vms: number): LabDocument {
  const bridges = ['lan', 'wan', 'dmz', 'mgmt'].slice(0, Math.max(1, Math.min(4, Math.floor(vms / 2))));
  const list = Array.from({ length: vms }, (_, i) => ({ name: `vm${i}` }));
  const result = validateLab({
    format: LAB_FORMAT,
    id: randomBytes(8).toString('hex'),
    name: 'soak',
    bridges: bridges.map((name) => ({ name })),
    vms: list,
    nics: list.map((vm, i) => ({ vm: vm.name, bridge: bridges[i % bridges.length]!, ip: `10.0.${i % bridges.length}.${i + 1}/24` })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const openFiles = (): number => readdirSync('/proc/self/fd').length;
const rssMiB = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
};

function namespaceList(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** Processes that belong to this lab: anything in its namespace, QEMU naming its runtime folder, tcpdump on its TAPs or bridges. */
function labProcesses(lab: LabDocument, labDir: string): string[] {
  const found: string[] = [];
  const ns = namespaceName(lab);
  const taps = lab.nics.map((n) => tapName(n.vm, n.bridge));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(labDir) || (cmdline.includes('tcpdump') && (cmdline.includes(ns) || taps.some((t) => cmdline.includes(t))))) found.push(`${entry}: ${cmdline.trim()}`);
  }
  return found;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const lab = soakLab(options.vms);
  const ns = namespaceName(lab);
  const labDir = labRuntimeDir(runtimeRoot(0, process.env.XDG_RUNTIME_DIR), ns);
  const scratch = mkdtempSync('/var/tmp/wirebench-soak-');
  const path = join(scratch, 'soak.lab.json');
  writeFileSync(path, serializeLab(lab));
  // The helper's capture FIFOs (`<captures>/<captureId>.pcap`; a folder other labs share).
  const capturesDir = '/run/wirebench/0/captures';
  const captureIds: string[] = [];

  const engine = new Engine({ controlSocket: false });
  const cycles: SoakCycle[] = [];
  const problems: string[] = [];
  let filesAfterFirst = 0;
  try {
    await engine.invoke('lab.open', { path });
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const t0 = performance.now();
      const upError = await engine.invoke('lab.up', {}).then(
        () => null,
        (err: Error) => err,
      );
      const upMs = performance.now() - t0;
      if (upError) {
        // A VM that did not come up is a finding of the soak, not the end of it: say so, take
        // the half-built lab down and go on, so the leak counts still run.
        problems.push(`cycle ${cycle}: lab up failed: ${upError.message.split('\n').join(' / ')}`);
        log(`soak: cycle ${cycle}/${options.cycles}: lab up failed: ${upError.message.split('\n').join(' / ')}`);
        await engine.invoke('lab.down', {});
        continue;
      }

      // A capture on every NIC, saved to a file and streamed to this client, as the viewer does.
      const recorder = captureRecorder({ keep: false });
      const captures = await Promise.all(
        lab.nics.map((nic) => engine.invoke('nic.capture', { nic: { vm: nic.vm, bridge: nic.bridge }, options: { saveTo: join(scratch, `c${cycle}-${nic.vm}.pcap`) } }, recorder.client)),
      );
      // Traffic: every VM pings the next VM on its bridge.
      const ips = lab.nics.map((n) => ({ vm: n.vm, bridge: n.bridge, ip: n.ip!.split('/')[0]! }));
      await Promise.all(
        ips.map(async (me, i) => {
          const peer = ips.slice(i + 1).concat(ips.slice(0, i)).find((o) => o.bridge === me.bridge);
          if (!peer) return;
          const r = await engine.invoke('vm.run', { vm: me.vm, command: `ping -c 3 -i 0.2 -W 2 ${peer.ip} >/dev/null`, timeoutMs: 60_000 });
          if (r.exitCode !== 0) problems.push(`cycle ${cycle}: ${me.vm} could not ping ${peer.vm} (${peer.ip})`);
        }),
      );
      let packets = 0;
      captureIds.push(...captures.map((c) => c.captureId));
      for (const capture of captures) {
        const stopped = await engine.invoke('capture.stop', { captureId: capture.captureId });
        packets += stopped.packets ?? 0;
        if (!stopped.packets) problems.push(`cycle ${cycle}: capture ${capture.title} saw no packets`);
      }

      const t1 = performance.now();
      await engine.invoke('lab.down', {});
      const downMs = performance.now() - t1;
      for (const nic of lab.nics) {
        const file = join(scratch, `c${cycle}-${nic.vm}.pcap`);
        if (existsSync(file) && statSync(file).size === 0) problems.push(`cycle ${cycle}: ${file} is empty`);
        rmSync(file, { force: true });
      }
      const record = { cycle, upMs: Math.round(upMs), downMs: Math.round(downMs), packets, rssMiB: Math.round(rssMiB() * 10) / 10, openFiles: openFiles() };
      if (cycle === 1) filesAfterFirst = record.openFiles;
      cycles.push(record);
      log(`soak: cycle ${cycle}/${options.cycles}: up ${record.upMs} ms, down ${record.downMs} ms, ${packets} packets captured, engine RSS ${record.rssMiB} MiB, ${record.openFiles} open files`);
    }
  } finally {
    // Whatever broke, the lab goes down before the leak counts (a no-op when it is down).
    await engine.invoke('lab.down', {}).catch((err: Error) => problems.push(`final lab down failed: ${err.message}`));
    await engine.close();
  }

  const hostLinks = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  const leftProcesses = labProcesses(lab, labDir);
  const leftCaptures = captureIds.map((id) => `${id}.pcap`).filter((f) => existsSync(join(capturesDir, f)));
  const leftScratch = readdirSync(scratch).filter((f) => f !== 'soak.lab.json');
  const leaks: SoakLeaks = {
    namespaces: namespaceList().includes(ns) ? 1 : 0,
    taps: (namespaceList().includes(ns) ? lab.nics.length : 0) + lab.nics.filter((n) => hostLinks.includes(`${tapName(n.vm, n.bridge)}:`)).length,
    processes: leftProcesses.length,
    openFiles: Math.max(0, (cycles.at(-1)?.openFiles ?? 0) - filesAfterFirst),
    runtimeFiles: (existsSync(labDir) ? 1 + readdirSync(labDir).length : 0) + leftCaptures.length + leftScratch.length,
  };
  for (const p of leftProcesses) problems.push(`left running: ${p}`);
  for (const f of leftCaptures) problems.push(`left capture file: ${join(capturesDir, f)}`);
  rmSync(scratch, { recursive: true, force: true });
  const second = cycles[Math.min(1, cycles.length - 1)]?.rssMiB ?? 0;
  return {
    vms: options.vms,
    cycles,
    leaks,
    leaked: Object.values(leaks).reduce((a, b) => a + b, 0),
    rssGrowth: second ? (cycles.at(-1)!.rssMiB - second) / second : 0,
    problems,
  };
}
