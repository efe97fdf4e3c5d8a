/**
 * The bundled routed lab through its exported bash script, run for real as root: the script
 * builds the same cloud-init seeds as the app, and right after `up`, with no command typed,
 * the guests are configured the same way (the same checks as lab/routed-lab.system.test.ts):
 * `a` pings `b` through `r`, fetches its page, forwarding, routes, MTU and hosts are in place,
 * and the failing startup command leaves the marker the app turns into a problem event.
 * `down` leaves nothing behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateLab, type LabDocument } from '../../../shared/lab.js';
import { namespaceName } from '../../../shared/host-names.js';
import { vmRuntimePaths } from '../../../shared/runtime-paths.js';
import { parseStartupMarker } from '../../../shared/cloud-init-seed.js';
import { isProcessRunning } from '../../common/process-state.js';
import { namespaces, waitFor } from '../test-support/system-lab.js';
import { SerialConsole } from '../qemu/serial-console.js';
import { exportBash } from './bash-export.js';
import { skipWhenMissing } from '../../../e2e/support/prerequisites.js';

const isRoot = process.getuid?.() === 0;
const repo = new URL('../../../', import.meta.url).pathname;

function routedLab(): LabDocument {
  const input = JSON.parse(readFileSync(join(repo, 'assets/labs/routed.lab.json'), 'utf8')) as Record<string, unknown>;
  (input.vms as Array<Record<string, unknown>>).find((v) => v.name === 'a')!.startup = ['echo a is up > /tmp/up', "sh -c 'exit 3'"];
  const result = validateLab({ ...input, id: randomBytes(8).toString('hex') });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

describe.skipIf(skipWhenMissing('routed-script.system.test.ts', isRoot ? null : 'needs root (network namespaces)'))('the routed lab through its exported bash script (root)', () => {
  const lab = routedLab();
  const ns = namespaceName(lab);
  const labDir = `/run/wirebench/0/${ns}`;
  const agents = new Map<string, SerialConsole>();
  let dir = '';
  let script = '';
  let env: NodeJS.ProcessEnv = {};

  const script_ = (args: string[]) => spawnSync('/bin/bash', [script, ...args], { encoding: 'utf8', env, timeout: 180_000 });
  async function run(vm: string, command: string): Promise<{ exitCode: number; output: string }> {
    return agents.get(vm)!.run(command, { timeoutMs: 30_000 });
  }

  beforeAll(() => {
    execFileSync('bash', [join(repo, 'assets/guest/build.sh')], { stdio: 'inherit', timeout: 600_000 });
    dir = mkdtempSync('/tmp/wb-routed-script-');
    chmodSync(dir, 0o755);
    script = join(dir, 'routed.sh');
    writeFileSync(script, exportBash(lab), { mode: 0o755 });
    const guestDir = execFileSync('bash', [join(repo, 'assets/guest/build.sh'), '--print-dir'], { encoding: 'utf8' }).trim();
    env = { ...process.env, WIREBENCH_GUEST_DIR: guestDir };
    delete env.WIREBENCH_ACCEL;
  }, 660_000);

  afterAll(async () => {
    for (const agent of agents.values()) await agent.close();
    if (!script) return;
    script_(['down']);
    if (namespaces().includes(ns)) spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(labDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('works right after up: a pings b through r and fetches b\'s page', { timeout: 240_000 }, async () => {
    const up = script_(['up']);
    expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
    for (const vm of ['a', 'r', 'b']) {
      const paths = vmRuntimePaths(labDir, vm);
      // The seed the app would have built, built by the script.
      expect(existsSync(paths.seedImage)).toBe(true);
      await waitFor(`${vm} ready`, () => existsSync(paths.serialLog) && readFileSync(paths.serialLog, 'utf8').includes(`WIREBENCH-READY ${vm}`), 120_000, 250);
      const agent = await SerialConsole.connect({ socketPath: paths.agentSocket, vm, connectTimeoutMs: 10_000, maxInputLine: 4000 });
      await agent.waitForShell(30_000);
      agents.set(vm, agent);
    }
    expect((await run('a', 'ping -c 1 -W 3 10.2.0.10 >/dev/null 2>&1')).exitCode).toBe(0);
    expect((await run('a', 'ping -c 1 -W 3 b >/dev/null 2>&1')).exitCode).toBe(0);
    expect((await run('a', 'ping -6 -c 1 -W 3 fd02::10 >/dev/null 2>&1')).exitCode).toBe(0);
    expect(await run('a', 'timeout 10 wget -q -O - http://www.lab/')).toEqual({ exitCode: 0, output: 'hello from b' });
  });

  it('shows the same forwarding, routes, MTU, hosts and command effects as the app', async () => {
    expect((await run('r', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding')).output).toBe('1\n1');
    expect((await run('a', 'cat /proc/sys/net/ipv4/ip_forward')).output).toBe('0');
    expect((await run('a', 'ip route')).output).toMatch(/^default via 10\.1\.0\.1 dev eth0/m);
    expect((await run('a', 'ip -6 route')).output).toMatch(/^fd02::\/64 via fd01::1 dev eth0/m);
    expect((await run('b', 'ip link show eth0')).output).toMatch(/mtu 1400 /);
    expect((await run('r', 'ip link show eth1')).output).toMatch(/mtu 1400 /);
    expect((await run('a', 'grep www.lab /etc/hosts')).output).toBe('10.2.0.10 www.lab');
    expect((await run('a', 'hostname')).output).toBe('a');
    expect((await run('a', 'cat /tmp/up')).output).toBe('a is up');
    // The host side follows the MTU: b's TAP, and the bridge (the smallest of its ports).
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', 'br-lan2'], { encoding: 'utf8' })).toMatch(/mtu 1400 /);
  });

  it('leaves the failing startup command\'s marker on a\'s console (what the app reports as a problem event)', () => {
    const markers = readFileSync(vmRuntimePaths(labDir, 'a').serialLog, 'utf8').split('\n').map(parseStartupMarker).filter((m) => m !== null);
    expect(markers).toEqual([
      { kind: 'failed', vm: 'a', index: 1, exitCode: 3 },
      { kind: 'done', vm: 'a', commands: 2, failed: 1 },
    ]);
  });

  it('down leaves nothing behind', async () => {
    for (const agent of agents.values()) await agent.close();
    agents.clear();
    const pids = ['a', 'r', 'b'].map((vm) => Number(readFileSync(vmRuntimePaths(labDir, vm).pidFile, 'utf8').trim()));
    const down = script_(['down']);
    expect(down.status, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(namespaces()).not.toContain(ns);
    expect(existsSync(labDir)).toBe(false);
    for (const pid of pids) expect(isProcessRunning(pid)).toBe(false);
    expect(readdirSync('/tmp').filter((f) => f.startsWith('tmp.') && existsSync(join('/tmp', f, 'meta-data')))).toEqual([]);
  });
});
