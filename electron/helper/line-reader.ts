/**
 * Splits a byte stream into lines with a hard cap per line. A line longer than the cap is
 * reported once and the rest of it is skipped as it arrives, so a hostile or broken client can
 * never make the helper (running as root) buffer more than `maxBytes` of one request.
 */

export interface LineSink {
  line(text: string): void;
  /** Called once per over-long line, as soon as it crosses the cap (not when it ends). */
  tooLong(): void;
}

const NEWLINE = 0x0a;

export class LineReader {
  private parts: Buffer[] = [];
  private length = 0;
  /** True while skipping the remainder of an over-long line. */
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: LineSink,
  ) {}

  /** Bytes held for the current line (never more than the cap). */
  get bufferedBytes(): number {
    return this.length;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.discarding) this.append(chunk.subarray(start, end));
      if (newline === -1) return;
      this.finishLine();
      start = newline + 1;
    }
  }

  /** End of stream: a last line without a newline still counts as a line. */
  end(): void {
    if (this.discarding || this.length > 0) this.finishLine();
  }

  private append(segment: Buffer): void {
    if (segment.length === 0) return;
    if (this.length + segment.length > this.maxBytes) {
      this.parts = [];
      this.length = 0;
      this.discarding = true;
      this.sink.tooLong();
      return;
    }
    this.parts.push(segment);
    this.length += segment.length;
  }

  private finishLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    let text = Buffer.concat(this.parts, this.length).toString('utf8');
    this.parts = [];
    this.length = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.sink.line(text);
  }
}
