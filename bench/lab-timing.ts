/** Shared by the lab benchmarks: timing the app's `lab up`, and waiting for guests' ready lines. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../electron/engine/engine.js';
import { execFileSync } from 'node:child_process';
import { hostBridgeName, namespaceName, tapName } from '../shared/host-names.js';
import { randomBytes } from 'node:crypto';
import { LAB_FORMAT, serializeLab, validateLab, type LabDocument } from '../shared/lab.js';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from '../shared/runtime-paths.js';

/**
 * A demo-style lab of `vms` tiny guests spread over `bridges` bridges (lan, wan, …), each with
 * an IP, under a fresh random id so every run has its own namespace.
 */
export function benchLab(name: string, vms: number, bridges: number): LabDocument {
  const bridgeNames = ['lan', 'wan', 'dmz', 'mgmt'].slice(0, bridges);
  const vmList = Array.from({ length: vms }, (_, i) => ({ name: `vm${i}` }));
  const result = validateLab({
    format: LAB_FORMAT,
    id: randomBytes(8).toString('hex'),
    name,
    bridges: bridgeNames.map((b) => ({ name: b })),
    vms: vmList,
    nics: vmList.map((vm, i) => ({ vm: vm.name, bridge: bridgeNames[i % bridgeNames.length]!, ip: `10.0.${i % bridgeNames.length}.${i + 1}/24` })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

/** Milliseconds for the app's `lab up` (every guest ready); the lab is taken down afterwards. */
export async function timeAppUp(lab: LabDocument): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const path = join(dir, 'lab.lab.json');
  writeFileSync(path, serializeLab(lab));
  const engine = new Engine({ runtime: { accel: 'tcg' } });
  await engine.invoke('lab.open', { path });
  const start = performance.now();
  await engine.invoke('lab.up', {});
  const elapsed = performance.now() - start;
  await engine.invoke('lab.down', {});
  await engine.close();
  return elapsed;
}

/** Resolves once every VM of the lab printed `WIREBENCH-READY` in its serial log (runs as root). */
export async function waitGuestsReady(lab: LabDocument): Promise<void> {
  const labDir = labRuntimeDir(runtimeRoot(0, undefined), namespaceName(lab));
  const logs = lab.vms.map((vm) => vmRuntimePaths(labDir, vm.name).serialLog);
  while (!logs.every((log) => existsSync(log) && readFileSync(log, 'utf8').includes('WIREBENCH-READY'))) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A lab's network as a hand-written shell script would build it, for the benches' baselines:
 * bash lines that make the namespace, the bridges, TAPs owned by QEMU's user (nobody) and the
 * runtime folder, and the line that starts one QEMU as that user inside the namespace.
 */
export function shellLab(lab: LabDocument): { ns: string; labDir: string; lines: string[]; qemuLine: (argv: readonly string[]) => string } {
  const ns = namespaceName(lab);
  const labDir = labRuntimeDir(runtimeRoot(0, undefined), ns);
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }));
  const nobody = { uid: id('-u'), gid: id('-g') };
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['set -e', `ip netns add ${ns}`, `ip -n ${ns} link set lo up`];
  for (const b of lab.bridges) lines.push(`ip -n ${ns} link add ${hostBridgeName(b.name)} type bridge forward_delay 0`, `ip -n ${ns} link set ${hostBridgeName(b.name)} up`);
  for (const n of lab.nics) {
    const tap = tapName(n.vm, n.bridge);
    lines.push(`ip -n ${ns} tuntap add dev ${tap} mode tap user ${nobody.uid} group ${nobody.gid}`, `ip -n ${ns} link set ${tap} master ${hostBridgeName(n.bridge)} up`);
  }
  lines.push(`mkdir -p ${labDir}`, `chown ${nobody.uid}:${nobody.gid} ${labDir}`);
  const qemuLine = (argv: readonly string[]): string =>
    `ip netns exec ${ns} setpriv --reuid=${nobody.uid} --regid=${nobody.gid} --clear-groups --inh-caps=-all qemu-system-x86_64 ${argv.map(q).join(' ')}`;
  return { ns, labDir, lines, qemuLine };
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
