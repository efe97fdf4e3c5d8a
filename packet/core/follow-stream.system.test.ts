/**
 * "Follow TCP stream" over a real capture: guest b listens with busybox nc (TCP only: Debian's
 * busybox nc has no -u), guest a connects and both send a line. The capture streams through
 * the engine into the viewer's dissection core, which must hand back both payloads in order
 * with the right direction, as Wireshark's Follow TCP Stream shows them.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../../shared/host-names.js';
import type { Engine } from '../../electron/engine/engine.js';
import { namespaces, openEngine, twoVmLab, waitFor } from '../../electron/engine/test-support/system-lab.js';
import { captureRecorder } from '../../electron/engine/test-support/capture-recorder.js';
import { DissectorHost } from './dissector-host.js';
import { loadWiregasmNode } from '../node/wiregasm-node.js';

const lab = twoVmLab();
const ns = namespaceName(lab);
let engine: Engine;
let host: DissectorHost;

describe('follow TCP stream over a real guest exchange', () => {
  beforeAll(async () => {
    const [lib, opened] = await Promise.all([loadWiregasmNode(), openEngine(lab)]);
    host = new DissectorHost(lib);
    engine = opened.engine;
    await engine.invoke('lab.up', {});
    host.openLive('live');
    // This client started the capture: its bytes stream to it alone, none before the reply.
    const recorder = captureRecorder();
    recorder.onData((_id, bytes) => host.push('live', bytes));
    const captureId = (await engine.invoke('nic.capture', { nic: { vm: 'a', bridge: 'lan' }, options: { filter: 'tcp port 9000' } }, recorder.client)).captureId;

    // The server runs in the background of b's shell; its answer goes back once a connects.
    const listen = await engine.invoke('vm.run', { vm: 'b', command: '(echo world-from-b | nc -l -p 9000 > /tmp/got 2>&1 &)' });
    expect(listen.exitCode).toBe(0);
    await waitFor('b to listen on 9000', async () => (await engine.invoke('vm.run', { vm: 'b', command: 'netstat -ltn | grep -q ":9000 "' })).exitCode === 0, 20_000, 300);
    const client = await engine.invoke('vm.run', { vm: 'a', command: 'echo hello-from-a | nc -w 5 b.lan 9000', timeoutMs: 30_000 });
    expect(client.output).toContain('world-from-b');
    await waitFor('b to receive the line', async () => (await engine.invoke('vm.run', { vm: 'b', command: 'cat /tmp/got' })).output.includes('hello-from-a'), 20_000, 300);
    // The FIN/ACK exchange ends the stream; give it a moment to reach the capture, then stop.
    await new Promise((r) => setTimeout(r, 1000));
    await engine.invoke('capture.stop', { captureId });
    host.work(Infinity);
  }, 240_000);

  afterAll(async () => {
    host?.close('live');
    await engine?.invoke('lab.down', {}).catch(() => undefined);
    await engine?.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  }, 60_000);

  it('follows the stream from a packet in the middle and returns both lines, in order, with direction', () => {
    const rows = host.rows('live', 0, 1000);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(rows[0]!.info).toMatch(/\[SYN\]/);
    // Follow from a data packet (not the SYN): the stream index is read from the packet.
    const data = rows.find((r) => r.protocol === 'TCP' && /PSH/.test(r.info))!;
    expect(data).toBeDefined();
    const follow = host.follow('live', 'TCP', data.number);
    const text = (fromServer: boolean) => follow.payloads.filter((p) => p.fromServer === fromServer).map((p) => new TextDecoder().decode(p.data)).join('');
    expect(text(false)).toBe('hello-from-a\n');
    expect(text(true)).toBe('world-from-b\n');
    expect(follow.client).toMatch(/^10\.0\.0\.1:\d+$/);
    expect(follow.server).toBe('10.0.0.2:9000');
    expect(follow.clientBytes).toBe('hello-from-a\n'.length);
    expect(follow.serverBytes).toBe('world-from-b\n'.length);
    // Payload frame numbers point at real rows of the capture.
    for (const p of follow.payloads) expect(rows.some((r) => r.number === p.number)).toBe(true);
  });

  it('refuses to follow UDP on a TCP packet, saying what to pick', () => {
    expect(() => host.follow('live', 'UDP', 1)).toThrow(/not UDP; pick a UDP packet/);
  });
});
