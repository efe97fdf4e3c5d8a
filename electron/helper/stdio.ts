/**
 * The helper's stdout (the protocol) and stderr (its log) as they really are: pipes or sockets
 * whose other end, the engine, can vanish at any moment (kill -9). Node reports a failed write
 * as an 'error' event on the stream; unhandled, it became an uncaughtException whose handler
 * logged to that same dead stderr, which failed again: a nextTick loop that starved every
 * timer, spun a core at ~90% and left the shutdown (and so SIGTERM) waiting forever (issue 14).
 *
 * So every write goes through here: a stream that failed once is never written again, and the
 * first failure of either stream (EPIPE, EIO, ECONNRESET, ...) reports the engine as lost.
 */

/** Errors that mean the other end of a stdio stream is gone for good. */
const DEAD_PIPE_CODES = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ENOTCONN', 'EBADF', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export function isDeadPipeError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DEAD_PIPE_CODES.has(code);
}

export type StdioName = 'stdout' | 'stderr';

export class HelperStdio {
  private readonly open: Record<StdioName, boolean> = { stdout: true, stderr: true };

  /** `onLost` runs once, at the first failure of either stream. */
  constructor(private readonly onLost: (stream: StdioName, err: unknown) => void) {}

  /** Catches the streams' asynchronous 'error' events (never let them become uncaught). */
  install(): void {
    process.stdout.on('error', (err) => this.failed('stdout', err));
    process.stderr.on('error', (err) => this.failed('stderr', err));
  }

  get stdoutOpen(): boolean {
    return this.open.stdout;
  }

  /** One protocol line; dropped silently once stdout is gone (nobody is left to read it). */
  out(line: string): void {
    this.write('stdout', line);
  }

  /** One log line; dropped silently once stderr is gone. Never throws, never loops. */
  err(line: string): void {
    this.write('stderr', line);
  }

  private write(stream: StdioName, line: string): void {
    if (!this.open[stream]) return;
    const target = stream === 'stdout' ? process.stdout : process.stderr;
    if (target.destroyed || !target.writable) {
      this.failed(stream, Object.assign(new Error(`${stream} is closed`), { code: 'ERR_STREAM_DESTROYED' }));
      return;
    }
    try {
      target.write(line);
    } catch (err) {
      this.failed(stream, err);
    }
  }

  private failed(stream: StdioName, err: unknown): void {
    const first = this.open.stdout && this.open.stderr;
    this.open[stream] = false;
    if (first) this.onLost(stream, err);
  }
}
