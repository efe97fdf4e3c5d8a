/**
 * Console output on its way to the terminal: bytes arrive as many small events (or a 20 MB
 * flood), and are handed to xterm at most once per animation frame, in bounded pieces.
 *
 * - Nothing is ever joined into one unbounded string: the queue holds the pieces as they
 *   came, and a frame takes at most `maxPerFrame` characters, cut into `chunkSize` writes
 *   (xterm parses one write without yielding, so a piece bounds the longest task).
 * - Back-pressure: the sink calls `done` once it has parsed a write (xterm's write callback).
 *   While `maxInFlight` characters are written but not yet parsed, frames write nothing, so
 *   xterm's own buffer never grows past that (it would discard data above 50 MB).
 * - If the terminal cannot keep up for long, the oldest waiting output past `maxPending` is
 *   dropped (it would have scrolled out of the 10,000-line scrollback anyway) and a line says so.
 * - Replayed history is tagged, so the terminal can ignore its own answers to queries that
 *   were in old output (a replayed prompt's cursor-position request must not type into the shell).
 */

export interface FrameScheduler {
  request(callback: () => void): unknown;
  cancel(handle: unknown): void;
}

export const animationFrames: FrameScheduler = {
  request: (callback) => requestAnimationFrame(() => callback()),
  cancel: (handle) => cancelAnimationFrame(handle as number),
};

export interface BatchSink {
  /** Must call `done` once the data is parsed (or dropped), exactly once. */
  write(data: string, done: () => void, replay: boolean): void;
}

export interface BatcherOptions {
  scheduler?: FrameScheduler;
  /** Most characters handed to the sink in one frame (default 512 Ki). */
  maxPerFrame?: number;
  /** Size of one sink write (default 64 Ki). */
  chunkSize?: number;
  /** Written-but-unparsed characters above which frames stop writing (default 1 Mi). */
  maxInFlight?: number;
  /** Waiting characters above which the oldest are dropped (default 16 Mi). */
  maxPending?: number;
  /**
   * Output above this many characters per `paceWindowMs` is a flood: while the terminal keeps
   * up, it is then written every `paceIntervalMs` instead of every frame (default 8 Ki per
   * 250 ms, every 100 ms). Each write makes xterm repaint its whole screen, and a repaint per
   * frame costs a core that the guest itself needs on a small machine; a person reading a
   * flood sees no difference. Typing's echo (a few characters) is never paced, and a backlog
   * is written every frame (pacing never lowers throughput).
   */
  paceChars?: number;
  paceWindowMs?: number;
  paceIntervalMs?: number;
  /** Clock for pacing (tests). */
  now?: () => number;
}

interface Piece {
  text: string;
  replay: boolean;
}

const HIGH_SURROGATE = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** Where to cut `text` at most `max` characters in, never between the halves of a surrogate pair. */
export function safeCut(text: string, max: number): number {
  if (text.length <= max) return text.length;
  if (max > 1 && HIGH_SURROGATE(text.charCodeAt(max - 1))) return max - 1;
  return max;
}

export function skippedNotice(chars: number): string {
  const size = chars >= 1 << 20 ? `${(chars / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(chars / 1024)} KB`;
  return `\r\n\x1b[0m\x1b[2m[… ${size} of output skipped: the terminal could not keep up …]\x1b[0m\r\n`;
}

export class OutputBatcher {
  private readonly scheduler: FrameScheduler;
  private readonly maxPerFrame: number;
  private readonly chunkSize: number;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  private readonly paceChars: number;
  private readonly paceWindowMs: number;
  private readonly paceIntervalMs: number;
  private readonly now: () => number;
  private windowStart = -Infinity;
  private windowChars = 0;
  /** While pacing: no write before this time. */
  private nextWriteAt = 0;
  private readonly queue: Piece[] = [];
  /** Offset into queue[0].text already taken. */
  private offset = 0;
  private queued = 0;
  private inFlight = 0;
  private skipped = 0;
  private droppedTotal = 0;
  private frame: unknown = null;
  private sink: BatchSink | null = null;
  private disposed = false;
  /** Bumped by clear(): callbacks of writes from before it must not touch the new counts. */
  private generation = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(options: BatcherOptions = {}) {
    this.scheduler = options.scheduler ?? animationFrames;
    this.maxPerFrame = options.maxPerFrame ?? 512 * 1024;
    this.chunkSize = options.chunkSize ?? 64 * 1024;
    this.maxInFlight = options.maxInFlight ?? 1024 * 1024;
    this.maxPending = options.maxPending ?? 16 * 1024 * 1024;
    this.paceChars = options.paceChars ?? 8 * 1024;
    this.paceWindowMs = options.paceWindowMs ?? 250;
    this.paceIntervalMs = options.paceIntervalMs ?? 100;
    this.now = options.now ?? (() => performance.now());
  }

  /** Characters waiting plus characters written but not yet parsed. */
  get pending(): number {
    return this.queued + this.inFlight;
  }

  /** Characters dropped so far because the terminal fell too far behind. */
  get droppedChars(): number {
    return this.droppedTotal;
  }

  /** The terminal exists: start writing (output before this waited, bounded). */
  attach(sink: BatchSink): void {
    this.sink = sink;
    this.schedule();
  }

  push(text: string, replay = false): void {
    if (this.disposed || text.length === 0) return;
    const last = this.queue.at(-1);
    // Many tiny events in a row become one piece (cheap: the pieces stay small).
    if (last && last.replay === replay && last.text.length + text.length <= 4096) last.text += text;
    else this.queue.push({ text, replay });
    this.queued += text.length;
    if (this.queued > this.maxPending) this.dropOldest(this.queued - this.maxPending);
    this.schedule();
  }

  /** Forgets everything waiting (the terminal was reset). */
  clear(): void {
    this.queue.length = 0;
    this.offset = 0;
    this.queued = 0;
    this.inFlight = 0;
    this.skipped = 0;
    this.generation += 1;
    this.notifyIdle();
  }

  /** Resolves once everything pushed so far has been parsed by the sink. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  dispose(): void {
    this.disposed = true;
    if (this.frame !== null) this.scheduler.cancel(this.frame);
    this.frame = null;
    this.sink = null;
    this.clear();
  }

  private schedule(): void {
    if (this.frame !== null || this.disposed || !this.sink) return;
    if (this.queued === 0 && this.skipped === 0) return;
    if (this.inFlight >= this.maxInFlight) return; // a `done` will schedule
    this.frame = this.scheduler.request(() => this.onFrame());
  }

  private onFrame(): void {
    this.frame = null;
    const sink = this.sink;
    if (!sink || this.disposed) return;
    const now = this.now();
    // Pacing a flood the terminal keeps up with: wait for the next allowed frame.
    if (now < this.nextWriteAt && this.queued + this.skipped < this.maxPerFrame) {
      this.frame = this.scheduler.request(() => this.onFrame());
      return;
    }
    let budget = this.maxPerFrame;
    while (budget > 0 && this.inFlight < this.maxInFlight && (this.queued > 0 || this.skipped > 0)) {
      const piece = this.take(Math.min(this.chunkSize, budget));
      budget -= piece.text.length;
      this.inFlight += piece.text.length;
      const generation = this.generation;
      let called = false;
      sink.write(
        piece.text,
        () => {
          if (called) return;
          called = true;
          if (generation !== this.generation) return;
          this.inFlight -= piece.text.length;
          this.schedule();
          this.notifyIdle();
        },
        piece.replay,
      );
    }
    const written = this.maxPerFrame - budget;
    if (now - this.windowStart >= this.paceWindowMs) {
      this.windowStart = now;
      this.windowChars = 0;
    }
    this.windowChars += written;
    this.nextWriteAt = this.windowChars > this.paceChars ? now + this.paceIntervalMs : 0;
    this.schedule();
  }

  /** Up to `max` characters from the front, all of one kind (replay or live). */
  private take(max: number): Piece {
    if (this.skipped > 0) {
      const text = skippedNotice(this.skipped);
      this.skipped = 0;
      return { text, replay: false };
    }
    const parts: string[] = [];
    let size = 0;
    const replay = this.queue[0]!.replay;
    while (size < max && this.queue.length > 0 && this.queue[0]!.replay === replay) {
      const front = this.queue[0]!;
      const rest = front.text.length - this.offset;
      if (rest <= max - size) {
        parts.push(this.offset === 0 ? front.text : front.text.slice(this.offset));
        size += rest;
        this.queue.shift();
        this.offset = 0;
      } else {
        const want = max - size;
        // Never between the halves of a surrogate pair (at worst one character over `max`).
        const cut = HIGH_SURROGATE(front.text.charCodeAt(this.offset + want - 1)) ? (want > 1 ? want - 1 : want + 1) : want;
        parts.push(front.text.slice(this.offset, this.offset + cut));
        size += cut;
        this.offset += cut;
        break;
      }
    }
    this.queued -= size;
    return { text: parts.length === 1 ? parts[0]! : parts.join(''), replay };
  }

  private dropOldest(excess: number): void {
    let dropped = 0;
    while (dropped < excess && this.queue.length > 1) {
      const front = this.queue.shift()!;
      dropped += front.text.length - this.offset;
      this.offset = 0;
    }
    if (dropped < excess && this.queue.length === 1) {
      // One giant piece: drop its beginning, at a line start when there is one near.
      const front = this.queue[0]!;
      let at = this.offset + (excess - dropped);
      const newline = front.text.indexOf('\n', at);
      if (newline >= 0 && newline - at < 4096) at = newline + 1;
      at = Math.min(at, front.text.length);
      dropped += at - this.offset;
      this.offset = at;
      if (this.offset >= front.text.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    this.queued -= dropped;
    this.skipped += dropped;
    this.droppedTotal += dropped;
  }

  private notifyIdle(): void {
    if (this.pending !== 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
