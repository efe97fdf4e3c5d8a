/**
 * Keystrokes on their way to the guest. Everything typed in the same tick (a paste, xterm's
 * answer to a query, fast typing) goes out as one `console.write`, writes never overlap (so
 * they arrive in order whatever the transport does), keystrokes typed while one is in
 * flight wait and go together, and a huge paste is cut into the contract's 65,536-character
 * pieces, never between the halves of a surrogate pair.
 */
import { safeCut } from './output-batcher.js';

export const MAX_WRITE_CHARS = 65_536;

export interface CoalescerOptions {
  /** When the keystrokes of this tick are sent (default: a microtask). */
  schedule?: (flush: () => void) => void;
  maxChars?: number;
  /** A write failed (VM stopped meanwhile); what was waiting is dropped. */
  onError?: (error: unknown) => void;
}

export class InputCoalescer {
  private waiting = '';
  private scheduled = false;
  private sending = false;
  private closed = false;
  private readonly schedule: (flush: () => void) => void;
  private readonly maxChars: number;

  constructor(
    private readonly send: (data: string) => Promise<void>,
    private readonly options: CoalescerOptions = {},
  ) {
    this.schedule = options.schedule ?? ((flush) => queueMicrotask(flush));
    this.maxChars = options.maxChars ?? MAX_WRITE_CHARS;
  }

  push(data: string): void {
    if (this.closed || data.length === 0) return;
    this.waiting += data;
    if (this.scheduled || this.sending) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  /** Drops what waits and refuses more (the console closed). */
  close(): void {
    this.closed = true;
    this.waiting = '';
  }

  /** Drops what waits (the VM went away; old keystrokes must not reach the next boot). */
  discard(): void {
    this.waiting = '';
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.waiting.length > 0 && !this.closed) {
        const cut = safeCut(this.waiting, this.maxChars);
        const piece = this.waiting.slice(0, cut);
        this.waiting = this.waiting.slice(cut);
        try {
          await this.send(piece);
        } catch (error) {
          this.waiting = '';
          this.options.onError?.(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
