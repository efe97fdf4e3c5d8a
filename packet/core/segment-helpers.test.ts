/**
 * Segment helpers for real: the viewer's worker and one helper, each a worker thread with its
 * own wiregasm (as the app runs them as Web Workers). A file big enough to call the helper in
 * is listed in the background and filtered; every row and every match must equal what one
 * DissectorHost computes alone, and the helper must really have done part of the work.
 * Plus the pool's own bookkeeping against fake helpers (a helper dying, idle shutdown).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDissectThread, type DissectThread } from '../node/dissect-thread.js';
import { waitFor } from '../../test-support/wait-for.js';
import { DissectorHost } from './dissector-host.js';
import { writePcap } from './pcap-format.js';
import { helperCounts, SegmentHelpers, type HelperPort, type HelperReply, type HelperRequest } from './segment-helpers.js';
import { udpRecords } from './synthetic-udp.js';
import { loadWiregasmNode } from '../node/wiregasm-node.js';

// Large enough that the main worker is still busy when the helper is ready (~2–3 s).
const PACKETS = 60_000;
const file = writePcap(1, udpRecords(PACKETS));

describe('segment helpers in worker threads', () => {
  let viewer: DissectThread;
  let alone: DissectorHost;

  beforeAll(async () => {
    [viewer, alone] = await Promise.all([startDissectThread({ helpers: 1, listingHelpers: 1 }), loadWiregasmNode().then((lib) => new DissectorHost(lib))]);
    alone.openFile('f', file);
  }, 60_000);

  afterAll(async () => {
    await viewer?.close();
  });

  it('lists a whole file in the background with the helper, row for row as one instance does', async () => {
    await viewer.call('openFile', { id: 'f', bytes: file.slice() });
    await waitFor('the background listing to finish', () => viewer.stats('f')?.listing === 0, 90_000, 100);
    expect(await viewer.helperJobs()).toBeGreaterThan(0);
    for (const start of [0, 17_400, PACKETS - 500]) {
      expect(await viewer.call('rows', { id: 'f', start, count: 500 })).toEqual(alone.rows('f', start, 500));
    }
  }, 120_000);

  it('filters with the helper and finds exactly the matches one instance finds', async () => {
    const before = await viewer.helperJobs();
    await viewer.call('setFilter', { id: 'f', filter: 'udp.dstport == 53' });
    await waitFor('the filter to finish', () => viewer.stats('f')?.filter === 'udp.dstport == 53' && viewer.stats('f')?.pending === 0, 90_000, 100);
    expect(await viewer.helperJobs()).toBeGreaterThan(before);
    alone.setFilter('f', 'udp.dstport == 53');
    alone.work(Infinity);
    expect(viewer.stats('f')?.rows).toBe(PACKETS / 10);
    const rows = await viewer.call('rows', { id: 'f', start: 0, count: PACKETS / 10 });
    expect(rows.map((r) => r.number)).toEqual(alone.rows('f', 0, PACKETS / 10).map((r) => r.number));
    expect(rows.every((r) => r.info.includes('53') || r.protocol === 'DNS')).toBe(true);
  }, 120_000);
});

/** A helper that answers only when told to. */
function fakeHelper(log: HelperRequest[]): HelperPort & { reply(r: HelperReply): void; fail(err: Error): void; terminated: boolean } {
  let onReply: (r: HelperReply) => void = () => undefined;
  let onError: (e: Error) => void = () => undefined;
  const port = {
    terminated: false,
    post: (request: HelperRequest) => void log.push(request),
    onReply: (h: (r: HelperReply) => void) => void (onReply = h),
    onError: (h: (e: Error) => void) => void (onError = h),
    terminate: () => void (port.terminated = true),
    reply: (r: HelperReply) => onReply(r),
    fail: (e: Error) => onError(e),
  };
  return port;
}

describe('SegmentHelpers bookkeeping', () => {
  it('leaves the page a core for background listing; filters may use every helper', () => {
    expect(helperCounts(1)).toEqual({ helpers: 0, listingHelpers: 0 });
    expect(helperCounts(2)).toEqual({ helpers: 1, listingHelpers: 0 });
    expect(helperCounts(4)).toEqual({ helpers: 3, listingHelpers: 2 });
    expect(helperCounts(16)).toEqual({ helpers: 3, listingHelpers: 3 });
  });

  it('runs a job only on a ready, free helper, and fails the job of a helper that dies', async () => {
    const log: HelperRequest[] = [];
    const ports: ReturnType<typeof fakeHelper>[] = [];
    const pool = new SegmentHelpers(() => {
      const port = fakeHelper(log);
      ports.push(port);
      return port;
    }, 1);
    pool.start();
    expect(pool.canTake()).toBe(false); // still loading wiregasm
    ports[0]!.reply({ kind: 'ready' });
    expect(pool.canTake()).toBe(true);
    // Two jobs queue on the helper (it starts the second as soon as the first is done).
    const job = pool.run({ kind: 'filter', pcap: new Uint8Array(24), filter: 'icmp' });
    const next = pool.run({ kind: 'filter', pcap: new Uint8Array(24), filter: 'arp' });
    expect(pool.canTake()).toBe(false);
    ports[0]!.reply({ kind: 'done', seq: log[0]!.seq, result: { kind: 'filter', matches: new Int32Array([2, 5]) } });
    await expect(job).resolves.toEqual({ kind: 'filter', matches: new Int32Array([2, 5]) });
    expect(pool.canTake()).toBe(true);
    expect(pool.completed).toBe(1);

    const doomed = pool.run({ kind: 'columns', pcap: new Uint8Array(24) });
    ports[0]!.fail(new Error('out of memory'));
    await expect(next).rejects.toThrow('out of memory');
    await expect(doomed).rejects.toThrow('out of memory');
    expect(ports[0]!.terminated).toBe(true);
    expect(pool.running).toBe(0);
    // A pool whose helpers all died does not respawn them on every filter.
    pool.start();
    expect(ports).toHaveLength(1);
  });

  it('stops idle helpers to give their memory back', async () => {
    const ports: ReturnType<typeof fakeHelper>[] = [];
    const pool = new SegmentHelpers(() => {
      const port = fakeHelper([]);
      ports.push(port);
      return port;
    }, 2, 50);
    pool.start();
    expect(pool.running).toBe(2);
    await new Promise((r) => setTimeout(r, 120));
    expect(pool.running).toBe(0);
    expect(ports.every((p) => p.terminated)).toBe(true);
    pool.start(); // the next big filter starts them again
    expect(pool.running).toBe(2);
    pool.stop();
  });
});
