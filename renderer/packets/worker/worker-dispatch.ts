/**
 * The worker's message handling without the worker: routes a request to `DissectorHost` and
 * keeps dissecting the live backlog in short slices between messages, so requests for rows
 * never wait behind a long dissection burst.
 */
import type { DissectorHost } from '../core/dissector-host.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';

/** One slice of background dissection; short enough to answer scrolls within a frame or two. */
const SLICE_MS = 40;
/** Stats are pushed at most this often (the 500 ms "new packets appear" budget includes it). */
const STATS_EVERY_MS = 100;

export class WorkerDispatch {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = new Set<string>();
  private lastStats = 0;
  /** The last stats pushed still showed a backlog: the UI waits for the one that shows none. */
  private postedBusy = false;

  constructor(
    private readonly host: DissectorHost,
    private readonly post: (message: WorkerMessage, transfer?: Transferable[]) => void,
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

  /** Background loop: dissect a slice, push stats, yield to pending messages, repeat. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const stats = this.host.work(SLICE_MS);
      const busy = Object.values(stats).some((s) => s.pending > 0);
      const now = Date.now();
      // Without `postedBusy`, a backlog that drained within STATS_EVERY_MS of the last push
      // was never reported: the UI kept showing "N dissecting" (and waited) forever.
      if (this.dirty.size > 0 || busy || this.postedBusy) {
        if (now - this.lastStats >= STATS_EVERY_MS || !busy) {
          this.post({ kind: 'stats', stats });
          this.lastStats = now;
          this.dirty.clear();
          this.postedBusy = busy;
        }
      }
      if (busy || this.dirty.size > 0) this.schedule();
    }, 0);
  }
}
