/**
 * The lab verbs of the bundled CLI against a real lab: two tiny guests on one bridge, brought
 * up with `wirebench up` on the default accelerator path (no accel option, no WIREBENCH_ACCEL),
 * then status, exec, counters, link, capture | tshark, console with a piped stdin, and the same
 * verbs (and `down`) through the control socket of another engine that holds the lab. Always
 * brought down.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../../shared/host-names.js';
import { serializeLab } from '../../shared/lab.js';
import { Engine } from '../engine/engine.js';
import { controlSocketPath } from '../engine/server/control-socket.js';
import { namespaces, tsharkCount, twoVmLab, waitFor } from '../engine/test-support/system-lab.js';

const CLI = 'out/cli/wirebench.mjs';
// The default path a person takes: no accelerator forced.
const env = { ...process.env };
delete env.WIREBENCH_ACCEL;
const run = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 150_000, ...(input !== undefined ? { input } : {}) });

/** Like `run`, without blocking this process: needed while an engine in this process serves the CLI. */
function runAsync(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('wirebench lab verbs on a running lab', () => {
  const lab = twoVmLab();
  const ns = namespaceName(lab);
  const dir = mkdtempSync(join(tmpdir(), 'wb-cli-verbs-'));
  const file = join(dir, 'verbs.lab.json');
  writeFileSync(file, serializeLab(lab));
  let holder: Engine | null = null;

  afterAll(async () => {
    await holder?.close();
    if (namespaces().includes(ns)) run(['down', file]);
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  }, 120_000);

  it('up boots both guests on the default accelerator; status shows them running under TCG', () => {
    const up = run(['up', file]);
    expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
    const status = run(['status', file]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain(`namespace ${ns}: up`);
    expect(status.stdout).toMatch(/^vm a: running \(pid \d+, accel tcg\)$/m);
    expect(status.stdout).toMatch(/^vm b: running \(pid \d+, accel tcg\)$/m);
    expect(status.stdout).toContain('served by: this command');
  }, 180_000);

  it('exec prints the guest\'s output and exits with its code', () => {
    const uname = run(['exec', file, 'a', '--', 'uname', '-a']);
    expect(uname.status, uname.stderr).toBe(0);
    expect(uname.stdout).toMatch(/^Linux a /);
    expect(run(['exec', file, 'a', '--', 'false']).status).toBe(1);
    const three = run(['exec', file, 'b', '--', 'sh -c "exit 3"']);
    expect(three.status).toBe(3);
  });

  it('unknown names exit 2 and list what exists', () => {
    const vm = run(['exec', file, 'zz', '--', 'true']);
    expect(vm.status).toBe(2);
    expect(vm.stderr).toContain('no VM named "zz" in lab "systest"; VMs: a, b');
    const nic = run(['link', file, 'a', 'eth5', 'down']);
    expect(nic.status).toBe(2);
    expect(nic.stderr).toContain('VM "a" has no eth5 (its NICs: eth0 (lan))');
    const bridge = run(['capture', file, '--bridge', 'wan']);
    expect(bridge.status).toBe(2);
    expect(bridge.stderr).toContain('no bridge named "wan" in lab "systest"; bridges: lan');
    expect(run(['link', file, 'a', 'eth0', 'sideways']).status).toBe(2);
  });

  it('counters: one parseable line per NIC, guest perspective', () => {
    expect(run(['exec', file, 'a', '--', 'ping -c 2 -W 2 10.0.0.2']).status).toBe(0);
    const all = run(['counters', file]);
    expect(all.status, all.stderr).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const parsed = lines.map((line) => {
      const m = /^(\S+) (eth\d+) (\S+) rx_bytes=(\d+) tx_bytes=(\d+) rx_packets=(\d+) tx_packets=(\d+) errors=(\d+)$/.exec(line);
      expect(m, line).not.toBeNull();
      return { vm: m![1], guest: m![2], bridge: m![3], txPackets: Number(m![7]), rxPackets: Number(m![6]) };
    });
    expect(parsed.map((p) => `${p.vm}/${p.guest}/${p.bridge}`)).toEqual(['a/eth0/lan', 'b/eth0/lan']);
    expect(parsed[0]!.txPackets).toBeGreaterThanOrEqual(2);
    expect(parsed[1]!.rxPackets).toBeGreaterThanOrEqual(2);
    // One VM, one NIC by its alias.
    const one = run(['counters', file, 'b', 'ens0']);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^b eth0 lan rx_bytes=\d+ /);
  });

  it('link down cuts the cable (ping fails), link up restores it', async () => {
    const down = run(['link', file, 'a', 'eth0', 'down']);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain('cable a/eth0 (lan): down');
    expect(run(['exec', file, 'a', '--', 'ping -c 1 -W 2 10.0.0.2']).status).toBe(1);
    const up = run(['link', file, 'a', 'lan', 'up']);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain('cable a/eth0 (lan): up');
    await waitFor('ping after link up', () => run(['exec', file, 'a', '--', 'ping -c 1 -W 2 10.0.0.2']).status === 0, 20_000, 500);
  });

  it('capture | tshark -r - decodes the ICMP of a running ping; a second capture (--bridge -w) joins the first one\'s engine', async () => {
    // A real shell pipe, as a person types it; pipefail: the pipeline succeeds only if both do.
    const pipeline = spawn('bash', ['-c', `set -o pipefail; "$0" ${CLI} capture "$1" a eth0 | tshark -r - -Y icmp -T fields -e ip.src -e ip.dst -e icmp.type`, process.execPath, file], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let decoded = '';
    let nicLog = '';
    pipeline.stdout!.setEncoding('utf8').on('data', (t: string) => (decoded += t));
    pipeline.stderr!.setEncoding('utf8').on('data', (t: string) => (nicLog += t));
    const children: ChildProcess[] = [pipeline];
    let capturePid = 0;
    try {
      await waitFor('the NIC capture', () => nicLog.includes('capturing'), 60_000);
      expect(nicLog).toContain('capturing a/eth0 (lan)');
      capturePid = Number(execFileSync('pgrep', ['-P', String(pipeline.pid), '-f', `wirebench.mjs capture ${file} a eth0`], { encoding: 'utf8' }).trim());
      expect(capturePid).toBeGreaterThan(0);

      // This one finds the first capture's control socket and goes through it.
      const bridgeFile = join(dir, 'bridge.pcap');
      const bridgeCapture = spawn(process.execPath, [CLI, 'capture', file, '--bridge', 'lan', '-w', bridgeFile, '-f', 'icmp'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(bridgeCapture);
      let bridgeLog = '';
      bridgeCapture.stderr!.setEncoding('utf8').on('data', (t: string) => (bridgeLog += t));
      await waitFor('the bridge capture', () => bridgeLog.includes('capturing'), 60_000);
      expect(bridgeLog).toContain(`capturing bridge lan into ${bridgeFile}`);

      const ping = run(['exec', file, 'a', '--', 'ping -c 3 -i 0.3 -W 2 10.0.0.2']);
      expect(ping.status, ping.stderr).toBe(0);

      // The joined capture first (its engine is the first capture's), then the first.
      bridgeCapture.kill('SIGINT');
      expect(await exited(bridgeCapture), bridgeLog).toBe(0);
      expect(bridgeLog).toMatch(/capture of bridge lan ended \(interrupted\): \d+ packets/);
      process.kill(capturePid, 'SIGTERM');
      expect(await exited(pipeline), nicLog).toBe(0);
      expect(nicLog).toMatch(/capture of a\/eth0 \(lan\) ended \(terminated\): \d+ packets/);
      const rows = decoded.trim().split('\n');
      expect(rows.filter((r) => r === '10.0.0.1\t10.0.0.2\t8').length).toBeGreaterThanOrEqual(3);
      expect(rows.filter((r) => r === '10.0.0.2\t10.0.0.1\t0').length).toBeGreaterThanOrEqual(3);
      expect(tsharkCount(bridgeFile, 'icmp.type == 8')).toBeGreaterThanOrEqual(3);
      expect(tsharkCount(bridgeFile, 'not icmp')).toBe(0);
      // The first capture's engine is gone, and its socket with it.
      expect(existsSync(controlSocketPath(ns))).toBe(false);
    } finally {
      if (capturePid && pipeline.exitCode === null) process.kill(capturePid, 'SIGKILL');
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 150_000);

  it('console with a piped stdin: history first, then the answer to what was typed', () => {
    const r = run(['console', file, 'b'], 'echo hello-$((6*7))\n');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello-42');
    // The history (the boot) comes before the answer.
    const ready = r.stdout.indexOf('WIREBENCH-READY b');
    expect(ready).toBeGreaterThanOrEqual(0);
    expect(ready).toBeLessThan(r.stdout.indexOf('hello-42'));
  });

  it('while another engine holds the lab, verbs go through its control socket', async () => {
    holder = new Engine();
    await holder.invoke('lab.open', { path: file });
    const status = await holder.invoke('lab.status', {});
    expect(status.vms.map((v) => v.state)).toEqual(['running', 'running']);
    const socket = controlSocketPath(ns);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);

    const cliStatus = await runAsync(['status', file]);
    expect(cliStatus.status, cliStatus.stderr).toBe(0);
    expect(cliStatus.stdout).toContain(`served by: control socket ${socket}`);
    expect(cliStatus.stdout).toMatch(/^vm a: running \(pid \d+, accel tcg\)$/m);

    const exec = await runAsync(['exec', file, 'a', '--', 'uname', '-n']);
    expect(exec.status, exec.stderr).toBe(0);
    expect(exec.stdout.trim()).toBe('a');
    const console = await runAsync(['console', file, 'a'], 'echo via-$((40+2))\n');
    expect(console.status, console.stderr).toBe(0);
    expect(console.stdout).toContain('via-42');

    // The holder's VMs are still its own (the CLI never connected to QEMU itself).
    expect((await holder.invoke('vm.run', { vm: 'b', command: 'echo still-mine' })).output.trim()).toBe('still-mine');

    // A VM that is not running: said so, exit 1.
    await holder.invoke('vm.stop', { vm: 'b' });
    const stopped = await runAsync(['exec', file, 'b', '--', 'true']);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain(`VM b is stopped, not running: start it with \`wirebench up ${file}\``);

    // `down` while the holder holds the lab: the holder brings it down (its VMs, its socket).
    const down = await runAsync(['down', file]);
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(`namespace ${ns}: down`);
    expect(namespaces()).not.toContain(ns);
    expect(existsSync(socket)).toBe(false);
    expect((await holder.invoke('lab.status', {})).running).toBe(false);
    await holder.close();
    holder = null;
  }, 150_000);

  it('once down, the verbs say the lab is not running', () => {
    const down = run(['down', file]);
    expect(down.status, down.stderr).toBe(0);
    expect(namespaces()).not.toContain(ns);
    const status = run(['status', file]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(`namespace ${ns}: down`);
    const exec = run(['exec', file, 'a', '--', 'true']);
    expect(exec.status).toBe(1);
    expect(exec.stderr).toContain(`lab "systest" is not running (namespace ${ns} is down): start it with \`wirebench up ${file}\``);
  }, 120_000);
});
