/**
 * Joining a console's history (read from QEMU's serial log on the engine host) with its live
 * bytes (read from the serial socket and sent as `console.data`). The two are separate
 * views of the same stream with no shared position: bytes that arrive live right after
 * `console.open` may already be at the end of the history (QEMU writes its log before the
 * engine reads the socket), and a console that reopens after a restart must not show again
 * what it already shows. Pure functions, so the rules are tested without a terminal.
 */

/** How much of either side is compared (the overlap is milliseconds of output). */
export const OVERLAP_WINDOW = 256 * 1024;
/** Shorter overlaps are not trusted: `\n` or `a# ` repeat too often to prove anything. */
export const MIN_OVERLAP = 8;

/**
 * The length of the longest prefix of `live` that `history` ends with (KMP over the two
 * windows), 0 when shorter than `minOverlap` and not the whole of `live`.
 */
export function overlapLength(history: string, live: string, minOverlap = MIN_OVERLAP): number {
  const pattern = live.slice(0, Math.min(live.length, OVERLAP_WINDOW));
  const text = history.slice(-Math.min(history.length, OVERLAP_WINDOW));
  if (pattern.length === 0 || text.length === 0) return 0;
  const failure = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = failure[k - 1]!;
    if (pattern[i] === pattern[k]) k++;
    failure[i] = k;
  }
  let matched = 0;
  for (let i = 0; i < text.length; i++) {
    while (matched > 0 && (matched === pattern.length || text[i] !== pattern[matched])) matched = failure[matched - 1]!;
    if (text[i] === pattern[matched]) matched++;
  }
  if (matched < minOverlap && matched < live.length) return 0;
  return matched;
}

/**
 * Live bytes that arrived around `console.open`, against the history it answered. The live
 * stream is contiguous and starts somewhere near the history's end: either it has not got
 * past that end yet (all of it is inside the history's last part: `pending`, wait for more),
 * or it goes beyond, and the part it shares with the history is a suffix of the history.
 */
export function joinLive(history: string, live: string): { kind: 'pending' } | { kind: 'new'; text: string } {
  if (live.length === 0) return { kind: 'pending' };
  const overlap = overlapLength(history, live);
  if (overlap === live.length) return { kind: 'pending' };
  if (overlap > 0) return { kind: 'new', text: live.slice(overlap) };
  if (live.length >= MIN_OVERLAP && history.lastIndexOf(live) >= Math.max(0, history.length - OVERLAP_WINDOW)) return { kind: 'pending' };
  return { kind: 'new', text: live };
}

/** How much of what a terminal showed is remembered to find its place in a later history. */
export const ANCHOR_CHARS = 512;

/**
 * When a console reopens (the VM restarted, the engine restarted), the part of `history`
 * after what the terminal already shows: found by the last `ANCHOR_CHARS` it showed. Null
 * when the history does not contain them (it was cut, or it is a new log): show all of it.
 */
export function afterShown(history: string, shownTail: string): string | null {
  if (shownTail.length === 0) return null;
  const anchor = shownTail.slice(-ANCHOR_CHARS);
  // Too little to be sure it is the same place (a lone prompt repeats everywhere).
  if (anchor.length < MIN_OVERLAP * 4) return null;
  const at = history.lastIndexOf(anchor);
  if (at < 0) return null;
  return history.slice(at + anchor.length);
}

/** Keeps the last `max` characters of everything appended (what the terminal shows last). */
export class TailKeeper {
  private text = '';
  constructor(private readonly max = ANCHOR_CHARS * 2) {}
  append(data: string): void {
    this.text = data.length >= this.max ? data.slice(-this.max) : (this.text + data).slice(-this.max);
  }
  get value(): string {
    return this.text;
  }
  clear(): void {
    this.text = '';
  }
}
