/**
 * The real bundled helper, driven through HelperClient as the engine drives it, as root, on
 * the real kernel: a lab namespace with two bridges and four TAPs, cables, link state,
 * impairments, a capture with real frames checked by tshark, refusals, a QEMU launch, and gc.
 */
import { createReadStream, chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../engine/net/helper-client.js';
import type { QemuSpec } from '../../shared/qemu-spec.js';
import { HELPER_BUNDLE, OWNED_DIR, forceRemoveNamespace, link, namespaceNames, randomNamespace, sh, trySh } from './test-support/system.js';
import { addInjector, replay } from '../engine/test-support/traffic-injector.js';
import { udpRecords, writePcap } from '../../packet/node.js';

const NS = randomNamespace();
/** Not created through the helper: must be refused (not-owned) and left untouched. */
const FOREIGN_NS = randomNamespace();
/** The far end of a veth, where the test's pings come from (test-owned, not a lab namespace). */
const PEER_NS = `wbt-${NS.slice(3)}`;
const LAB_DIR = `/run/wirebench/0/${NS}`;
const fifosSeen: string[] = [];
let scratch = '';
const DATAGRAMS = 5;
/** Sends DATAGRAMS UDP datagrams to the lab bridge's address, 50 ms apart. */
const SEND_DATAGRAMS = `
const s = require('node:dgram').createSocket('udp4');
let n = 0;
const tick = () => n++ < ${DATAGRAMS} ? s.send('wirebench', 9, '10.77.0.2', () => setTimeout(tick, 50)) : s.close();
tick();`;
let client: HelperClient;
/** Frames replayed at once while the capture's reader is away. */
const BURST = 10_000;
/** Frames replayed while tcpdump itself is frozen. */
const DRAIN = 5_000;

/**
 * Reads a capture FIFO to its end: the chunks so far, and a promise for the end. Resolves
 * once the FIFO is open: opening a FIFO waits for a writer, so an open still pending when
 * tcpdump exits (a loaded machine, a quick stop) would wait forever — seen once in CI.
 */
async function readFifo(fifo: string): Promise<{ chunks: Buffer[]; ended: Promise<void> }> {
  const chunks: Buffer[] = [];
  const stream = createReadStream(fifo);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  return { chunks, ended };
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Whether this kernel has the netem qdisc (some VM kernels are built without it). */
function kernelHasNetem(): boolean {
  return trySh('ip', ['netns', 'exec', PEER_NS, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']).code === 0;
}

beforeAll(async () => {
  sh('ip', ['netns', 'add', PEER_NS]);
  sh('ip', ['netns', 'add', FOREIGN_NS]);
  scratch = mkdtempSync('/var/tmp/wirebench-helper-test-');
  chmodSync(scratch, 0o755);
  client = await HelperClient.start({ helperPath: HELPER_BUNDLE, asRoot: true });
});

afterAll(async () => {
  await client?.call({ op: 'ns.delete', ns: NS }).catch(() => undefined);
  await client?.close();
  for (const ns of [NS, FOREIGN_NS, PEER_NS]) forceRemoveNamespace(ns);
  rmSync(LAB_DIR, { recursive: true, force: true });
  for (const fifo of fifosSeen) rmSync(fifo, { force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('privileged helper on the real system', () => {
  it('reports who it works for', async () => {
    const info = await client.call({ op: 'info' });
    expect(info).toMatchObject({ uid: 0, qemuUid: 65534, qemuGid: 65534, runtimeRoot: '/run/wirebench/0' });
  });

  it('creates a lab namespace it owns, once', async () => {
    await expect(client.call({ op: 'ns.create', ns: NS })).resolves.toEqual({ ns: NS });
    expect(namespaceNames()).toContain(NS);
    expect(existsSync(`${OWNED_DIR}/${NS}`)).toBe(true);
    expect(link(NS, 'lo')?.flags).toContain('UP');
    expect((await client.call({ op: 'info' })).namespaces).toContain(NS);
    await expect(client.call({ op: 'ns.create', ns: NS })).rejects.toMatchObject({ code: 'exists' });
  });

  it('builds two bridges and four TAPs owned by the QEMU user', async () => {
    for (const bridge of ['br-a', 'br-b']) await client.call({ op: 'bridge.create', ns: NS, bridge });
    for (const tap of ['a.a', 'b.a', 'c.b', 'd.b']) await client.call({ op: 'tap.create', ns: NS, tap });
    const a = link(NS, 'br-a');
    expect(a?.linkinfo?.info_kind).toBe('bridge');
    expect(a?.linkinfo?.info_data).toMatchObject({ stp_state: 0, forward_delay: 0 });
    expect(a?.flags).toContain('UP');
    const tap = link(NS, 'a.a');
    expect(tap?.linkinfo?.info_kind).toBe('tun');
    expect(tap?.linkinfo?.info_data).toMatchObject({ type: 'tap', user: 'nobody', group: 'nogroup' });
    await expect(client.call({ op: 'bridge.create', ns: NS, bridge: 'br-a' })).rejects.toMatchObject({ code: 'exists' });
    // Kind checks: a TAP is not a bridge and the other way round.
    await expect(client.call({ op: 'bridge.delete', ns: NS, bridge: 'a.a' })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(client.call({ op: 'tap.delete', ns: NS, tap: 'br-a' })).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('attaches and detaches cables', async () => {
    // Sent back to back without awaiting: the helper serializes them per namespace.
    await Promise.all([
      client.call({ op: 'link.attach', ns: NS, tap: 'a.a', bridge: 'br-a' }),
      client.call({ op: 'link.attach', ns: NS, tap: 'b.a', bridge: 'br-a' }),
      client.call({ op: 'link.attach', ns: NS, tap: 'c.b', bridge: 'br-b' }),
      client.call({ op: 'link.attach', ns: NS, tap: 'd.b', bridge: 'br-b' }),
    ]);
    expect(link(NS, 'a.a')?.master).toBe('br-a');
    expect(link(NS, 'b.a')?.master).toBe('br-a');
    expect(link(NS, 'c.b')?.master).toBe('br-b');
    expect(link(NS, 'd.b')?.master).toBe('br-b');
    await client.call({ op: 'link.detach', ns: NS, tap: 'b.a' });
    expect(link(NS, 'b.a')?.master).toBeUndefined();
    await expect(client.call({ op: 'link.attach', ns: NS, tap: 'b.a', bridge: 'br-zz' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(client.call({ op: 'link.attach', ns: NS, tap: 'zz', bridge: 'br-a' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('sets links down and up', async () => {
    await client.call({ op: 'link.set', ns: NS, dev: 'a.a', up: false });
    expect(link(NS, 'a.a')?.flags).not.toContain('UP');
    expect(link(NS, 'a.a')?.operstate).toBe('DOWN');
    await client.call({ op: 'link.set', ns: NS, dev: 'a.a', up: true });
    expect(link(NS, 'a.a')?.flags).toContain('UP');
    await expect(client.call({ op: 'link.set', ns: NS, dev: 'nope0', up: true })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('applies and clears impairments (or says the kernel cannot)', async () => {
    const qdisc = (): string => sh('ip', ['netns', 'exec', NS, 'tc', 'qdisc', 'show', 'dev', 'c.b']);
    const request = { op: 'netem.set', ns: NS, dev: 'c.b', netem: { delayMs: 20, jitterMs: 5, lossPercent: 1.5, rateKbit: 1000 } } as const;
    if (kernelHasNetem()) {
      await expect(client.call(request)).resolves.toEqual({ qdisc: 'netem', notApplied: [] });
      expect(qdisc()).toMatch(/netem .*delay 20ms\s+5ms/);
      expect(qdisc()).toMatch(/loss 1.5%/);
      await client.call({ op: 'netem.set', ns: NS, dev: 'c.b', netem: { delayMs: 7 } });
      expect(qdisc()).toMatch(/delay 7ms/);
      expect(qdisc()).not.toMatch(/loss/);
    } else {
      console.log('this kernel has no netem qdisc: checking the tbf rate fallback and the refusal');
      // The rate is applied with tbf, and the answer says what was not.
      await expect(client.call(request)).resolves.toEqual({ qdisc: 'tbf', notApplied: ['delay', 'jitter', 'loss'] });
      expect(qdisc()).toMatch(/qdisc tbf .*rate 1Mbit burst 1600b/);
      await expect(client.call({ op: 'netem.set', ns: NS, dev: 'c.b', netem: { rateKbit: 2000 } })).resolves.toEqual({ qdisc: 'tbf', notApplied: [] });
      expect(qdisc()).toMatch(/qdisc tbf .*rate 2Mbit/);
      // Without a rate there is nothing tbf can do.
      await expect(client.call({ op: 'netem.set', ns: NS, dev: 'c.b', netem: { delayMs: 20, lossPercent: 1 } })).rejects.toMatchObject({
        code: 'unsupported',
        message: expect.stringContaining('which delay, loss need'),
        hint: expect.stringContaining('sch_netem'),
      });
    }
    await client.call({ op: 'netem.clear', ns: NS, dev: 'c.b' });
    expect(qdisc()).not.toMatch(/netem|tbf/);
    // Clearing a device without impairments is not an error.
    await client.call({ op: 'netem.clear', ns: NS, dev: 'c.b' });
  });

  it('captures real frames into a FIFO the test can read as pcap', async () => {
    // A veth from the bridge to a peer namespace, with addresses on both sides, so datagrams
    // from the peer cross br-a (test plumbing, made with ip directly). No ping on these
    // machines: Node sends the UDP datagrams, the bridge's address answers port-unreachable.
    sh('ip', ['-n', NS, 'link', 'add', 'vb', 'type', 'veth', 'peer', 'name', 'va', 'netns', PEER_NS]);
    await client.call({ op: 'link.attach', ns: NS, tap: 'vb', bridge: 'br-a' });
    sh('ip', ['-n', NS, 'addr', 'add', '10.77.0.2/24', 'dev', 'br-a']);
    sh('ip', ['-n', PEER_NS, 'addr', 'add', '10.77.0.1/24', 'dev', 'va']);
    sh('ip', ['-n', PEER_NS, 'link', 'set', 'va', 'up']);

    const { captureId, fifo } = await client.call({ op: 'capture.start', ns: NS, dev: 'br-a', filter: 'udp or icmp', snaplen: 2048 });
    fifosSeen.push(fifo);
    expect(captureId).toMatch(/^cap-\d+$/);
    expect(fifo).toMatch(/^\/run\/wirebench\/0\/captures\/cap-\d+\.pcap$/);
    const { chunks, ended } = await readFifo(fifo);

    sh('ip', ['netns', 'exec', PEER_NS, process.execPath, '-e', SEND_DATAGRAMS]);
    const counts = await client.call({ op: 'capture.stop', captureId });
    await ended;
    expect(counts.packetsCaptured).toBeGreaterThanOrEqual(DATAGRAMS);
    expect(counts.kernelDrops).toBe(0);
    expect(existsSync(fifo)).toBe(false);

    const pcap = Buffer.concat(chunks);
    // Little-endian microsecond pcap: a1b2c3d4 as stored by x86.
    expect(pcap.subarray(0, 4).toString('hex')).toBe('d4c3b2a1');
    const file = join(scratch, 'capture.pcap');
    writeFileSync(file, pcap);
    const frames = sh('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.protocols']).trim().split('\n');
    expect(frames.length).toBe(counts.packetsCaptured);
    expect(frames.filter((p) => p === 'eth:ethertype:ip:udp:data').length).toBe(DATAGRAMS);
    await expect(client.call({ op: 'capture.stop', captureId })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('reports a capture whose device goes away with a capture.ended event', async () => {
    const ended = new Promise<{ captureId: string }>((resolve) => {
      const off = client.on('capture.ended', (e) => {
        off();
        resolve(e);
      });
    });
    const { captureId, fifo } = await client.call({ op: 'capture.start', ns: NS, dev: 'b.a' });
    fifosSeen.push(fifo);
    await client.call({ op: 'tap.delete', ns: NS, tap: 'b.a' });
    await expect(ended).resolves.toMatchObject({ captureId, packetsCaptured: 0 });
    expect(link(NS, 'b.a')).toBeUndefined();
  });

  it('rides out a stalled reader: offloads go off on the captured device, so ring slots are MTU-sized', async () => {
    // libpcap sizes each ring slot for the largest frame the device can show it: 64 KiB while
    // GSO/GRO/TSO are on (a bridge inherits them from its ports), which leaves the 32 MiB ring
    // ~500 slots. 10,000 frames arrive while nobody reads the FIFO: with 64 KiB slots most of
    // them are dropped by the kernel; with MTU-sized slots every one is kept.
    const injector = addInjector(NS, 'br-a', 'wbburst');
    const pcapFile = join(scratch, 'burst.pcap');
    const burstFile = writePcap(1, udpRecords(BURST));
    writeFileSync(pcapFile, burstFile);
    const { captureId, fifo } = await client.call({ op: 'capture.start', ns: NS, dev: 'br-a', filter: 'ether src 52:54:00:00:00:01 and udp' });
    fifosSeen.push(fifo);
    const features = sh('ip', ['netns', 'exec', NS, 'ethtool', '-k', 'br-a']);
    for (const feature of ['tcp-segmentation-offload', 'generic-segmentation-offload', 'generic-receive-offload']) expect(features).toMatch(new RegExp(`^${feature}: off`, 'm'));

    const sent = await replay(NS, injector.dev, pcapFile, 20_000);
    expect(sent.sent).toBe(BURST);
    await new Promise((r) => setTimeout(r, 500)); // the reader is still away
    const { chunks, ended } = await readFifo(fifo);
    // tcpdump drains its ring only while it runs: let it catch up before stopping it.
    // (Same snapshot length, so the captured stream is as long as the replayed file.)
    await waitUntil(() => chunks.reduce((sum, c) => sum + c.length, 0) >= burstFile.length, 10_000);
    const counts = await client.call({ op: 'capture.stop', captureId });
    await ended;
    injector.remove();
    expect(counts.kernelDrops).toBe(0);
    expect(counts.packetsCaptured).toBe(BURST);
    const file = join(scratch, 'burst-captured.pcap');
    writeFileSync(file, Buffer.concat(chunks));
    expect(sh('capinfos', ['-c', '-M', file])).toMatch(new RegExp(`Number of packets:\\s+${BURST}\\b`));
  });

  it('a stop lets tcpdump catch up with its ring first, so the end of a burst is kept', async () => {
    // tcpdump exits on SIGINT without reading what is left in its ring, and those packets
    // count neither as captured nor as dropped. Frozen during a burst, it is far behind when
    // the stop comes; the helper must wait for it to catch up.
    const injector = addInjector(NS, 'br-a', 'wbdrain');
    const pcapFile = join(scratch, 'drain.pcap');
    writeFileSync(pcapFile, writePcap(1, udpRecords(DRAIN)));
    const { captureId, fifo } = await client.call({ op: 'capture.start', ns: NS, dev: 'br-a', filter: 'ether src 52:54:00:00:00:01 and udp' });
    fifosSeen.push(fifo);
    const { ended } = await readFifo(fifo);
    const tcpdump = sh('ip', ['netns', 'pids', NS]).split(/\s+/).filter((p) => /^\d+$/.test(p) && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'tcpdump');
    expect(tcpdump).toHaveLength(1);
    const pid = Number(tcpdump[0]);
    process.kill(pid, 'SIGSTOP');
    expect((await replay(NS, injector.dev, pcapFile, 20_000)).sent).toBe(DRAIN);
    process.kill(pid, 'SIGCONT');
    const counts = await client.call({ op: 'capture.stop', captureId });
    await ended;
    injector.remove();
    expect(counts.kernelDrops).toBe(0);
    expect(counts.packetsCaptured).toBe(DRAIN);
  });

  it('refuses bad capture filters with tcpdump\'s reason', async () => {
    await expect(client.call({ op: 'capture.start', ns: NS, dev: 'br-a', filter: 'tcp port' })).rejects.toMatchObject({
      code: 'bad-filter',
      message: expect.stringContaining('syntax error'),
    });
    await expect(client.call({ op: 'capture.start', ns: NS, dev: 'br-a', filter: 'port 99999' })).rejects.toMatchObject({ code: 'bad-filter' });
    await expect(client.call({ op: 'capture.start', ns: NS, dev: 'nope0' })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses namespaces it did not create, and leaves them alone', async () => {
    await expect(client.call({ op: 'bridge.create', ns: FOREIGN_NS, bridge: 'br-x' })).rejects.toMatchObject({ code: 'not-owned' });
    await expect(client.call({ op: 'ns.delete', ns: FOREIGN_NS })).rejects.toMatchObject({ code: 'not-owned' });
    await expect(client.call({ op: 'capture.start', ns: FOREIGN_NS, dev: 'lo' })).rejects.toMatchObject({ code: 'not-owned' });
    await expect(client.call({ op: 'ns.create', ns: FOREIGN_NS })).rejects.toMatchObject({ code: 'exists' });
    await expect(client.call({ op: 'tap.create', ns: 'wb-00000000', tap: 'x' })).rejects.toMatchObject({ code: 'not-owned' });
    expect(namespaceNames()).toContain(FOREIGN_NS);
    expect(existsSync(`${OWNED_DIR}/${FOREIGN_NS}`)).toBe(false);
    expect(sh('ip', ['-n', FOREIGN_NS, '-o', 'link', 'show']).trim().split('\n')).toHaveLength(1);
  });

  it('starts QEMU as the QEMU user inside the namespace', async () => {
    const disk = join(scratch, 'disk.qcow2');
    sh('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '16M']);
    chmodSync(disk, 0o666);
    // Any readable file will do for the seed drive here: this guest never reads it.
    const seed = join(scratch, 'seed.iso');
    writeFileSync(seed, Buffer.alloc(64 * 1024));
    chmodSync(seed, 0o644);
    const spec: QemuSpec = {
      name: 'probe',
      accel: ['tcg'],
      cpu: 'max',
      cpus: 1,
      memoryMiB: 64,
      boot: { kind: 'disk', disk },
      qmpSocket: `${LAB_DIR}/probe.qmp`,
      serialSocket: `${LAB_DIR}/probe.serial`,
      serialLog: `${LAB_DIR}/probe.log`,
      agentSocket: `${LAB_DIR}/probe.agent`,
      pidFile: `${LAB_DIR}/probe.pid`,
      seedImage: seed,
      nics: [{ netdevId: 'net-b', deviceId: 'nic-b', tap: 'd.b', mac: '52:54:00:12:34:56', linkUp: true }],
    };
    await expect(client.call({ op: 'qemu.start', ns: NS, spec: { ...spec, boot: { kind: 'disk', disk: `${scratch}/missing.qcow2` } } })).rejects.toMatchObject({ code: 'not-found' });
    await expect(client.call({ op: 'qemu.start', ns: NS, spec: { ...spec, pidFile: '/tmp/probe.pid' } })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(client.call({ op: 'qemu.start', ns: NS, spec: { ...spec, nics: [{ ...spec.nics[0]!, tap: 'nope0' }] } })).rejects.toMatchObject({
      code: 'command-failed',
      message: expect.stringContaining('nope0'),
    });

    const { pid } = await client.call({ op: 'qemu.start', ns: NS, spec });
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s/m);
    expect(sh('ip', ['netns', 'pids', NS]).split(/\s+/)).toContain(String(pid));
    expect(link(NS, 'd.b')?.flags).toContain('LOWER_UP');
  });

  it('gc removes its namespaces (ending their guests) and FIFOs, and nothing else', async () => {
    const pids = sh('ip', ['netns', 'pids', NS]).split(/\s+/).filter(Boolean);
    const { removed } = await client.call({ op: 'gc' });
    expect(removed).toContain(NS);
    expect(removed).not.toContain(FOREIGN_NS);
    expect(namespaceNames()).not.toContain(NS);
    expect(namespaceNames()).toContain(FOREIGN_NS);
    expect(existsSync(`${OWNED_DIR}/${NS}`)).toBe(false);
    for (const pid of pids) expect(existsSync(`/proc/${pid}/status`) && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'))).toBe(false);
    for (const fifo of fifosSeen) expect(existsSync(fifo)).toBe(false);
    const captures = '/run/wirebench/0/captures';
    const left = existsSync(captures) ? readdirSync(captures) : [];
    expect(left.filter((f) => fifosSeen.some((seen) => seen.endsWith(`/${f}`)))).toEqual([]);
    expect((await client.call({ op: 'info' })).namespaces).not.toContain(NS);
  });

  it('gc leaves a lab whose creating helper is gone but whose guests still run (wirebench up exited), and sweeps an empty one', async () => {
    const left = randomNamespace();
    const abandoned = randomNamespace();
    const other = await HelperClient.start({ helperPath: HELPER_BUNDLE, asRoot: true });
    let sleeper: number | null = null;
    try {
      await other.call({ op: 'ns.create', ns: left });
      await other.call({ op: 'ns.create', ns: abandoned });
      // A process inside `left`, as a guest would be; then its helper exits, as `wirebench up`'s does.
      sleeper = Number(sh('bash', ['-c', `ip netns exec ${left} sleep 120 >/dev/null 2>&1 & echo $!`]).trim());
      await other.close();
      const { removed } = await client.call({ op: 'gc' });
      expect(removed).not.toContain(left);
      expect(namespaceNames()).toContain(left);
      expect(removed).toContain(abandoned);
      expect(namespaceNames()).not.toContain(abandoned);
    } finally {
      if (sleeper) trySh('kill', [String(sleeper)]);
      await other.close();
      for (const ns of [left, abandoned]) forceRemoveNamespace(ns);
    }
  });
});
