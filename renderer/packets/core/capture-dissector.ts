/**
 * One capture's packets and their dissection: the pure core the Web Worker wraps (and the Node
 * tests and bench drive directly).
 *
 * ## Live path (measured, see bench/dissect and platform-facts)
 * wiregasm dissects whole files: a session is built over a file and cannot be appended to, and
 * a new session over a 1,000-packet slice costs ~63 ms (≈16k packets/s on one thread). The
 * choices were (a) re-load the whole capture on every update — O(n²), unusable past a few
 * thousand packets; (b) one session per arrival batch — linear, but request/reply pairs and
 * other cross-packet state are lost at every batch boundary (a 1 pps ping becomes one-packet
 * sessions, "reply in" disappears); (c) what we do:
 *
 *   - Every packet is *indexed* in JS the moment its bytes arrive (number, time, length). Row
 *     count, No., Time and Length are therefore exact and never lag, whatever the rate: nothing
 *     is silently dropped even when dissection falls behind.
 *   - Packets are dissected in *segments* of SEGMENT_PACKETS. The newest (open) segment is
 *     re-dissected as it grows, at most once per flush, so context within 1,024 packets is
 *     kept; once full it is sealed and its session kept for details and filtering. Cost per
 *     packet stays linear (each packet is re-dissected at most ~SEGMENT/batch times, and at
 *     high rates batches are big so that factor tends to 1).
 *   - Columns are produced lazily for the rows on screen (like Wireshark's own packet list),
 *     so loading a 100,000-packet file costs one dissection pass, not two.
 *   - The ring evicts whole sealed segments (oldest first) and counts what it evicted.
 *   - Cross-segment state (TCP reassembly across a 1,024-packet boundary) is lost in the list;
 *     "follow stream" builds a one-off session over every retained packet so it is complete.
 */
import type { DissectSession, FrameMeta, ProtoTree, Vector, WiregasmLib } from '@goodtools/wiregasm';
import { writePcap, type PcapRecord } from './pcap-format.js';
import { DEFAULT_RING, type CaptureStats, type FollowResult, type FrameDetails, type PacketRow, type RingLimit, type TreeNode } from './viewer-types.js';

export const SEGMENT_PACKETS = 1024;

interface Segment {
  /** Global number of this segment's first packet. */
  first: number;
  records: PcapRecord[];
  bytes: number;
  /** Session over `records` as of `dissectedCount` packets; null = not dissected yet. */
  session: DissectSession | null;
  dissectedCount: number;
  /** Matching local frame numbers for the current filter (null = no filter: all match). */
  matches: Int32Array | null;
  matchesFor: string | null;
}

let fileCounter = 0;

export class CaptureDissector {
  private readonly segments: Segment[] = [];
  private total = 0;
  private evicted = 0;
  private retainedBytes = 0;
  private firstTime: number | null = null;
  private filter = '';
  private readonly path = `/uploads/wb-${++fileCounter}.pcap`;

  constructor(
    private readonly lib: WiregasmLib,
    private readonly linkType: number,
    private ring: RingLimit = DEFAULT_RING,
  ) {}

  /** Indexes new packets (cheap; dissection happens in `dissectPending`). */
  append(records: readonly PcapRecord[]): void {
    for (const record of records) {
      let tail = this.segments.at(-1);
      if (!tail || tail.records.length >= SEGMENT_PACKETS) {
        tail = { first: this.total + 1, records: [], bytes: 0, session: null, dissectedCount: 0, matches: null, matchesFor: null };
        this.segments.push(tail);
      }
      tail.records.push(record);
      tail.bytes += record.data.length;
      this.retainedBytes += record.data.length;
      this.total++;
      this.firstTime ??= timeOf(record);
    }
    this.evictOverRing();
  }

  setRing(ring: RingLimit): void {
    this.ring = ring;
    this.evictOverRing();
  }

  /**
   * Dissects segments whose session is missing or behind, newest first (the live view looks at
   * the tail) until `budgetMs` is spent. Returns how many packets are still waiting.
   */
  dissectPending(budgetMs = Infinity, order: 'newest' | 'oldest' = 'oldest'): number {
    const started = performance.now();
    const list = order === 'newest' ? [...this.segments].reverse() : this.segments;
    // At least one segment per call, so a zero budget still makes progress (first rows of a file).
    for (const segment of list) {
      if (segment.dissectedCount < segment.records.length) this.dissect(segment);
      else continue;
      if (performance.now() - started >= budgetMs) break;
    }
    return this.pendingCount();
  }

  /** Sets the display filter; the caller has checked it with `checkFilter`. */
  setFilter(filter: string): void {
    this.filter = filter.trim();
  }

  stats(): CaptureStats {
    return {
      total: this.total,
      evicted: this.evicted,
      retained: this.total - this.evicted,
      retainedBytes: this.retainedBytes,
      rows: this.rowCount(),
      pending: this.pendingCount(),
      filter: this.filter,
    };
  }

  /** Rows currently shown: with a filter only dissected segments count (the rest is pending). */
  rowCount(): number {
    let rows = 0;
    for (const segment of this.segments) rows += this.visibleIn(segment);
    return rows;
  }

  /** Rows `start … start+count-1` of the current view, with Wireshark's columns and colours. */
  rows(start: number, count: number): PacketRow[] {
    const out: PacketRow[] = [];
    let skip = start;
    for (const segment of this.segments) {
      if (out.length >= count) break;
      const visible = this.visibleIn(segment);
      if (skip >= visible) {
        skip -= visible;
        continue;
      }
      const take = Math.min(count - out.length, visible - skip);
      const locals = this.localNumbers(segment, skip, take);
      out.push(...this.describe(segment, locals));
      skip = 0;
    }
    return out;
  }

  /** Row index of a global frame number in the current view, or -1 when filtered out/evicted. */
  rowOf(number: number): number {
    let row = 0;
    for (const segment of this.segments) {
      const local = number - segment.first + 1;
      if (local >= 1 && local <= segment.records.length) {
        if (!this.filter) return row + local - 1;
        const matches = this.matchesOf(segment);
        const at = matches.indexOf(local);
        return at < 0 ? -1 : row + at;
      }
      row += this.visibleIn(segment);
    }
    return -1;
  }

  /** Protocol tree and bytes of one frame; null when it was evicted. */
  frame(number: number): FrameDetails | null {
    const segment = this.segmentOf(number);
    if (!segment) return null;
    const session = this.sessionFor(segment);
    const frame = session.getFrame(number - segment.first + 1);
    try {
      const sources = toArray(frame.data_sources).map((ds) => ({ name: ds.name, bytes: base64ToBytes(ds.data) }));
      return { number, tree: toArray(frame.tree).map(toTreeNode), sources };
    } finally {
      deleteIfPossible(frame);
    }
  }

  /**
   * Follows the TCP/UDP stream `frameNumber` belongs to, over every retained packet (a one-off
   * session, so streams crossing segment boundaries are complete).
   */
  follow(protocol: 'TCP' | 'UDP', frameNumber: number): FollowResult {
    const details = this.frame(frameNumber);
    if (!details) throw new Error(`frame ${frameNumber} is no longer in memory (evicted by the ring); follow a newer packet`);
    const streamField = protocol === 'TCP' ? 'tcp.stream' : 'udp.stream';
    if (!findFilter(details.tree, streamField)) throw new Error(`frame ${frameNumber} is not ${protocol}; pick a ${protocol} packet to follow its stream`);
    const all = this.segments.flatMap((s) => s.records);
    const path = `${this.path}.follow`;
    this.lib.FS.writeFile(path, writePcap(this.linkType, all));
    const session = new this.lib.DissectSession(path);
    try {
      session.load();
      // Stream indexes differ between sessions: read the index from the one-off session.
      const first = this.segments[0]!.first;
      const frame = session.getFrame(frameNumber - first + 1);
      const streamFilter = findFilter(toArray(frame.tree).map(toTreeNode), streamField) ?? '';
      deleteIfPossible(frame);
      const follow = session.follow(protocol, streamFilter);
      return {
        client: `${follow.chost}:${follow.cport}`,
        server: `${follow.shost}:${follow.sport}`,
        clientBytes: follow.cbytes,
        serverBytes: follow.sbytes,
        payloads: toArray(follow.payloads).map((p) => ({ number: p.number + first - 1, fromServer: p.server !== 0, data: base64ToBytes(p.data) })),
      };
    } finally {
      session.delete();
      (this.lib.FS as unknown as { unlink(path: string): void }).unlink(path);
    }
  }

  /** Every retained packet as pcapng (what "Save" writes). */
  exportPcapng(write: (linkType: number, records: PcapRecord[]) => Uint8Array): Uint8Array {
    return write(this.linkType, this.segments.flatMap((s) => s.records));
  }

  clear(): void {
    for (const segment of this.segments) this.dropSession(segment);
    this.evicted = this.total;
    this.segments.length = 0;
    this.retainedBytes = 0;
  }

  dispose(): void {
    this.clear();
  }

  // -------------------------------------------------------------------------------------------

  private pendingCount(): number {
    let pending = 0;
    for (const segment of this.segments) pending += segment.records.length - segment.dissectedCount;
    return pending;
  }

  private visibleIn(segment: Segment): number {
    if (!this.filter) return segment.records.length;
    if (segment.dissectedCount === 0) return 0;
    return this.matchesOf(segment).length;
  }

  private matchesOf(segment: Segment): Int32Array {
    if (segment.matches && segment.matchesFor === this.filter) return segment.matches;
    const session = this.sessionFor(segment);
    const response = session.getFrames(this.filter, 0, 0);
    const frames = response.frames;
    const matches = new Int32Array(frames.size());
    for (let i = 0; i < matches.length; i++) {
      const meta = frames.get(i);
      matches[i] = meta.number;
      deleteIfPossible(meta);
    }
    deleteIfPossible(frames);
    segment.matches = matches;
    segment.matchesFor = this.filter;
    return matches;
  }

  private localNumbers(segment: Segment, skip: number, take: number): number[] {
    if (!this.filter) return Array.from({ length: take }, (_, i) => skip + i + 1);
    return Array.from(this.matchesOf(segment).subarray(skip, skip + take));
  }

  private describe(segment: Segment, locals: number[]): PacketRow[] {
    if (locals.length === 0) return [];
    const dissected = segment.dissectedCount;
    const metas = new Map<number, FrameMeta>();
    const firstLocal = locals[0]!;
    const lastLocal = locals.at(-1)!;
    if (dissected > 0 && firstLocal <= dissected) {
      // Unfiltered listing over the contiguous range; the filter (if any) was applied via locals.
      const response = this.sessionFor(segment, false).getFrames('', firstLocal - 1, Math.min(lastLocal, dissected) - firstLocal + 1);
      const frames = response.frames;
      for (let i = 0; i < frames.size(); i++) {
        const meta = frames.get(i);
        metas.set(meta.number, meta);
      }
      deleteIfPossible(frames);
    }
    const rows = locals.map((local) => {
      const record = segment.records[local - 1]!;
      const meta = metas.get(local);
      const columns = meta ? toArray(meta.columns) : null;
      const absTime = timeOf(record);
      return {
        number: segment.first + local - 1,
        relTime: absTime - (this.firstTime ?? absTime),
        absTime,
        source: columns?.[2] ?? '',
        destination: columns?.[3] ?? '',
        protocol: columns?.[4] ?? '…',
        length: record.origLen,
        info: columns?.[6] ?? 'dissecting…',
        bg: meta?.bg ?? 0xffffff,
        fg: meta?.fg ?? 0x000000,
      };
    });
    for (const meta of metas.values()) deleteIfPossible(meta);
    return rows;
  }

  private segmentOf(number: number): Segment | undefined {
    return this.segments.find((s) => number >= s.first && number < s.first + s.records.length);
  }

  /** The segment's session, brought up to date first unless `refresh` is false. */
  private sessionFor(segment: Segment, refresh = true): DissectSession {
    if (!segment.session || (refresh && segment.dissectedCount < segment.records.length)) this.dissect(segment);
    return segment.session!;
  }

  private dissect(segment: Segment): void {
    const count = segment.records.length;
    // Wireshark re-reads packets from the file when listing and for details (random access),
    // so each live session keeps its own file in wiregasm's in-memory FS until it is deleted.
    const path = this.segmentPath(segment);
    this.lib.FS.writeFile(path, writePcap(this.linkType, segment.records));
    const session = new this.lib.DissectSession(path);
    const loaded = session.load();
    if (loaded.code !== 0) {
      session.delete();
      throw new Error(`Wireshark could not read packets ${segment.first}–${segment.first + count - 1}: ${loaded.error || `code ${loaded.code}`}`);
    }
    segment.session?.delete();
    segment.session = session;
    segment.dissectedCount = count;
    segment.matches = null;
    segment.matchesFor = null;
  }

  private segmentPath(segment: Segment): string {
    return `${this.path}.${segment.first}`;
  }

  private dropSession(segment: Segment): void {
    segment.session?.delete();
    segment.session = null;
    try {
      (this.lib.FS as unknown as { unlink(path: string): void }).unlink(this.segmentPath(segment));
    } catch {
      // never written (segment not dissected yet)
    }
  }

  private evictOverRing(): void {
    // Only sealed segments go, oldest first; the open tail always stays so live rows keep coming.
    while (this.segments.length > 1) {
      const retained = this.total - this.evicted;
      if (retained <= this.ring.maxPackets && this.retainedBytes <= this.ring.maxBytes) break;
      const oldest = this.segments.shift()!;
      this.dropSession(oldest);
      this.evicted += oldest.records.length;
      this.retainedBytes -= oldest.bytes;
    }
  }
}

function timeOf(record: PcapRecord): number {
  return record.tsSec + record.tsFrac / record.tsUnits;
}

export function toArray<T>(vector: Vector<T>): T[] {
  const out: T[] = new Array<T>(vector.size());
  for (let i = 0; i < out.length; i++) out[i] = vector.get(i);
  return out;
}

function toTreeNode(node: ProtoTree): TreeNode {
  return { label: node.label, filter: node.filter, start: node.start, length: node.length, source: node.data_source_idx, children: toArray(node.tree).map(toTreeNode) };
}

/** The `field == value` filter of the first tree item for `field`, searching depth-first. */
export function findFilter(tree: readonly TreeNode[], field: string): string | null {
  for (const node of tree) {
    if (node.filter.startsWith(`${field} ==`) || node.filter.startsWith(`${field} eq`)) return node.filter;
    const below = findFilter(node.children, field);
    if (below) return below;
  }
  return null;
}

/** embind value objects need `delete()`; plain JS values (some builds) do not have it. */
function deleteIfPossible(value: unknown): void {
  if (value && typeof (value as { delete?: unknown }).delete === 'function') (value as { delete(): void }).delete();
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
