/**
 * Segments handed to helper workers (takeJob/completeJob) against the real dissection core:
 * a helper's answer is used only while it still describes the capture — not after the filter
 * changed, the capture was cleared or the ring evicted the segment — and a segment out with a
 * helper is left alone by the viewer's own background work until it comes back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DissectorHost } from './dissector-host.js';
import { writePcap } from './pcap-format.js';
import { runSegmentJob } from './segment-jobs.js';
import { SessionSlot } from './session-slot.js';
import { udpRecords } from './synthetic-udp.js';
import { loadWiregasmNode } from '../node/wiregasm-node.js';
import type { WiregasmLib } from '@goodtools/wiregasm';

let lib: WiregasmLib;
/** Stands in for a helper: its own slot, the same job code. */
let helperSlot: SessionSlot;
const file = writePcap(1, udpRecords(3 * 1024));

beforeAll(async () => {
  lib = await loadWiregasmNode();
  helperSlot = new SessionSlot(lib);
}, 60_000);

describe('segment jobs for helper workers', () => {
  it('gives filter work first, applies the answer, and skips segments out with a helper', () => {
    const host = new DissectorHost(lib);
    host.openFile('f', file);
    host.setFilter('f', 'udp.dstport == 53');
    const taken = host.takeJob()!;
    expect(taken.job.kind).toBe('filter');
    expect(taken.ticket).toEqual({ first: 1, count: 1024, filter: 'udp.dstport == 53' });
    // The viewer's own loop does the other two segments, not the one the helper has.
    host.work(Infinity);
    expect(host.stats('f')).toMatchObject({ pending: 1024, helped: 0 });
    host.completeJob('f', taken.ticket, runSegmentJob(helperSlot, taken.job));
    expect(host.stats('f')).toMatchObject({ pending: 0, rows: 308, helped: 1 });
    // Same matches as the viewer computing that segment itself.
    const alone = new DissectorHost(lib);
    alone.openFile('f', file);
    alone.setFilter('f', 'udp.dstport == 53');
    alone.work(Infinity);
    expect(host.rows('f', 0, 400).map((r) => r.number)).toEqual(alone.rows('f', 0, 400).map((r) => r.number));
  });

  it('drops an answer for a filter that is no longer set, and hands the segment out again', () => {
    const host = new DissectorHost(lib);
    host.openFile('f', file);
    host.setFilter('f', 'udp.dstport == 53');
    const stale = host.takeJob()!;
    host.setFilter('f', 'udp.dstport == 9001');
    host.completeJob('f', stale.ticket, runSegmentJob(helperSlot, stale.job));
    expect(host.stats('f')).toMatchObject({ pending: 3 * 1024, helped: 0 });
    const fresh = host.takeJob()!;
    expect(fresh.ticket).toEqual({ first: 1, count: 1024, filter: 'udp.dstport == 9001' });
  });

  it('drops answers for segments that were cleared or evicted meanwhile', () => {
    const host = new DissectorHost(lib);
    host.openFile('f', file);
    const listing = host.takeJob()!;
    expect(listing.job.kind).toBe('columns');
    host.clear('f');
    host.completeJob('f', listing.ticket, runSegmentJob(helperSlot, listing.job));
    expect(host.stats('f')).toMatchObject({ retained: 0, helped: 0 });

    host.openFile('g', file);
    const evicted = host.takeJob()!;
    host.setRing('g', { maxPackets: 2048, maxBytes: 512 * 1024 * 1024 });
    host.completeJob('g', evicted.ticket, runSegmentJob(helperSlot, evicted.job));
    expect(host.stats('g')).toMatchObject({ evicted: 1024, helped: 0 });
  });

  it('lets the viewer do a segment itself when its helper failed', () => {
    const host = new DissectorHost(lib);
    host.openFile('f', file);
    host.setFilter('f', 'udp.dstport == 53');
    const lost = host.takeJob()!;
    host.completeJob('f', lost.ticket, null);
    host.work(Infinity);
    expect(host.stats('f')).toMatchObject({ pending: 0, rows: 308, helped: 0 });
  });
});
