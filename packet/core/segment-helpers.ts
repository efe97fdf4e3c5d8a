/**
 * Helper workers for whole-segment work (display filters, a file's background listing), so a
 * multi-core machine checks a filter over a big capture with every spare core instead of one.
 *
 * Why helpers and not more viewers: Wireshark's dissection state is global per wiregasm
 * instance (session-slot.ts), so parallel dissection needs separate instances, each in its own
 * worker. Segments are independent (each is dissected in its own session in any case), so
 * spreading them gives the same rows and matches as doing them one after the other — the
 * tests compare both.
 *
 * Each helper costs a wiregasm instance (~150 MB, ~2 s to start), so helpers start only when
 * there is real bulk work (see `WorkerDispatch`), take one job at a time, and all stop after
 * `idleMs` without work. This file is transport-free: the Web Worker (renderer/packets/worker/segment.worker.ts) and
 * Node's worker threads (tests, bench) plug in through `HelperPort`.
 */
import { Correlator } from '../../shared/correlator.js';
import { runSegmentJob, type SegmentJob, type SegmentJobResult } from './segment-jobs.js';
import type { SessionSlot } from './session-slot.js';

export type HelperRequest = { seq: number; job: SegmentJob };
export type HelperReply =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'done'; seq: number; result: SegmentJobResult }
  | { kind: 'error'; seq: number; error: string };

/** One helper as seen from the viewer's worker (a Web Worker or a Node worker thread). */
export interface HelperPort {
  post(request: HelperRequest, transfer: ArrayBuffer[]): void;
  onReply(handler: (reply: HelperReply) => void): void;
  /** The helper died (failed to load, crashed). */
  onError(handler: (err: Error) => void): void;
  terminate(): void;
}

type JobReply = Extract<HelperReply, { seq: number }>;

interface Helper {
  port: HelperPort;
  ready: boolean;
  /** Jobs sent and not answered yet, by `seq` (no deadline: a helper that dies reports it). */
  jobs: Correlator<SegmentJob['kind'], number, JobReply>;
}

/**
 * Jobs queued per helper. Two, so a helper starts its next segment the moment it finishes one:
 * with one, it sat idle until the viewer's worker came back from its own slice to hand out
 * more (measured: a second core sped a filter up 1.3× instead of ~1.8×).
 */
export const JOBS_PER_HELPER = 2;

/**
 * How many helpers a machine with `cores` gets: one per core beyond the viewer's worker (the
 * page idles while a filter runs), at most 3 (~150 MB each); of those, the background listing
 * (speculative, nobody waits for it) may use only as many as leave one core to the page.
 */
export function helperCounts(cores: number): { helpers: number; listingHelpers: number } {
  const helpers = Math.max(0, Math.min(3, cores - 1));
  return { helpers, listingHelpers: Math.max(0, Math.min(helpers, cores - 2)) };
}

export class SegmentHelpers {
  private helpers: Helper[] = [];
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  /** Jobs completed by helpers since creation (tests and the bench check helpers really ran). */
  completed = 0;
  /** How long the last start took until the first helper was ready (the bench reports it). */
  readyAfterMs: number | null = null;
  private startedAt = 0;

  constructor(
    private readonly spawn: () => HelperPort,
    /** How many helpers to run (spare cores); 0 disables them. */
    readonly size: number,
    /** Helpers stop after this long without work (a person refining a filter keeps them). */
    private readonly idleMs = 120_000,
  ) {}

  /** Starts the helpers when they are not running; they report ready a few seconds later. */
  start(): void {
    // Helpers that die (cannot load wiregasm, run out of memory) are not restarted forever.
    if (this.helpers.length > 0 || this.size === 0 || this.failures >= this.size) return;
    this.startedAt = performance.now();
    for (let i = 0; i < this.size; i++) {
      const helper: Helper = { port: this.spawn(), ready: false, jobs: new Correlator() };
      helper.port.onReply((reply) => this.onReply(helper, reply));
      helper.port.onError((err) => this.retire(helper, err));
      this.helpers.push(helper);
    }
    this.armIdleTimer();
  }

  get running(): number {
    return this.helpers.length;
  }

  /** A ready helper has room in its queue: `run` will not wait behind other helpers' work. */
  canTake(): boolean {
    return this.helpers.some((h) => h.ready && h.jobs.size < JOBS_PER_HELPER);
  }

  /** Queues `job` on the least busy ready helper; call only when `canTake()`. */
  run(job: SegmentJob): Promise<SegmentJobResult> {
    const helper = this.helpers.filter((h) => h.ready && h.jobs.size < JOBS_PER_HELPER).sort((a, b) => a.jobs.size - b.jobs.size)[0];
    if (!helper) return Promise.reject(new Error('no helper is free'));
    this.disarmIdleTimer();
    // The pcap is a fresh copy made for this job: hand its buffer over instead of copying.
    return helper.jobs.request<SegmentJobResult>(job.kind, (seq) => helper.port.post({ seq, job }, [job.pcap.buffer as ArrayBuffer]));
  }

  stop(): void {
    this.disarmIdleTimer();
    for (const helper of this.helpers.splice(0)) {
      helper.jobs.close(new Error('segment helpers stopped'));
      helper.port.terminate();
    }
  }

  private onReply(helper: Helper, reply: HelperReply): void {
    if (reply.kind === 'ready') {
      helper.ready = true;
      if (this.helpers.filter((h) => h.ready).length === 1) this.readyAfterMs = performance.now() - this.startedAt;
      return;
    }
    if (reply.kind === 'failed') return this.retire(helper, new Error(reply.error));
    const answered = helper.jobs.answer(reply.seq, reply, (answer) => {
      if (answer.kind === 'error') throw new Error(answer.error);
      this.completed++;
      return answer.result;
    });
    if (answered && this.helpers.every((h) => h.jobs.size === 0)) this.armIdleTimer();
  }

  /** A helper that died is dropped; its job fails (the viewer then does that segment itself). */
  private retire(helper: Helper, err: Error): void {
    // Visible in the worker's console; the viewer carries on with its own instance.
    console.warn(`wirebench: a segment helper stopped (${err.message}); dissecting without it`);
    this.failures++;
    this.helpers = this.helpers.filter((h) => h !== helper);
    helper.jobs.close(err);
    helper.port.terminate();
  }

  private armIdleTimer(): void {
    this.disarmIdleTimer();
    this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
    // Never keep a Node process (tests, bench) alive just for this timer.
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  private disarmIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/**
 * The helper's side: says ready as soon as wiregasm is up, then answers jobs one by one.
 * `post` sends a reply (with transferables); feed requests to the returned function.
 * No synthetic warm-up as the viewer's worker does (DissectorHost.warmUp): a helper's first
 * jobs run colder, but they are real work, and helpers start while work is already waiting.
 */
export function serveSegmentJobs(slot: SessionSlot, post: (reply: HelperReply, transfer: ArrayBuffer[]) => void): (request: HelperRequest) => void {
  post({ kind: 'ready' }, []);
  return (request) => {
    try {
      const result = runSegmentJob(slot, request.job);
      post({ kind: 'done', seq: request.seq, result }, result.kind === 'filter' ? [result.matches.buffer as ArrayBuffer] : []);
    } catch (err) {
      post({ kind: 'error', seq: request.seq, error: (err as Error).message }, []);
    }
  };
}
