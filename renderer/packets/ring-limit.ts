/**
 * The viewer's memory ring as a person edits it: a packet count and a size in MiB, whichever
 * is reached first evicts the oldest packets (the core evicts whole 1,024-packet segments and
 * counts them). Pure, so the inputs' clamping and the "evicted" line are unit-tested.
 */
import type { CaptureStats, RingLimit } from '../../packet/page.js';

const MIB = 1024 * 1024;
/** Below one segment the ring would evict the packets just dissected. */
export const MIN_RING_PACKETS = 1000;
export const MIN_RING_MIB = 16;
/** The worker's wasm heap and JS heap share one renderer process; past ~4 GiB it is gone. */
export const MAX_RING_MIB = 4096;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The ring with its packet limit set from an input's text (bad input keeps the minimum). */
export function ringWithPackets(ring: RingLimit, text: string): RingLimit {
  const value = Math.round(Number(text));
  return { ...ring, maxPackets: Number.isFinite(value) && value > 0 ? Math.max(MIN_RING_PACKETS, value) : MIN_RING_PACKETS };
}

/** The ring with its size limit set from an input's text in MiB (clamped to 16 MiB … 4 GiB). */
export function ringWithMiB(ring: RingLimit, text: string): RingLimit {
  const value = Number(text);
  const mib = Number.isFinite(value) && value > 0 ? clamp(Math.round(value), MIN_RING_MIB, MAX_RING_MIB) : MIN_RING_MIB;
  return { ...ring, maxBytes: mib * MIB };
}

export function ringMiB(ring: RingLimit): number {
  return Math.round(ring.maxBytes / MIB);
}

/** What the ring holds and what it dropped: "12.5 of 512 MiB · 3,072 evicted". */
export function ringUsage(stats: CaptureStats | null, ring: RingLimit): string {
  const used = stats ? stats.retainedBytes / MIB : 0;
  const evicted = stats?.evicted ?? 0;
  return `${used.toFixed(1)} of ${ringMiB(ring)} MiB · ${evicted.toLocaleString('en-US')} evicted`;
}
