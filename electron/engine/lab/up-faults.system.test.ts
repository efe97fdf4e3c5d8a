/**
 * Faults in the middle of `lab up` (issue 14), on a 3-VM lab of tiny guests, each asserting the
 * end state: processes (no helper or tcpdump without its engine, 3 s after the kill), the
 * namespace and its interfaces, QEMU processes and runtime files.
 *
 * - kill -9 of the engine while `lab up` runs (a real engine in a child process): the next
 *   engine's status says exactly which VMs run (a live QEMU) and which do not, and its down
 *   removes everything.
 * - kill -9 of the helper while `lab up` runs: `lab up` fails with an error that says what
 *   happened and what to do, and `lab down` then leaves no object behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceName, tapName } from '../../../shared/host-names.js';
import { LAB_FORMAT, serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from '../../../shared/runtime-paths.js';
import { tally } from '../../../test-support/suite-tally.js';
import { Engine } from '../engine.js';
import { HelperClient } from '../net/helper-client.js';
import type { HelperPort } from './runtime/context.js';
import { childrenOf, commandLine, isProcessRunning } from '../../helper/test-support/proc.js';
import { REPO_ROOT, forceRemoveNamespace, namespaceNames } from '../../helper/test-support/system.js';

const UP_CHILD = join(REPO_ROOT, 'electron/engine/test-support/up-engine-child.ts');
const scratch = mkdtempSync('/var/tmp/wirebench-up-faults-');
chmodSync(scratch, 0o755);
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function threeVmLab(name: string): LabDocument {
  const result = validateLab({
    format: LAB_FORMAT,
    id: randomBytes(8).toString('hex'),
    name,
    bridges: [{ name: 'lan' }],
    vms: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
      { vm: 'c', bridge: 'lan', ip: '10.0.0.3/24' },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const labDirOf = (lab: LabDocument): string => labRuntimeDir(runtimeRoot(0, process.env.XDG_RUNTIME_DIR), namespaceName(lab));

/** The truth, from the kernel: the pid of each VM's QEMU when one runs (its pid file names a live QEMU of that VM). */
function runningQemu(lab: LabDocument): Map<string, number> {
  const found = new Map<string, number>();
  for (const vm of lab.vms) {
    const { pidFile } = vmRuntimePaths(labDirOf(lab), vm.name);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (pid > 0 && isProcessRunning(pid) && commandLine(pid).includes(`process=wb-${vm.name}`)) found.set(vm.name, pid);
  }
  return found;
}

/** Every process inside the namespace (QEMU, anything else) while it exists. */
function namespacePids(ns: string): number[] {
  if (!namespaceNames().includes(ns)) return [];
  const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout;
  return out.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
}

/** Objects a lab may leave: its namespace (and with it every bridge and TAP), processes in it, QEMU of its VMs, runtime files, TAPs on the host. */
function leftovers(lab: LabDocument, qemuPids: number[]): string[] {
  const ns = namespaceName(lab);
  const left: string[] = [];
  if (namespaceNames().includes(ns)) left.push(`namespace ${ns}`);
  for (const pid of [...namespacePids(ns), ...qemuPids]) if (isProcessRunning(pid)) left.push(`process ${pid} (${commandLine(pid)})`);
  if (existsSync(labDirOf(lab))) left.push(`runtime folder ${labDirOf(lab)}: ${readdirSync(labDirOf(lab)).join(', ')}`);
  if (existsSync(`/run/wirebench/helper/owned/${ns}`)) left.push(`ownership mark ${ns}`);
  const hostLinks = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  for (const nic of lab.nics) if (hostLinks.includes(`${tapName(nic.vm, nic.bridge)}:`)) left.push(`host interface ${tapName(nic.vm, nic.bridge)}`);
  return left;
}

async function waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const helpersOf = (pid: number): number[] => childrenOf(pid).filter((child) => commandLine(child).includes('wirebench-helper'));

describe('faults during lab up', () => {
  it('kill -9 of the engine mid-up: no helper left, the next engine tells the truth, down removes everything', async () => {
    const lab = threeVmLab('upkill');
    const ns = namespaceName(lab);
    cleanups.push(() => forceRemoveNamespace(ns));
    const path = join(scratch, 'upkill.lab.json');
    writeFileSync(path, serializeLab(lab));

    const child = spawn(process.execPath, ['--import', 'tsx', UP_CHILD, path], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (log += t));
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    await waitUntil('the child engine to open the lab', () => lines.length > 0, 60_000);
    expect(JSON.parse(lines[0]!), log).toMatchObject({ opened: true });

    // Mid-way: the first QEMU has written its pid file; the lab is not up yet.
    await waitUntil('the first QEMU of lab up', () => runningQemu(lab).size > 0, 90_000);
    const helpers = helpersOf(child.pid!);
    expect(helpers, 'the child engine has no helper').toHaveLength(1);
    child.kill('SIGKILL');
    const killedAt = Date.now();
    tally('engine killed mid lab up', { faults: 1 });
    expect(lines.some((l) => l.includes('"up"')), 'lab up had already ended before the kill').toBe(false);

    // 3 s after the kill: no helper (and so no tcpdump) of that engine remains.
    await new Promise((r) => setTimeout(r, 3_000 - (Date.now() - killedAt)));
    const orphans = helpers.filter(isProcessRunning).map((pid) => [pid, ...childrenOf(pid)]).flat();
    expect(orphans, 'helper or its children still running 3 s after the engine was killed').toEqual([]);

    // The next engine: status tells the truth, VM by VM.
    const truth = runningQemu(lab);
    console.log(`up-faults: engine killed with ${truth.size} of 3 QEMUs running (${[...truth.keys()].join(', ') || 'none'})`);
    const next = new Engine({ controlSocket: false });
    try {
      await next.invoke('lab.open', { path });
      const status = await next.invoke('lab.status', {});
      for (const vm of status.vms) {
        if (truth.has(vm.name)) expect(vm, `VM ${vm.name} runs (pid ${truth.get(vm.name)})`).toMatchObject({ state: 'running', pid: truth.get(vm.name) });
        else expect(vm.state, `VM ${vm.name} has no QEMU`).not.toMatch(/running|starting|stopping/);
      }
      expect(status.vms.filter((v) => v.state === 'running').map((v) => v.name).sort()).toEqual([...truth.keys()].sort());

      const down = await next.invoke('lab.down', {});
      expect(down.vms.every((v) => v.state === 'stopped')).toBe(true);
    } finally {
      await next.close();
    }
    const left = leftovers(lab, [...truth.values()]);
    tally('engine killed mid lab up: down', { leaked: left.length });
    expect(left).toEqual([]);
  }, 240_000);

  it('kill -9 of the helper mid-up: a clear error, and down leaves no object behind', async () => {
    const lab = threeVmLab('helperkill');
    const ns = namespaceName(lab);
    cleanups.push(() => forceRemoveNamespace(ns));
    const path = join(scratch, 'helperkill.lab.json');
    writeFileSync(path, serializeLab(lab));
    // One VM at a time: the kill comes while some have started and others have not. The real
    // helper, with a count of the calls it has not answered yet: the kill must find one in
    // flight, or the restarted helper would simply serve the rest of `lab up` (that is
    // correct, and not the fault under test).
    let unanswered = 0;
    const countingHelper = async (): Promise<HelperPort> => {
      const real = await HelperClient.start();
      return {
        call: ((request, options) => {
          unanswered += 1;
          return real.call(request, options).finally(() => (unanswered -= 1));
        }) as HelperPort['call'],
        on: (event, listener) => real.on(event, listener),
        close: () => real.close(),
      };
    };
    const engine = new Engine({ controlSocket: false, runtime: { bootConcurrency: 1, helper: countingHelper } });
    cleanups.push(() => void engine.close());
    await engine.invoke('lab.open', { path });

    const up = engine.invoke('lab.up', {}).then(
      () => null,
      (err: unknown) => err as Error & { code?: string; hint?: string },
    );
    await waitUntil('the first QEMU of lab up', () => runningQemu(lab).size > 0, 90_000);
    const helpers = helpersOf(process.pid);
    expect(helpers).toHaveLength(1);
    // Frozen first, so no call can be answered from here on; killed once one waits for it.
    process.kill(helpers[0]!, 'SIGSTOP');
    await waitUntil('a helper call in flight (the next VM\'s TAPs or QEMU)', () => unanswered > 0, 30_000);
    expect(runningQemu(lab).size, 'every QEMU had started before the helper was frozen').toBeLessThan(3);
    process.kill(helpers[0]!, 'SIGKILL');
    tally('helper killed mid lab up', { faults: 1 });
    const err = await up;
    const started = [...runningQemu(lab).values()];
    console.log(`up-faults: helper killed; lab up said: ${err?.message} (hint: ${err?.hint ?? ''}); ${started.length} QEMU(s) running`);
    // What it says runs is what runs.
    const said = await engine.invoke('lab.status', {});
    expect(said.vms.filter((v) => v.state === 'running').map((v) => v.name).sort()).toEqual([...runningQemu(lab).keys()].sort());
    // A clear error: what happened (the privileged helper was killed) and what to do.
    expect(err, 'lab up succeeded although its helper was killed').not.toBeNull();
    expect(err!.message).toMatch(/privileged helper/);
    expect(err!.message).toMatch(/SIGKILL|killed/);
    expect(`${err!.message} ${err!.hint ?? ''}`).toMatch(/lab down|down/);

    // Whatever was half built, down removes it (through the restarted helper).
    await engine.invoke('lab.down', {});
    const left = leftovers(lab, started);
    tally('helper killed mid lab up: down', { leaked: left.length });
    expect(left).toEqual([]);
    // And the engine still works: the lab comes up whole afterwards and goes down again.
    const again = await engine.invoke('lab.up', {});
    expect(again.vms.map((v) => v.state)).toEqual(['running', 'running', 'running']);
    const pids = again.vms.map((v) => v.pid!);
    await engine.invoke('lab.down', {});
    expect(leftovers(lab, pids)).toEqual([]);
    await engine.close();
  }, 240_000);
});
