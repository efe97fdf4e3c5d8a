/**
 * One capture's packets and their dissection: the pure core the Web Worker wraps (and the Node
 * tests and bench drive directly).
 *
 * ## Live path (measured, see bench/dissect and platform-facts)
 * wiregasm dissects whole files: a session is built over a file and cannot be appended to, and
 * a new session over a 1,000-packet slice costs ~63 ms (≈16k packets/s on one thread). Worse,
 * Wireshark's dissection state is global, so only ONE session may exist at a time (see
 * session-slot.ts: freeing one session frees the state every other one points to). The
 * choices were (a) re-load the whole capture on every update — O(n²), unusable past a few
 * thousand packets; (b) one session per arrival batch — linear, but request/reply pairs and
 * other cross-packet state are lost at every batch boundary (a 1 pps ping becomes one-packet
 * sessions, "reply in" disappears); (c) what we do:
 *
 *   - Every packet is *indexed* in JS the moment its bytes arrive (number, time, length). Row
 *     count, No., Time and Length are therefore exact and never lag, whatever the rate: nothing
 *     is silently dropped even when dissection falls behind.
 *   - Packets are grouped in *segments* of SEGMENT_PACKETS and dissected through the one
 *     shared session (SessionSlot) only when something needs them, like Wireshark's own packet
 *     list: the rows on screen (their columns are then kept in JS), a packet's details, and
 *     a display filter (checked segment by segment in the background: the "pending" work).
 *     An opened file's columns are also listed in the background, after any filter work, up
 *     to PREFETCH_ROWS. Whole-segment work can be handed to helper workers on other cores
 *     (`takeJob`/`completeJob`, see segment-helpers.ts). A growing live tail is re-loaded when
 *     its rows are asked for, so context within 1,024 packets is kept. Measured per packet
 *     (warm, Node, release-mode glue): loading 26 µs, list columns 35 µs (the first listing
 *     builds a tree for the colouring rules), filter ~30 µs.
 *   - The ring evicts whole sealed segments (oldest first) and counts what it evicted.
 *   - Cross-segment state (TCP reassembly across a 1,024-packet boundary) is lost in the list;
 *     "follow stream" builds a one-off session over every retained packet so it is complete.
 */
import type { DissectSession, ProtoTree, Vector } from '@goodtools/wiregasm';
import { writePcap, type PcapRecord } from './pcap-format.js';
import { deleteIfPossible, readColumns, readMatches, type RowColumns, type SegmentJob, type SegmentJobResult } from './segment-jobs.js';
import type { SessionSlot } from './session-slot.js';
import { DEFAULT_RING, type CaptureStats, type FollowResult, type FrameDetails, type PacketRow, type RingLimit, type TreeNode } from './viewer-types.js';

export const SEGMENT_PACKETS = 1024;

interface Segment {
  /** Global number of this segment's first packet. */
  first: number;
  records: PcapRecord[];
  bytes: number;
  /** Columns of local frame `i + 1`, for the rows that have been shown (sparse). */
  columns: (RowColumns | undefined)[];
  /** Matching local frame numbers among the first `filteredCount` packets, for `matchesFor`. */
  matches: Int32Array | null;
  matchesFor: string | null;
  filteredCount: number;
  /** Rows whose columns are known (`columns` entries set). */
  listed: number;
  /** A helper worker is working on this segment (see `takeJob`). */
  inFlight: boolean;
}

/** A segment handed out by `takeJob`, to give back with `completeJob`. */
export interface JobTicket {
  first: number;
  count: number;
  filter: string;
}

let captureCounter = 0;
/** Rows read on either side of the ones asked for (columns cost ~55 µs each, a load ~30 ms). */
const READ_AHEAD = 64;
/** Source/destination/protocol strings repeat across rows; sharing them keeps 1M rows small. */
const INTERN_LIMIT = 50_000;
/**
 * A file's columns are listed in the background (by helper workers when there are spare
 * cores) up to this many rows, so scrolling anywhere needs no segment reload. ~100 bytes a
 * row; beyond it rows are listed when shown, as before.
 */
export const PREFETCH_ROWS = 250_000;
/** Whole-segment work, most wanted first. */
const JOB_KINDS: readonly SegmentJob['kind'][] = ['filter', 'columns'];

export class CaptureDissector {
  private readonly segments: Segment[] = [];
  private total = 0;
  private evicted = 0;
  private retainedBytes = 0;
  private firstTime: number | null = null;
  private filter = '';
  /** Prefix of this capture's keys in the shared session slot. */
  private readonly key = `c${++captureCounter}`;
  private readonly interned = new Map<string, string>();
  /** Segment jobs whose results came from helper workers (shown to people, checked by tests). */
  private helped = 0;

  constructor(
    private readonly slot: SessionSlot,
    private readonly linkType: number,
    private ring: RingLimit = DEFAULT_RING,
    /** List every row's columns in the background (files; live captures list on demand). */
    private readonly prefetch = false,
  ) {}

  /** Indexes new packets (cheap; dissection happens in `dissectPending`). */
  append(records: readonly PcapRecord[]): void {
    for (const record of records) {
      let tail = this.segments.at(-1);
      if (!tail || tail.records.length >= SEGMENT_PACKETS) {
        tail = { first: this.total + 1, records: [], bytes: 0, columns: [], matches: null, matchesFor: null, filteredCount: 0, listed: 0, inFlight: false };
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
   * Applies the display filter to segments it has not checked yet (oldest first), or without
   * a filter lists a file's columns in the background, until `budgetMs` is spent. Returns how
   * many packets still wait for the filter (always 0 without one).
   */
  dissectPending(budgetMs = Infinity): number {
    const started = performance.now();
    // The filter (someone waits for it) before the listing; at least one segment per call, so
    // a zero budget still makes progress.
    for (const kind of JOB_KINDS) {
      for (const segment of this.segments) {
        if (!this.needs(segment, kind)) continue;
        if (kind === 'filter') this.applyFilter(segment);
        else this.listAll(segment);
        if (performance.now() - started >= budgetMs) return this.pendingCount();
      }
    }
    return this.pendingCount();
  }

  /** Whether `dissectPending` has anything to do that no helper is already doing. */
  hasLocalWork(): boolean {
    return this.segments.some((s) => JOB_KINDS.some((kind) => this.needs(s, kind)));
  }

  /**
   * Hands the next segment that needs whole-segment work of one of `kinds` (the display filter
   * first, then the background listing) to a helper worker, marked so nobody else takes it.
   */
  takeJob(kinds: readonly SegmentJob['kind'][] = JOB_KINDS): { ticket: JobTicket; job: SegmentJob } | null {
    for (const kind of kinds) {
      for (const segment of this.segments) {
        if (!this.needs(segment, kind)) continue;
        segment.inFlight = true;
        const ticket = { first: segment.first, count: segment.records.length, filter: this.filter };
        const pcap = writePcap(this.linkType, segment.records);
        return { ticket, job: kind === 'filter' ? { kind, pcap, filter: this.filter } : { kind, pcap } };
      }
    }
    return null;
  }

  /** Takes a helper's result back; stale ones (segment evicted, filter changed) are dropped. */
  completeJob(ticket: JobTicket, result: SegmentJobResult | null): void {
    const segment = this.segments.find((s) => s.first === ticket.first);
    if (!segment) return;
    segment.inFlight = false;
    if (!result || segment.records.length < ticket.count) return;
    if (result.kind === 'filter' && ticket.filter !== this.filter) return;
    this.helped++;
    if (result.kind === 'filter') {
      // The tail may have grown since: the result covers the first `count` packets.
      segment.matches = result.matches;
      segment.matchesFor = ticket.filter;
      segment.filteredCount = ticket.count;
    } else {
      result.columns.forEach((columns, i) => this.remember(segment, i + 1, columns));
    }
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
      listing: this.listingCount(),
      helped: this.helped,
      filter: this.filter,
    };
  }

  /** Rows currently shown: with a filter only checked packets count (the rest is pending). */
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
        if (!this.isFiltered(segment)) this.applyFilter(segment);
        const at = segment.matches!.indexOf(local);
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
    const frame = this.sessionOf(segment).getFrame(number - segment.first + 1);
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
    const first = this.segments[0]!.first;
    const session = this.slot.use(`${this.key}:all:${first}:${this.total}`, () => writePcap(this.linkType, this.segments.flatMap((s) => s.records)));
    // Stream indexes differ between sessions: read the index from the one-off session.
    const frame = session.getFrame(frameNumber - first + 1);
    const streamFilter = findFilter(toArray(frame.tree).map(toTreeNode), streamField) ?? '';
    deleteIfPossible(frame);
    const follow = session.follow(protocol, streamFilter);
    const result = {
      client: `${follow.chost}:${follow.cport}`,
      server: `${follow.shost}:${follow.sport}`,
      clientBytes: follow.cbytes,
      serverBytes: follow.sbytes,
      payloads: toArray(follow.payloads).map((p) => ({ number: p.number + first - 1, fromServer: p.server !== 0, data: base64ToBytes(p.data) })),
    };
    // The whole-capture session is the largest there is: do not keep it around.
    this.slot.releaseIf((key) => key.startsWith(`${this.key}:all:`));
    return result;
  }

  /** Every retained packet as pcapng (what "Save" writes). */
  exportPcapng(write: (linkType: number, records: PcapRecord[]) => Uint8Array): Uint8Array {
    return write(this.linkType, this.segments.flatMap((s) => s.records));
  }

  clear(): void {
    this.slot.releaseIf((key) => key.startsWith(`${this.key}:`));
    this.evicted = this.total;
    this.segments.length = 0;
    this.retainedBytes = 0;
  }

  dispose(): void {
    this.clear();
  }

  // -------------------------------------------------------------------------------------------

  private pendingCount(): number {
    if (!this.filter) return 0;
    let pending = 0;
    for (const segment of this.segments) pending += segment.records.length - (segment.matchesFor === this.filter ? segment.filteredCount : 0);
    return pending;
  }

  /** Rows the background listing has still to do (0 for live captures and past PREFETCH_ROWS). */
  private listingCount(): number {
    let listing = 0;
    for (const segment of this.segments) if (this.wantsListing(segment)) listing += segment.records.length - segment.listed;
    return listing;
  }

  /**
   * Whether `segment` needs whole-segment work of `kind` that nobody is doing: a segment out
   * with a helper is skipped (its result arrives through `completeJob`).
   */
  private needs(segment: Segment, kind: SegmentJob['kind']): boolean {
    if (segment.inFlight) return false;
    return kind === 'filter' ? this.filter !== '' && !this.isFiltered(segment) : this.wantsListing(segment);
  }

  /** A file's segment whose rows are not all listed yet, within PREFETCH_ROWS. */
  private wantsListing(segment: Segment): boolean {
    return this.prefetch && segment.listed < segment.records.length && segment.first + segment.records.length - 1 <= PREFETCH_ROWS;
  }

  private listAll(segment: Segment): void {
    this.readColumns(this.sessionOf(segment), segment, 0, segment.records.length);
  }

  private remember(segment: Segment, local: number, columns: RowColumns): void {
    if (!segment.columns[local - 1]) segment.listed++;
    segment.columns[local - 1] = {
      source: this.intern(columns.source),
      destination: this.intern(columns.destination),
      protocol: this.intern(columns.protocol),
      info: columns.info,
      bg: columns.bg,
      fg: columns.fg,
    };
  }

  private isFiltered(segment: Segment): boolean {
    return segment.matchesFor === this.filter && segment.filteredCount === segment.records.length;
  }

  private visibleIn(segment: Segment): number {
    if (!this.filter) return segment.records.length;
    return segment.matchesFor === this.filter ? segment.matches!.length : 0;
  }

  private localNumbers(segment: Segment, skip: number, take: number): number[] {
    if (!this.filter) return Array.from({ length: take }, (_, i) => skip + i + 1);
    return Array.from(segment.matches!.subarray(skip, skip + take));
  }

  private describe(segment: Segment, locals: number[]): PacketRow[] {
    if (locals.length === 0) return [];
    let low = Infinity;
    let high = -Infinity;
    for (const local of locals) {
      if (segment.columns[local - 1]) continue;
      low = Math.min(low, local);
      high = Math.max(high, local);
    }
    if (low <= high) {
      // A miss costs a segment load (~30 ms); read ahead so the next scroll step, or a page
      // straddling the segment's edge, does not load the same segment again.
      low = Math.max(1, low - READ_AHEAD);
      high = Math.min(segment.records.length, high + READ_AHEAD);
      this.readColumns(this.sessionOf(segment), segment, low - 1, high - low + 1);
    }
    return locals.map((local) => {
      const record = segment.records[local - 1]!;
      const columns = segment.columns[local - 1];
      const absTime = timeOf(record);
      return {
        number: segment.first + local - 1,
        relTime: absTime - (this.firstTime ?? absTime),
        absTime,
        source: columns?.source ?? '',
        destination: columns?.destination ?? '',
        protocol: columns?.protocol ?? '…',
        length: record.origLen,
        info: columns?.info ?? 'dissecting…',
        bg: columns?.bg ?? 0xffffff,
        fg: columns?.fg ?? 0x000000,
      };
    });
  }

  private segmentOf(number: number): Segment | undefined {
    return this.segments.find((s) => number >= s.first && number < s.first + s.records.length);
  }

  /** The slot's session over every packet of `segment` as it is now. */
  private sessionOf(segment: Segment): DissectSession {
    return this.slot.use(`${this.key}:${segment.first}:${segment.records.length}`, () => writePcap(this.linkType, segment.records));
  }

  /** Checks every packet of `segment` against the display filter (one load, one filter pass). */
  private applyFilter(segment: Segment): void {
    const count = segment.records.length;
    segment.matches = readMatches(this.sessionOf(segment), this.filter);
    segment.matchesFor = this.filter;
    segment.filteredCount = count;
  }

  private readColumns(session: DissectSession, segment: Segment, skip: number, limit: number): void {
    for (const row of readColumns(session, skip, limit)) this.remember(segment, row.number, row);
  }

  private intern(text: string): string {
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    if (this.interned.size < INTERN_LIMIT) this.interned.set(text, text);
    return text;
  }

  private evictOverRing(): void {
    // Only sealed segments go, oldest first; the open tail always stays so live rows keep coming.
    while (this.segments.length > 1) {
      const retained = this.total - this.evicted;
      if (retained <= this.ring.maxPackets && this.retainedBytes <= this.ring.maxBytes) break;
      const oldest = this.segments.shift()!;
      this.slot.releaseIf((key) => key.startsWith(`${this.key}:${oldest.first}:`));
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

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
