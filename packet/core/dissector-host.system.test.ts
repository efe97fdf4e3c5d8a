/**
 * The dissection core (the exact module the Web Worker runs) over real captures: two tiny
 * guests, a NIC capture through the engine with `saveTo`, a few pings, stop; then the saved
 * file and the live chunk stream are both dissected and compared with tshark.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../shared/api.js';
import { namespaceName } from '../../shared/host-names.js';
import type { Engine } from '../../electron/engine/engine.js';
import { namespaces, openEngine, tsharkCount, twoVmLab } from '../../electron/engine/test-support/system-lab.js';
import { captureRecorder } from '../../electron/engine/test-support/capture-recorder.js';
import { DissectorHost } from './dissector-host.js';
import { loadWiregasmNode } from '../node/wiregasm-node.js';
import type { TreeNode } from './viewer-types.js';

const lab = twoVmLab();
const ns = namespaceName(lab);
const a = { vm: 'a', bridge: 'lan' };
let engine: Engine;
let events: LabEvent[];
let host: DissectorHost;
let file = '';
let captureId = '';
/** The client that starts the capture: its bytes come to it alone. */
const recorder = captureRecorder();
let stopped: { packets: number | null; kernelDrops: number | null };

function find(tree: readonly TreeNode[], match: (n: TreeNode) => boolean): TreeNode | null {
  for (const node of tree) {
    if (match(node)) return node;
    const below = find(node.children, match);
    if (below) return below;
  }
  return null;
}

describe('packet dissection over a real guest capture', () => {
  beforeAll(async () => {
    const [lib, opened] = await Promise.all([loadWiregasmNode(), openEngine(lab)]);
    host = new DissectorHost(lib);
    ({ engine, events } = opened);
    await engine.invoke('lab.up', {});
    file = join(mkdtempSync(join(tmpdir(), 'wb-dissect-')), 'a.pcap');
    const info = await engine.invoke('nic.capture', { nic: a, options: { saveTo: file } }, recorder.client);
    captureId = info.captureId;
    expect(info.title).toBe('a/eth0 (lan)');
    const ping = await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 3 -i 0.3 -W 2 b.lan >/dev/null 2>&1', timeoutMs: 30_000 });
    expect(ping.exitCode).toBe(0);
    stopped = await engine.invoke('capture.stop', { captureId });
  }, 180_000);

  afterAll(async () => {
    await engine?.invoke('lab.down', {}).catch(() => undefined);
    await engine?.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  }, 60_000);

  it('lists every packet with Wireshark columns and colours, like tshark', () => {
    const stats = host.openFile('file', readFileSync(file));
    host.work(Infinity);
    const total = tsharkCount(file, 'frame');
    expect(stats.total).toBe(total);
    const rows = host.rows('file', 0, total);
    expect(rows).toHaveLength(total);
    const request = rows.find((r) => r.protocol === 'ICMP' && r.info.includes('Echo (ping) request'))!;
    expect(request).toBeDefined();
    expect(request.source).toBe('10.0.0.1');
    expect(request.destination).toBe('10.0.0.2');
    expect(request.length).toBe(98);
    // Wireshark's default "ICMP" colouring rule paints echo traffic pink (0xfce0ff).
    expect(request.bg).toBe(0xfce0ff);
    expect(rows[0]!.relTime).toBe(0);
    expect(rows.at(-1)!.relTime).toBeGreaterThan(0.5);
    expect(rows[0]!.absTime).toBeGreaterThan(1.6e9);
  });

  it('shows the protocol tree of an ICMP echo with the byte range of each field', () => {
    const row = host.rows('file', 0, 100).find((r) => r.protocol === 'ICMP')!;
    const frame = host.frame('file', row.number)!;
    const icmp = find(frame.tree, (n) => n.label.startsWith('Internet Control Message Protocol'))!;
    expect(icmp).not.toBeNull();
    // Ethernet 14 + IPv4 20: ICMP starts at byte 34 and runs to the end of the frame.
    expect(icmp.start).toBe(34);
    expect(icmp.length).toBe(64);
    const type = find(icmp.children, (n) => n.filter.startsWith('icmp.type'))!;
    expect(type.start).toBe(34);
    expect(type.length).toBe(1);
    expect(frame.sources[0]!.bytes[type.start]).toBe(row.info.includes('request') ? 8 : 0);
    expect(frame.sources[0]!.bytes).toHaveLength(98);
  });

  it('applies a display filter and checks filters with Wireshark’s parser', () => {
    expect(host.setFilter('file', 'icmp.type == 8').ok).toBe(true);
    // The filter is applied by the background pass (the worker's loop).
    host.work(Infinity);
    const requests = tsharkCount(file, 'icmp.type == 8');
    expect(host.stats('file')!.rows).toBe(requests);
    const rows = host.rows('file', 0, 1000);
    expect(rows).toHaveLength(requests);
    expect(rows.every((r) => r.info.includes('request'))).toBe(true);
    expect(host.rowOf('file', rows[1]!.number)).toBe(1);
    const bad = host.setFilter('file', 'icmp.type ==');
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/end of filter|expected/i);
    // The view keeps the last good filter.
    expect(host.stats('file')!.filter).toBe('icmp.type == 8');
    expect(host.complete('icm').map((c) => c.field)).toContain('icmp');
  });

  it('dissects the live chunk stream into the same packets as the saved file', () => {
    host.openLive('live');
    const chunks = recorder.chunks(captureId);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) host.push('live', chunk);
    host.work(Infinity);
    const stats = host.stats('live')!;
    expect(stats.total).toBe(tsharkCount(file, 'frame'));
    expect(stats.total).toBe(stopped.packets);
    expect(stats.pending).toBe(0);
    const saved = host.exportPcapng('live');
    const out = join(mkdtempSync(join(tmpdir(), 'wb-save-')), 'live.pcapng');
    execFileSync('dd', ['of=' + out, 'status=none'], { input: saved });
    expect(execFileSync('capinfos', ['-t', '-M', out], { encoding: 'utf8' })).toMatch(/pcapng/);
    expect(tsharkCount(out, 'icmp')).toBe(tsharkCount(file, 'icmp'));
    // capture.ended carries tcpdump's kernel drop count for the viewer to show.
    const ended = events.find((e) => e.type === 'capture.ended' && e.captureId === captureId);
    expect(ended && ended.type === 'capture.ended' && ended.kernelDrops).toBe(0);
  });

  it('explains truncated and non-pcap files', () => {
    const bytes = readFileSync(file);
    expect(() => host.openFile('bad', bytes.subarray(0, bytes.length - 10))).toThrow(/truncated/);
    expect(() => host.openFile('bad', new TextEncoder().encode('hello, this is not a capture'))).toThrow(/not a pcap or pcapng file/);
    expect(() => host.openFile('bad', bytes.subarray(0, 10))).toThrow(/cut short/);
  });

  it('refuses an invalid BPF capture filter before tcpdump starts', async () => {
    await expect(engine.invoke('nic.capture', { nic: a, options: { filter: 'icmp and and' } })).rejects.toThrow(/filter/i);
  });
});
