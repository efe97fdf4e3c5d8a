/**
 * The worker's message loop over the real dissection core: after a display filter over a burst
 * of packets, the last stats it pushes must show the backlog drained (the UI's "N dissecting" and every test that
 * waits for pending 0 rely on it).
 */
import { describe, expect, it } from 'vitest';
import { DissectorHost } from './dissector-host.js';
import { writePcap } from './pcap-format.js';
import { udpRecords } from './synthetic-udp.js';
import type { CaptureStats } from './viewer-types.js';
import { loadWiregasmNode } from '../node/wiregasm-node.js';
import type { WorkerMessage } from './worker-protocol.js';
import { WorkerDispatch } from './worker-dispatch.js';

describe('WorkerDispatch background loop', () => {
  it('pushes a final stats message once a live backlog is fully dissected', async () => {
    const host = new DissectorHost(await loadWiregasmNode());
    const pushed: CaptureStats[] = [];
    const dispatch = new WorkerDispatch(host, (message: WorkerMessage) => {
      if (message.kind === 'stats' && message.stats['live']) pushed.push(message.stats['live']);
      if (message.kind === 'reply' && !message.ok) throw new Error(message.error);
    });
    dispatch.handle({ seq: 1, call: 'openLive', args: { id: 'live' } });
    dispatch.handle({ seq: 2, call: 'push', args: { id: 'live', bytes: writePcap(1, udpRecords(20_000)) } });
    // A display filter is the background work: 20 segments to check, many 40 ms slices,
    // stats every 100 ms while busy.
    dispatch.handle({ seq: 3, call: 'setFilter', args: { id: 'live', filter: 'udp.dstport == 53' } });
    const deadline = Date.now() + 90_000;
    while (host.stats('live')!.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(host.stats('live')!.pending).toBe(0);
    // Give the loop its last turn, then the UI's view must match the worker's.
    await new Promise((r) => setTimeout(r, 300));
    expect(pushed.length).toBeGreaterThan(1);
    expect(pushed.some((s) => s.pending > 0)).toBe(true);
    expect(pushed.at(-1)).toMatchObject({ total: 20_000, pending: 0, rows: 2000 });
    host.close('live');
  }, 120_000);
});
