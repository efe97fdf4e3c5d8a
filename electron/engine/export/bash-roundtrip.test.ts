/**
 * The exported bash script, run for real as root: it builds the lab, the guests talk, a
 * pulled cable cuts them apart and a plugged one joins them again, and `down` leaves nothing
 * behind. Also: without root, or without QEMU, it says what is missing and creates nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import { guestNicName, namespaceName, tapName } from '../../../shared/host-names.js';
import { nicMac } from '../../../shared/nic-mac.js';
import { qemuArgs } from '../../../shared/qemu-spec.js';
import { vmRuntimePaths } from '../../../shared/runtime-paths.js';
import { isProcessRunning } from '../../common/process-state.js';
import { namespaces } from '../test-support/system-lab.js';
import { vmQemuSpec } from '../qemu/vm-spec.js';
import { SerialConsole } from '../qemu/serial-console.js';
import { exportBash } from './bash-export.js';
import { resolveAccel } from '../qemu/accel.js';
import { skipWhenMissing } from '../../../e2e/support/prerequisites.js';

const isRoot = process.getuid?.() === 0;
const repo = new URL('../../../', import.meta.url).pathname;

function twoVmLab(): LabDocument {
  const input: LabDocumentInput = {
    format: 'wirebench/1',
    // A fresh id per run: its own namespace, whatever else runs on the machine.
    id: randomBytes(8).toString('hex'),
    name: 'roundtrip',
    bridges: [{ name: 'lan' }],
    vms: [{ name: 'a' }, { name: 'b' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      // Exercises set_netem; a kernel without sch_netem only warns.
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24', impairments: { delayMs: 1, rateKbit: 800 } },
    ],
  };
  const result = validateLab(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

/** A scratch folder the QEMU user (`nobody`) can read: the script itself must be readable. */
function scratchDir(): string {
  const dir = mkdtempSync('/tmp/wb-roundtrip-');
  chmodSync(dir, 0o755);
  return dir;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env, prefix: string[] = []): SpawnSyncReturns<string> {
  const [cmd, ...rest] = [...prefix, '/bin/bash', script, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env, timeout: 120_000 });
}

function describeRun(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}



/** Live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && isProcessRunning(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Runs `command` in the guest's root shell on its serial socket and returns its exit code.
 * The end marker carries a nonce and `$?` expanded, so the shell's echo of the typed line
 * (which shows `$?` literally) never matches it.
 */
function serialRun(socketPath: string, command: string, timeoutMs = 20_000): Promise<{ code: number; output: string }> {
  const nonce = randomBytes(4).toString('hex');
  const end = new RegExp(`__END_${nonce}_(\\d+)__`);
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`serial ${socketPath}: no end marker for "${command}" within ${timeoutMs} ms; got:\n${text}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${command}; echo __END_${nonce}_$?__\n`));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const match = end.exec(text);
      if (match) {
        clearTimeout(timer);
        socket.end();
        resolve({ code: Number(match[1]), output: text });
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe.skipIf(skipWhenMissing('bash-roundtrip.test.ts', isRoot ? null : 'needs root (network namespaces)'))('exported bash script, run for real (root)', () => {
  const lab = twoVmLab();
  const ns = namespaceName(lab);
  const labDir = `/run/wirebench/0/${ns}`;
  let dir = '';
  let script = '';
  let guestDir = '';
  let env: NodeJS.ProcessEnv = {};

  beforeAll(() => {
    dir = scratchDir();
    script = join(dir, 'lab.sh');
    writeFileSync(script, exportBash(lab), { mode: 0o755 });
    guestDir = execFileSync('bash', [join(repo, 'assets/guest/build.sh'), '--print-dir'], { encoding: 'utf8' }).trim();
    // The default path a person takes: no WIREBENCH_ACCEL, the script's own choice (auto).
    env = { ...process.env, WIREBENCH_GUEST_DIR: guestDir };
    delete env.WIREBENCH_ACCEL;
  });

  afterAll(() => {
    if (!script) return;
    // Clean up even when a test failed half-way: the script's own down, then a safety net.
    run(script, ['down'], env);
    if (namespaces().includes(ns)) spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(labDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  describe('prerequisites', () => {
    it('refuses to run without root, says so, and creates nothing', () => {
      const r = run(script, ['up'], env, ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']);
      expect(r.status, describeRun(r)).toBe(1);
      expect(r.stderr).toContain('nothing was created');
      expect(r.stderr).toContain('root: run it as root');
      expect(namespaces()).not.toContain(ns);
      expect(existsSync(labDir)).toBe(false);
    });

    it('without qemu on PATH, names the Debian package and creates nothing', () => {
      const bin = join(dir, 'bin-without-qemu');
      mkdirSync(bin);
      for (const folder of ['/usr/sbin', '/usr/bin']) {
        for (const name of readdirSync(folder)) {
          if (name === 'qemu-system-x86_64' || existsSync(join(bin, name))) continue;
          symlinkSync(join(folder, name), join(bin, name));
        }
      }
      const r = run(script, ['up'], { ...env, PATH: bin });
      expect(r.status, describeRun(r)).toBe(1);
      expect(r.stderr).toContain('command qemu-system-x86_64: install the Debian package qemu-system-x86');
      expect(namespaces()).not.toContain(ns);
      expect(existsSync(labDir)).toBe(false);
    });
  });

  describe('round trip', () => {
    const paths = { a: vmRuntimePaths(labDir, 'a'), b: vmRuntimePaths(labDir, 'b') };
    const pids: Record<string, number> = {};

    beforeAll(() => {
      // The tiny guest (quick when already built).
      execFileSync('bash', [join(repo, 'assets/guest/build.sh')], { stdio: 'inherit', timeout: 600_000 });
      // QEMU runs as nobody and opens /dev/net/tun itself. udev makes the device 0666 on a
      // normal Debian; machines without udev (containers, microVMs) leave it 0600.
      const probe = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'test', '-w', '/dev/net/tun']);
      if (probe.status !== 0) chmodSync('/dev/net/tun', 0o666);
    }, 660_000);

    it('up builds the lab and runs exactly the app QEMU command lines', async () => {
      // What the app would choose on this host for QEMU's user (nobody as root).
      const accel = await resolveAccel('auto', { uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })) });
      const r = run(script, ['up'], env);
      expect(r.status, describeRun(r)).toBe(0);
      expect(namespaces()).toContain(ns);
      for (const vm of ['a', 'b'] as const) {
        const pid = Number(readFileSync(paths[vm].pidFile, 'utf8').trim());
        expect(isProcessRunning(pid)).toBe(true);
        pids[vm] = pid;
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
        const spec = vmQemuSpec(lab, vm, { accel, labDir, tinyGuest: { bootDisk: join(guestDir, 'boot.img') } });
        expect(argv).toEqual(['qemu-system-x86_64', ...qemuArgs(spec)]);
      }
      // b's impairments as the app applies them: netem, or on kernels without it the rate alone
      // with the same tbf bucket as the helper's (shared/net-commands.ts), and a warning.
      const qdisc = execFileSync('tc', ['-n', ns, 'qdisc', 'show', 'dev', 'b.lan'], { encoding: 'utf8' });
      if (qdisc.includes('netem')) expect(qdisc).toMatch(/delay 1ms.*rate 800Kbit/s);
      else {
        expect(qdisc).toMatch(/qdisc tbf .*rate 800Kbit burst 1600b/);
        expect(r.stderr).toContain('b.lan is limited to 800 kbit/s with tbf; the delay and loss in (delay 1ms rate 800kbit) are not applied');
      }
    });

    it('up a second time is harmless: no second QEMU', () => {
      const r = run(script, ['up'], env);
      expect(r.status, describeRun(r)).toBe(0);
      expect(r.stdout).toContain(`vm a: already running (pid ${pids.a})`);
      expect(r.stdout).toContain(`vm b: already running (pid ${pids.b})`);
      expect(processesMentioning(`${labDir}/a.qmp`)).toEqual([pids.a]);
    });

    it('the guests boot and a reaches b.lan', async () => {
      for (const vm of ['a', 'b'] as const) {
        await waitFor(`WIREBENCH-READY ${vm} in ${paths[vm].serialLog}`, 150_000, () =>
          existsSync(paths[vm].serialLog) && readFileSync(paths[vm].serialLog, 'utf8').includes(`WIREBENCH-READY ${vm}`) ? true : undefined,
        );
      }
      const ping = await serialRun(paths.a.serialSocket, 'ping -c 1 -W 2 b.lan');
      expect(ping.code, ping.output).toBe(0);
    }, 180_000);

    it('inside the guests, names and MACs are the ones the app shows (same pure functions)', async () => {
      for (const vm of ['a', 'b'] as const) {
        const nic = lab.nics.find((n) => n.vm === vm)!;
        const ifname = guestNicName(lab.nics, vm, nic.bridge)!;
        const console = await SerialConsole.connect({ socketPath: paths[vm].serialSocket, vm });
        try {
          const seen = await console.run(`hostname; cat /sys/class/net/${ifname}/address`);
          expect(seen.exitCode, seen.output).toBe(0);
          expect(seen.output.trim().split(/\s+/)).toEqual([vm, nicMac(lab, nic)]);
        } finally {
          await console.close();
        }
        // The host side has the app's TAP name for this NIC.
        expect(spawnSync('ip', ['-n', ns, 'link', 'show', tapName(vm, nic.bridge)]).status).toBe(0);
      }
    });

    it('link a lan down pulls the cable: the TAP leaves the bridge and ping fails', async () => {
      const r = run(script, ['link', 'a', 'lan', 'down'], env);
      expect(r.status, describeRun(r)).toBe(0);
      expect(r.stderr, 'QEMU should confirm set_link (socat present)').not.toContain('warning');
      const status = run(script, ['status'], env);
      expect(status.stdout).toMatch(new RegExp(`tap ${tapName('a', 'lan').replace('.', '\\.')}\\s+down off the bridge`));
      const carrier = await serialRun(paths.a.serialSocket, 'cat /sys/class/net/eth0/carrier');
      expect(carrier.output).toMatch(/\n0\r?\n/);
      const ping = await serialRun(paths.a.serialSocket, 'ping -c 1 -W 2 b.lan');
      expect(ping.code, ping.output).not.toBe(0);
    }, 60_000);

    it('link a lan up plugs it back: ping succeeds again within 10 s', async () => {
      const r = run(script, ['link', 'a', 'lan', 'up'], env);
      expect(r.status, describeRun(r)).toBe(0);
      const started = Date.now();
      await waitFor('a successful ping after plugging the cable', 10_000, async () => {
        const ping = await serialRun(paths.a.serialSocket, 'ping -c 1 -W 1 b.lan');
        return ping.code === 0 ? true : undefined;
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      const status = run(script, ['status'], env);
      expect(status.stdout).toMatch(/vm\s+a\s+running/);
      expect(status.stdout).toMatch(/tap a\.lan\s+up\s+on br-lan/);
    }, 60_000);

    it('capture streams pcap of a NIC to a file', async () => {
      const pcap = join(dir, 'b-lan.pcap');
      // bash, ip netns exec and tcpdump exec one another: the child is tcpdump itself.
      const capture = spawn('/bin/bash', [script, 'capture', 'b', 'lan', pcap], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      capture.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await waitFor('tcpdump to listen', 20_000, () => (stderr.includes('listening on') ? true : undefined));
      const ping = await serialRun(paths.a.serialSocket, 'ping -c 2 -W 1 b.lan');
      expect(ping.code, ping.output).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      const exited = new Promise((resolve) => capture.on('exit', resolve));
      capture.kill('SIGINT');
      await exited;
      const bytes = readFileSync(pcap);
      expect(bytes.readUInt32LE(0), 'pcap magic').toBe(0xa1b2c3d4);
      // Walk the records (16-byte header each, after the 24-byte file header) for ICMP over IPv4.
      let icmp = 0;
      for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) {
        const frame = bytes.subarray(at + 16, at + 16 + bytes.readUInt32LE(at + 8));
        if (frame.length > 23 && frame.readUInt16BE(12) === 0x0800 && frame[23] === 1) icmp++;
      }
      // Both echo requests and both replies.
      expect(icmp, stderr).toBeGreaterThanOrEqual(4);
    }, 60_000);

    it('down leaves no namespace, interface, QEMU or runtime folder behind, and is harmless twice', () => {
      const r = run(script, ['down'], env);
      expect(r.status, describeRun(r)).toBe(0);
      expect(namespaces()).not.toContain(ns);
      const hostLinks = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
      for (const name of [tapName('a', 'lan'), tapName('b', 'lan')]) expect(hostLinks).not.toContain(` ${name}:`);
      expect(isProcessRunning(pids.a!)).toBe(false);
      expect(isProcessRunning(pids.b!)).toBe(false);
      expect(processesMentioning(labDir)).toEqual([]);
      expect(existsSync(labDir)).toBe(false);
      const again = run(script, ['down'], env);
      expect(again.status, describeRun(again)).toBe(0);
      const capture = run(script, ['capture', 'a', 'lan', join(dir, 'never.pcap')], env);
      expect(capture.status).toBe(1);
      expect(capture.stderr).toContain('vm a has no TAP on bridge lan (not booted?)');
    }, 60_000);
  });
});

