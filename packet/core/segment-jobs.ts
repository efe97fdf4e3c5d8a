/**
 * The two kinds of whole-segment work — checking a display filter and listing columns — as
 * plain data in, plain data out, so they can run wherever a wiregasm instance lives: in the
 * viewer's worker (CaptureDissector calls these directly) or in a helper worker (see
 * segment-helpers.ts) that takes segments off the viewer's hands on a multi-core machine.
 * Both places run exactly this code, so their results are the same.
 */
import type { DissectSession, FrameMeta } from '@goodtools/wiregasm';
import type { SessionSlot } from './session-slot.js';

/** What the list needs of a dissected packet, kept in JS once the segment's session is gone. */
export interface RowColumns {
  source: string;
  destination: string;
  protocol: string;
  info: string;
  bg: number;
  fg: number;
}

/** A segment's packets as a pcap file (what a wiregasm session reads). */
export type SegmentJob =
  | { kind: 'filter'; pcap: Uint8Array; filter: string }
  | { kind: 'columns'; pcap: Uint8Array };

export type SegmentJobResult =
  | { kind: 'filter'; matches: Int32Array }
  /** Columns of local frames 1…n, in order. */
  | { kind: 'columns'; columns: RowColumns[] };

let jobCounter = 0;

/** Runs one job in `slot` (loads the segment, does the work, frees the session). */
export function runSegmentJob(slot: SessionSlot, job: SegmentJob): SegmentJobResult {
  const key = `job${++jobCounter}`;
  try {
    const session = slot.use(key, () => job.pcap);
    if (job.kind === 'filter') return { kind: 'filter', matches: readMatches(session, job.filter) };
    return { kind: 'columns', columns: readColumns(session, 0, 0) };
  } finally {
    slot.releaseIf((held) => held === key);
  }
}

/** Local numbers (1-based) of the session's frames that match `filter`. */
export function readMatches(session: DissectSession, filter: string): Int32Array {
  const frames = session.getFrames(filter, 0, 0).frames;
  const matches = new Int32Array(frames.size());
  for (let i = 0; i < matches.length; i++) {
    const meta = frames.get(i);
    matches[i] = meta.number;
    deleteIfPossible(meta);
  }
  deleteIfPossible(frames);
  return matches;
}

/** Columns of `limit` frames after skipping `skip` (limit 0 = all), with their frame numbers. */
export function readColumns(session: DissectSession, skip: number, limit: number): (RowColumns & { number: number })[] {
  const frames = session.getFrames('', skip, limit).frames;
  const out: (RowColumns & { number: number })[] = [];
  for (let i = 0; i < frames.size(); i++) {
    const meta: FrameMeta = frames.get(i);
    const columns = meta.columns;
    out.push({
      number: meta.number,
      source: columns.get(2) ?? '',
      destination: columns.get(3) ?? '',
      protocol: columns.get(4) ?? '',
      info: columns.get(6) ?? '',
      bg: meta.bg,
      fg: meta.fg,
    });
    deleteIfPossible(columns);
    deleteIfPossible(meta);
  }
  deleteIfPossible(frames);
  return out;
}

/** embind value objects need `delete()`; plain JS values (some builds) do not have it. */
export function deleteIfPossible(value: unknown): void {
  if (value && typeof (value as { delete?: unknown }).delete === 'function') (value as { delete(): void }).delete();
}
