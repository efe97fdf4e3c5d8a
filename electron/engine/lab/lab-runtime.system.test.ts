/**
 * The VM runtime for real: two tiny guests under TCG on one bridge, driven through the
 * engine's contract exactly as the UI drives it. Runs as root (CI does).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/api.js';
import { namespaceName } from '../../../shared/host-names.js';
import { labRuntimeDir, runtimeRoot } from '../../../shared/runtime-paths.js';
import type { Engine } from '../engine.js';
import { changeLab } from '../test-support/lab-change.js';
import { captureRecorder } from '../test-support/capture-recorder.js';
import { tally } from '../../../test-support/suite-tally.js';
import { guestStat, namespaces, openEngine, processExists, tsharkCount, tsharkFields, twoVmLab, waitFor } from '../test-support/system-lab.js';

// b's NIC asks for impairments: all applied where the kernel has sch_netem; elsewhere the
// rate alone (tbf) and the delay reported as not applied. 800 kbit/s = 100 KB/s towards b.
const RATE_KBIT = 800;
const lab = twoVmLab({
  nics: [
    { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
    { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24', impairments: { delayMs: 1, rateKbit: RATE_KBIT } },
  ],
});
const ns = namespaceName(lab);
const labDir = labRuntimeDir(runtimeRoot(0, process.env.XDG_RUNTIME_DIR), ns);
let engine: Engine;
let events: LabEvent[];
const a = { vm: 'a', bridge: 'lan' };

async function ping(from: string, target: string, count = 1): Promise<number> {
  return (await engine.invoke('vm.run', { vm: from, command: `ping -c ${count} -W 2 ${target} >/dev/null 2>&1`, timeoutMs: 30_000 })).exitCode;
}

// In order, on one booted lab: each test starts from the state the one before left (booting
// per test would take minutes); 'boots both guests' must run before everything after it.
describe('VM runtime with real guests', () => {
  beforeAll(async () => {
    ({ engine, events } = await openEngine(lab));
  });

  afterAll(async () => {
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    // Belt and braces: never leave a namespace behind even if the test failed half-way.
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('reports zeros and refuses captures and commands before boot, with the documented messages', async () => {
    expect(await engine.invoke('nic.counters', a)).toEqual({ rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0, errors: 0 });
    await expect(engine.invoke('nic.capture', { nic: a, options: {} })).rejects.toThrow(
      'nic:capture: vm `a` has no TAP on bridge `lan` (not booted?). Start the lab or the VM first.',
    );
    await expect(engine.invoke('vm.run', { vm: 'a', command: 'true' })).rejects.toThrow('vm.run: VM "a" is stopped, not running');
  });

  it('refuses unknown VM, bridge and NIC names, naming what exists', async () => {
    await expect(engine.invoke('nic.counters', { vm: 'zz', bridge: 'lan' })).rejects.toThrow('nic.counters: no VM named "zz" in lab "systest" (VMs: a, b)');
    await expect(engine.invoke('nic.disconnect', { vm: 'a', bridge: 'wan' })).rejects.toThrow('nic.disconnect: no bridge named "wan" in lab "systest" (bridges: lan)');
    await expect(engine.invoke('vm.start', { vm: 'nope' })).rejects.toThrow('vm.start: no VM named "nope"');
    await expect(engine.invoke('bridge.capture', { bridge: 'dmz', options: {} })).rejects.toThrow('no bridge named "dmz"');
  });

  it('boots both guests in parallel; a pings b.lan', async () => {
    const status = await engine.invoke('lab.up', {});
    expect(status.vms.map((v) => v.state)).toEqual(['running', 'running']);
    expect(events.filter((e) => e.type === 'vm.state' && e.state === 'running').length).toBe(2);
    expect(await ping('a', 'b.lan')).toBe(0);
    const qdisc = execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'show', 'dev', 'b.lan'], { encoding: 'utf8' });
    const unsupported = events.find((e) => e.type === 'error' && e.code === 'impairments-unsupported');
    // Either netem really is on b's TAP, or tbf limits its rate and the user was told the rest.
    if (qdisc.includes('netem')) expect(qdisc).toMatch(/delay 1ms.*rate 800Kbit/s);
    else {
      expect(qdisc).toMatch(/qdisc tbf .*rate 800Kbit/);
      expect(unsupported && unsupported.type === 'error' && unsupported.message).toContain('impairments on b.lan: the rate limit is applied (tbf), delay not');
    }
  });

  it('NIC names and MACs inside the guest match the inspector', async () => {
    const info = await engine.invoke('nic.info', a);
    expect(info).toMatchObject({ guestName: 'eth0', hostTap: 'a.lan', hostBridge: 'br-lan', namespace: ns });
    const mac = await engine.invoke('vm.run', { vm: 'a', command: 'cat /sys/class/net/eth0/address' });
    expect(mac.output.trim()).toBe(info.mac);
  });

  it('counts guest-perspective traffic that matches the guest\'s own statistics', async () => {
    const guestBefore = { rx: await guestStat(engine, 'a', 'eth0', 'rx_packets'), tx: await guestStat(engine, 'a', 'eth0', 'tx_packets') };
    const oursBefore = await engine.invoke('nic.counters', a);
    expect(await ping('a', 'b.lan -i 0.05', 100)).toBe(0);
    const guestAfter = { rx: await guestStat(engine, 'a', 'eth0', 'rx_packets'), tx: await guestStat(engine, 'a', 'eth0', 'tx_packets') };
    const oursAfter = await engine.invoke('nic.counters', a);
    const ours = { rx: oursAfter.rx_packets - oursBefore.rx_packets, tx: oursAfter.tx_packets - oursBefore.tx_packets };
    const guest = { rx: guestAfter.rx - guestBefore.rx, tx: guestAfter.tx - guestBefore.tx };
    expect(guest.rx).toBeGreaterThanOrEqual(100);
    expect(guest.tx).toBeGreaterThanOrEqual(100);
    const seen = JSON.stringify({ ours, guest });
    // What the guest sends, the TAP receives: equal but for ARP noise between the reads.
    expect(Math.abs(ours.tx - guest.tx), seen).toBeLessThanOrEqual(4);
    // Guest rx is defined as the TAP's tx. The bridge also floods the neighbour's IPv6
    // multicast (router solicitations, MLD reports) to this TAP, and QEMU's virtio-net rx
    // filter drops those before the guest counts them: ours may exceed the guest's by that.
    expect(ours.rx - guest.rx, seen).toBeGreaterThanOrEqual(-4);
    expect(ours.rx - guest.rx, seen).toBeLessThanOrEqual(12);
    expect(oursAfter.rx_bytes).toBeGreaterThan(oursBefore.rx_bytes + 100 * 98);
    // The ticks carry the same NIC, with rates.
    const tick = events.filter((e) => e.type === 'counters.tick').at(-1);
    expect(tick && tick.type === 'counters.tick' && tick.nics.find((n) => n.vm === 'a')).toBeTruthy();
  });

  it('resets counters to a baseline', async () => {
    await engine.invoke('nic.resetCounters', a);
    const after = await engine.invoke('nic.counters', a);
    expect(after.rx_packets).toBeLessThanOrEqual(2);
    expect(after.tx_packets).toBeLessThanOrEqual(2);
    expect(await ping('a', 'b.lan', 3)).toBe(0);
    const later = await engine.invoke('nic.counters', a);
    expect(later.tx_packets).toBeGreaterThanOrEqual(3);
    expect(later.tx_packets).toBeLessThan(20);
  });

  it('captures a NIC (ICMP both ways, checked by tshark) and a whole bridge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-cap-'));
    const nicFile = join(dir, 'a.pcap');
    const bridgeFile = join(dir, 'lan.pcap');
    const recorder = captureRecorder();
    const nicCapture = await engine.invoke('nic.capture', { nic: a, options: { saveTo: nicFile } }, recorder.client);
    expect(nicCapture.title).toBe('a/eth0 (lan)');
    const bridgeCapture = await engine.invoke('bridge.capture', { bridge: 'lan', options: { saveTo: bridgeFile, filter: 'icmp' } });
    expect(await ping('a', 'b.lan', 3)).toBe(0);
    expect(await ping('b', 'a.lan', 2)).toBe(0);
    const stopped = await engine.invoke('capture.stop', { captureId: nicCapture.captureId });
    await engine.invoke('capture.stop', { captureId: bridgeCapture.captureId });
    expect(stopped.packets).toBeGreaterThanOrEqual(10);
    expect(tsharkCount(nicFile, 'icmp.type == 8 && ip.src == 10.0.0.1')).toBeGreaterThanOrEqual(3);
    expect(tsharkCount(nicFile, 'icmp.type == 0 && ip.src == 10.0.0.2')).toBeGreaterThanOrEqual(3);
    // The bridge sees both VMs in both directions, and its BPF filter kept only ICMP.
    expect(new Set(tsharkFields(bridgeFile, 'icmp.type == 8', 'ip.src'))).toEqual(new Set(['10.0.0.1', '10.0.0.2']));
    expect(new Set(tsharkFields(bridgeFile, 'icmp.type == 0', 'ip.src'))).toEqual(new Set(['10.0.0.1', '10.0.0.2']));
    expect(tsharkCount(bridgeFile, '!icmp')).toBe(0);
    // Chunks reached the client that started the capture too, starting with the pcap magic.
    const first = recorder.chunks(nicCapture.captureId)[0];
    expect(first && first.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(events.some((e) => e.type === 'capture.ended' && e.captureId === nicCapture.captureId)).toBe(true);
  });

  it('carries wire-sized frames with real checksums (guest offloads off), so captures look like a real cable', async () => {
    // b's nc reads a stdin that stays open: busybox nc half-closes when its stdin ends, and a
    // client seeing that FIN stops sending. With QEMU's default offloads a bulk TCP send leaves the guest as 64 KiB TSO frames with
    // partial checksums; NIC_OFFLOADS_OFF makes the guest segment and checksum on its own.
    const file = join(mkdtempSync(join(tmpdir(), 'wb-cap-')), 'bulk.pcap');
    const capture = await engine.invoke('nic.capture', { nic: a, options: { saveTo: file, filter: 'tcp port 9001' } });
    expect((await engine.invoke('vm.run', { vm: 'b', command: '(sleep 60 | nc -l -p 9001 > /tmp/bulk 2>/dev/null &)' })).exitCode).toBe(0);
    await waitFor('b to listen on 9001', async () => (await engine.invoke('vm.run', { vm: 'b', command: 'netstat -ltn | grep -q ":9001 "' })).exitCode === 0, 20_000, 300);
    const started = Date.now();
    const send = await engine.invoke('vm.run', { vm: 'a', command: 'dd if=/dev/zero bs=1024 count=512 2>/dev/null | nc -w 3 b.lan 9001', timeoutMs: 60_000 });
    expect(send.exitCode).toBe(0);
    // nc returns once its socket has the data; wait for b to have all of it, then for the FIN.
    await waitFor('b to receive 512 KiB', async () => (await engine.invoke('vm.run', { vm: 'b', command: 'wc -c < /tmp/bulk' })).output.trim() === String(512 * 1024), 30_000, 300);
    // b's NIC is limited to RATE_KBIT (netem, or the tbf fallback): 512 KiB cannot arrive sooner.
    expect(Date.now() - started).toBeGreaterThan(((512 * 1024 * 8) / (RATE_KBIT * 1000)) * 1000 * 0.85);
    await new Promise((r) => setTimeout(r, 500));
    await engine.invoke('capture.stop', { captureId: capture.captureId });
    const payload = tsharkFields(file, 'ip.src == 10.0.0.1 && tcp.len > 0', 'tcp.len').reduce((sum, n) => sum + Number(n), 0);
    // At least every byte once (the rate limit drops some frames, so TCP resends a few).
    expect(payload).toBeGreaterThanOrEqual(512 * 1024);
    expect(tsharkCount(file, 'frame.len > 1514')).toBe(0);
    const badChecksums = execFileSync('tshark', ['-r', file, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', 'tcp.checksum.status != 1 || ip.checksum.status != 1', '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    expect(badChecksums.trim()).toBe('');
  });

  it('refuses an invalid BPF filter before tcpdump runs', async () => {
    await expect(engine.invoke('nic.capture', { nic: a, options: { filter: 'icmp and and' } })).rejects.toThrow(/filter/i);
  });

  it('pulls the cable: the guest sees carrier loss and pings fail; re-plugging restores them', async () => {
    const down = await engine.invoke('nic.disconnect', a);
    expect(down.link).toBe('down');
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'cat /sys/class/net/eth0/carrier' })).output.trim()).toBe('0');
    expect(await ping('a', 'b.lan')).toBe(1);
    const master = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'a.lan'], { encoding: 'utf8' }))[0].master;
    expect(master).toBeUndefined();
    // The document follows: the cable stays pulled after a save.
    expect((await engine.invoke('lab.current', {}))?.document.nics.find((n) => n.vm === 'a')?.link).toBe('down');

    await engine.invoke('nic.reconnect', a);
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'cat /sys/class/net/eth0/carrier' })).output.trim()).toBe('1');
    await waitFor('ping after re-plug', async () => (await ping('a', 'b.lan')) === 0, 10_000, 500);
  });

  it('hot-plugs a NIC into a running VM (the guest sees eth1) and unplugs it', async () => {
    const applied = await changeLab(engine, [
      { kind: 'bridge.add', bridge: { name: 'wan', position: { x: 0, y: 0 } } },
      { kind: 'nic.add', nic: { vm: 'a', bridge: 'wan', link: 'up' } },
    ]);
    expect(applied.problems).toEqual([]);
    const list = async () => (await engine.invoke('vm.run', { vm: 'a', command: 'ls /sys/class/net' })).output.split(/\s+/);
    await waitFor('eth1 in the guest', async () => (await list()).includes('eth1'), 15_000, 500);
    const info = await engine.invoke('nic.info', { vm: 'a', bridge: 'wan' });
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'cat /sys/class/net/eth1/address' })).output.trim()).toBe(info.mac);

    await changeLab(engine, [
      { kind: 'nic.remove', vm: 'a', bridge: 'wan' },
      { kind: 'bridge.remove', name: 'wan' },
    ]);
    await waitFor('eth1 gone', async () => !(await list()).includes('eth1'), 15_000, 500);
    expect(execFileSync('ip', ['-n', ns, 'link', 'show'], { encoding: 'utf8' })).not.toContain('a.wan');
  });

  it('lists edits only a restart applies until that VM restarts', async () => {
    const applied = await changeLab(engine, [{ kind: 'vm.update', name: 'a', patch: { memoryMiB: 160 } }]);
    expect(applied.restartNeeded).toEqual(['VM "a": image, CPUs or memory changed; restart it to apply']);
    expect((await engine.invoke('lab.status', {})).restartNeeded).toEqual(applied.restartNeeded);
    await engine.invoke('vm.stop', { vm: 'a' });
    const restarted = await engine.invoke('vm.start', { vm: 'a' });
    expect(restarted.state).toBe('running');
    expect((await engine.invoke('lab.status', {})).restartNeeded).toEqual([]);
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 1 -W 2 b.lan >/dev/null' })).exitCode).toBe(0);
  });

  it('marks a VM killed from outside as crashed with its last serial lines', async () => {
    const pid = (await engine.invoke('lab.status', {})).vms.find((v) => v.name === 'b')!.pid!;
    process.kill(pid, 'SIGKILL');
    tally('QEMU killed', { faults: 1 });
    const crashed = await waitFor('crashed state', () => events.find((e) => e.type === 'vm.state' && e.vm === 'b' && e.state === 'crashed'), 10_000);
    expect(crashed.type === 'vm.state' && crashed.reason).toMatch(/QEMU exited unexpectedly/);
    // With its last serial lines (what the guest printed before it died).
    expect(crashed.type === 'vm.state' && crashed.reason).toMatch(/; last serial output:\n.*\S/);
    expect((await engine.invoke('lab.status', {})).vms.find((v) => v.name === 'b')!.state).toBe('crashed');
    // Starting it again cleans up what the crash left (its TAP) and boots it.
    expect((await engine.invoke('vm.start', { vm: 'b' })).state).toBe('running');
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 1 -W 2 b.lan >/dev/null' })).exitCode).toBe(0);
  });

  it('lab down stops everything and leaves no namespace, process or runtime file', async () => {
    const pids = (await engine.invoke('lab.status', {})).vms.map((v) => v.pid).filter((p): p is number => p !== null);
    const status = await engine.invoke('lab.down', {});
    expect(status.running).toBe(false);
    expect(status.vms.map((v) => v.state)).toEqual(['stopped', 'stopped']);
    const leaked = [namespaces().includes(ns), existsSync(labDir), ...pids.map(processExists)].filter(Boolean).length;
    tally('lab down after a run', { leaked });
    expect(namespaces()).not.toContain(ns);
    expect(existsSync(labDir)).toBe(false);
    for (const pid of pids) expect(processExists(pid)).toBe(false);
  });
});

// Independent tests: each starts its own engine in its own doctored mount namespace.
describe('VM runtime on a machine that cannot run it', () => {
  /**
   * Starts an engine whose helper sees a doctored filesystem: a private mount namespace where
   * `setup` (shell) has bound something over a system file. The machine itself stays untouched.
   */
  async function startVmWithHelperIn(setup: string): Promise<{ message: string; state: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'wb-doctored-'));
    const wrapper = join(dir, 'node-doctored');
    writeFileSync(wrapper, `#!/bin/sh\nexec unshare --mount sh -c '${setup} && exec "$0" "$@"' ${process.execPath} "$@"\n`, { mode: 0o755 });
    const { HelperClient } = await import('../net/helper-client.js');
    const { Engine } = await import('../engine.js');
    const lab = twoVmLab();
    const engine = new Engine({ runtime: { accel: 'tcg', helper: () => HelperClient.start({ nodePath: wrapper }) } });
    writeFileSync(join(dir, 'x.lab.json'), JSON.stringify(lab));
    await engine.invoke('lab.open', { path: join(dir, 'x.lab.json') });
    try {
      const reply = await engine.dispatch('vm.start', { vm: 'a' });
      expect(reply.ok).toBe(false);
      const message = reply.ok ? '' : `${reply.error.message} ${reply.error.hint ?? ''}`;
      return { message, state: (await engine.invoke('lab.status', {})).vms[0]!.state };
    } finally {
      await engine.invoke('lab.down', {}).catch(() => undefined);
      await engine.close();
      expect(namespaces()).not.toContain(namespaceName(lab));
    }
  }

  it('says which Debian package to install when qemu-system-x86_64 is missing', async () => {
    // /dev/null is not executable: the helper finds no QEMU.
    const { message, state } = await startVmWithHelperIn('mount --bind /dev/null /usr/bin/qemu-system-x86_64');
    expect(message).toContain('qemu-system-x86_64 is not installed');
    expect(message).toContain('apt-get install qemu-system-x86');
    expect(state).toBe('crashed');
  });

  it('says how to fix a /dev/net/tun the QEMU user cannot open (machines without udev)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-tun-'));
    const { message } = await startVmWithHelperIn(`mknod -m 0600 ${dir}/tun c 10 200 && mount --bind ${dir}/tun /dev/net/tun`);
    expect(message).toContain('cannot open /dev/net/tun');
    expect(message).toContain('chmod 0666 /dev/net/tun');
  });
});
