/**
 * The worker's message handling without the worker: routes a request to `DissectorHost` and
 * keeps dissecting the live backlog in short slices between messages, so requests for rows
 * never wait behind a long dissection burst.
 */
import type { DissectorHost } from './dissector-host.js';
import { SEGMENT_PACKETS } from './capture-dissector.js';
import { JOBS_PER_HELPER, type SegmentHelpers } from './segment-helpers.js';
import type { CaptureStats } from './viewer-types.js';
import type { WorkerMessage, WorkerRequest } from './worker-protocol.js';

/** One slice of background dissection; short enough to answer scrolls within a frame or two. */
const SLICE_MS = 40;
/** Stats are pushed at most this often (the 500 ms "new packets appear" budget includes it). */
const STATS_EVERY_MS = 100;
/** Helpers cost ~150 MB and ~2 s each to start: worth it only for this much bulk work. */
const HELPERS_FROM_PACKETS = 8 * SEGMENT_PACKETS;
/**
 * ...and only once the bulk work has lasted this long: spawning a helper (a new JS engine
 * compiling 69 MB of WebAssembly) right at a file's open slowed its first screenful of rows
 * by ~100 ms on two cores; the first rows are answered well within this.
 */
const HELPERS_AFTER_MS = 250;

export class WorkerDispatch {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = new Set<string>();
  private lastStats = 0;
  /** The last stats pushed still showed a backlog: the UI waits for the one that shows none. */
  private postedBusy = false;
  /** When the current stretch of bulk work began (helpers start HELPERS_AFTER_MS later). */
  private bulkSince: number | null = null;
  /** Background-listing jobs out with helpers now. */
  private listingJobs = 0;

  constructor(
    private readonly host: DissectorHost,
    private readonly post: (message: WorkerMessage, transfer?: Transferable[]) => void,
    /** Spare-core helpers for filters and file listing; without them this worker does it all. */
    private readonly helpers: SegmentHelpers | null = null,
    /**
     * How many helpers may do the background listing at once. Listing is speculative (nobody
     * waits for it) and must leave the page a core: measured on 2 cores, scrolling a 1M-row
     * file while the worker and a helper both listed had a p95 frame of 50 ms. A filter, which
     * someone waits for, may use every helper.
     */
    private readonly listingHelpers = Infinity,
  ) {}

  handle(request: WorkerRequest): void {
    try {
      const result = this.run(request);
      const transfer = result instanceof Uint8Array ? [result.buffer as ArrayBuffer] : [];
      this.post({ kind: 'reply', seq: request.seq, ok: true, result }, transfer);
    } catch (err) {
      this.post({ kind: 'reply', seq: request.seq, ok: false, error: (err as Error).message });
    }
    this.schedule();
  }

  private run(request: WorkerRequest): unknown {
    const { host } = this;
    switch (request.call) {
      case 'openLive':
        host.openLive(request.args.id, request.args.ring);
        return null;
      case 'push':
        host.push(request.args.id, request.args.bytes);
        this.dirty.add(request.args.id);
        return null;
      case 'openFile':
        this.dirty.add(request.args.id);
        return host.openFile(request.args.id, request.args.bytes, request.args.ring);
      case 'rows':
        return host.rows(request.args.id, request.args.start, request.args.count);
      case 'rowOf':
        return host.rowOf(request.args.id, request.args.number);
      case 'frame':
        return host.frame(request.args.id, request.args.number);
      case 'follow':
        return host.follow(request.args.id, request.args.protocol, request.args.number);
      case 'setFilter':
        this.dirty.add(request.args.id);
        return host.setFilter(request.args.id, request.args.filter);
      case 'checkFilter':
        return host.checkFilter(request.args.filter);
      case 'complete':
        return host.complete(request.args.text);
      case 'setRing':
        this.dirty.add(request.args.id);
        host.setRing(request.args.id, request.args.ring);
        return null;
      case 'exportPcapng':
        return host.exportPcapng(request.args.id);
      case 'clear':
        this.dirty.add(request.args.id);
        host.clear(request.args.id);
        return null;
      case 'close':
        host.close(request.args.id);
        return null;
    }
  }

  /**
   * Background loop: hand segments to free helpers, dissect a slice here, push stats, yield to
   * pending messages, repeat. When only helpers have work left, the loop sleeps until one
   * answers (or stats are due) instead of spinning.
   */
  private schedule(delayMs = 0): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.feedHelpers();
      const stats = this.host.work(SLICE_MS);
      this.feedHelpers();
      const busy = Object.values(stats).some((s) => s.pending > 0 || s.listing > 0);
      const now = Date.now();
      let due = false;
      // Without `postedBusy`, a backlog that drained within STATS_EVERY_MS of the last push
      // was never reported: the UI kept showing "N dissecting" (and waited) forever.
      if (this.dirty.size > 0 || busy || this.postedBusy) {
        if (now - this.lastStats >= STATS_EVERY_MS || !busy) {
          this.post({ kind: 'stats', stats });
          this.lastStats = now;
          this.dirty.clear();
          this.postedBusy = busy;
        } else due = true;
      }
      if (this.host.hasLocalWork()) this.schedule();
      else if (due || (busy && this.dirty.size > 0)) this.schedule(Math.max(1, STATS_EVERY_MS - (now - this.lastStats)));
      // else: helpers still working report through `feedHelpers`' callbacks, which reschedule.
    }, delayMs);
  }

  private feedHelpers(): void {
    const { helpers, host } = this;
    if (!helpers || helpers.size === 0) return;
    if (helpers.running === 0) {
      const now = Date.now();
      if (bulkBacklog(host, this.listingHelpers > 0) < HELPERS_FROM_PACKETS) this.bulkSince = null;
      else if (this.bulkSince === null) this.bulkSince = now;
      else if (now - this.bulkSince >= HELPERS_AFTER_MS) helpers.start();
    }
    while (helpers.canTake()) {
      const taken = host.takeJob(this.listingJobs < this.listingHelpers * JOBS_PER_HELPER ? ['filter', 'columns'] : ['filter']);
      if (!taken) break;
      const listing = taken.job.kind === 'columns';
      if (listing) this.listingJobs++;
      const settle = (result: Parameters<DissectorHost['completeJob']>[2]) => {
        if (listing) this.listingJobs--;
        host.completeJob(taken.id, taken.ticket, result);
        this.dirty.add(taken.id);
        this.schedule();
      };
      helpers.run(taken.job).then(settle, () => settle(null));
    }
  }
}

/** Packets waiting for whole-segment work helpers may do, across every capture. */
function bulkBacklog(host: DissectorHost, countListing: boolean): number {
  const all: CaptureStats[] = Object.values(host.allStats());
  return all.reduce((sum, s) => sum + s.pending + (countListing ? s.listing : 0), 0);
}
