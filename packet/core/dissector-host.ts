/**
 * Every open viewer's capture inside one wiregasm instance (one is ~150 MB and seconds to
 * start, so viewers share it). Pure: the Web Worker (`renderer/packets/worker/dissect.worker.ts`) is a
 * message shell around this class, and the Node tests and bench call it directly.
 */
import type { WiregasmLib } from '@goodtools/wiregasm';
import { CaptureDissector, toArray, type JobTicket } from './capture-dissector.js';
import { parseCaptureFile, PcapFormatError, PcapStreamReader, writePcap, writePcapng } from './pcap-format.js';
import type { SegmentJob, SegmentJobResult } from './segment-jobs.js';
import { SessionSlot } from './session-slot.js';
import { udpRecords } from './synthetic-udp.js';
import type { CaptureStats, FieldCompletion, FilterCheck, FollowResult, FrameDetails, PacketRow, RingLimit } from './viewer-types.js';

interface LiveCapture {
  reader: PcapStreamReader;
  dissector: CaptureDissector | null;
  ring: RingLimit | undefined;
}

export class DissectorHost {
  private readonly captures = new Map<string, LiveCapture>();
  /** The single wiregasm session every capture of this instance takes turns with. */
  readonly slot: SessionSlot;

  constructor(readonly lib: WiregasmLib) {
    this.slot = new SessionSlot(lib);
  }

  /**
   * V8 compiles wiregasm's 69 MB of WebAssembly lazily and tiers hot functions up later: the
   * first sessions run 3–5× slower (measured: first 1,000 rows of a file 1,080 ms cold, 210 ms
   * warm). Dissecting a few synthetic segments at startup pays that before the person opens
   * anything.
   */
  warmUp(rounds = 3): void {
    const bytes = writePcap(1, udpRecords(2048));
    for (let i = 0; i < rounds; i++) {
      this.openFile('__warm-up', bytes);
      this.rows('__warm-up', 0, 1000);
      this.setFilter('__warm-up', 'udp.dstport == 53');
      this.rowOf('__warm-up', 1);
      this.close('__warm-up');
    }
  }

  /** A live capture: bytes arrive with `push` (the first chunk starts with the pcap header). */
  openLive(id: string, ring?: RingLimit): void {
    this.close(id);
    this.captures.set(id, { reader: new PcapStreamReader(), dissector: null, ring });
  }

  /** Feeds live pcap bytes; returns the packets indexed from this chunk. */
  push(id: string, bytes: Uint8Array): number {
    const capture = this.require(id);
    const records = capture.reader.push(bytes);
    if (!capture.dissector && capture.reader.header) capture.dissector = new CaptureDissector(this.slot, capture.reader.header.linkType, capture.ring);
    capture.dissector?.append(records);
    return records.length;
  }

  /**
   * Opens a whole .pcap/.pcapng file: every packet is indexed, nothing dissected yet. The rows
   * the list asks for first are dissected on demand; `work` calls (and helper workers) then
   * list the rest in the background.
   */
  openFile(id: string, bytes: Uint8Array, ring?: RingLimit): CaptureStats {
    let parsed;
    try {
      parsed = parseCaptureFile(bytes);
    } catch (err) {
      if (err instanceof PcapFormatError) throw new Error(`cannot open this capture file: ${err.message}. Open a .pcap or .pcapng written by tcpdump, Wireshark or Wirebench.`);
      throw err;
    }
    if (parsed.records.length === 0) throw new Error('the capture file holds no packets');
    this.close(id);
    const dissector = new CaptureDissector(this.slot, parsed.linkType, ring, true);
    dissector.append(parsed.records);
    this.captures.set(id, { reader: new PcapStreamReader(), dissector, ring });
    return dissector.stats();
  }

  /** Runs pending dissection for up to `budgetMs` per capture; returns updated stats. */
  work(budgetMs: number): Record<string, CaptureStats> {
    const out: Record<string, CaptureStats> = {};
    for (const [id, capture] of this.captures) {
      if (!capture.dissector) continue;
      capture.dissector.dissectPending(budgetMs);
      out[id] = capture.dissector.stats();
    }
    return out;
  }

  /** Whether `work` has anything to do that no helper worker is already doing. */
  hasLocalWork(): boolean {
    return [...this.captures.values()].some((c) => c.dissector?.hasLocalWork());
  }

  /** The next whole-segment job for a helper worker (see segment-helpers.ts), or null. */
  takeJob(kinds?: readonly SegmentJob['kind'][]): { id: string; ticket: JobTicket; job: SegmentJob } | null {
    for (const [id, capture] of this.captures) {
      const taken = capture.dissector?.takeJob(kinds);
      if (taken) return { id, ...taken };
    }
    return null;
  }

  /** A helper's result (null when the helper failed: the segment is then done here). */
  completeJob(id: string, ticket: JobTicket, result: SegmentJobResult | null): void {
    this.captures.get(id)?.dissector?.completeJob(ticket, result);
  }

  /** Stats of every capture, without doing any work. */
  allStats(): Record<string, CaptureStats> {
    const out: Record<string, CaptureStats> = {};
    for (const [id, capture] of this.captures) if (capture.dissector) out[id] = capture.dissector.stats();
    return out;
  }

  stats(id: string): CaptureStats | null {
    return this.require(id).dissector?.stats() ?? null;
  }

  rows(id: string, start: number, count: number): PacketRow[] {
    return this.require(id).dissector?.rows(start, count) ?? [];
  }

  rowOf(id: string, number: number): number {
    return this.require(id).dissector?.rowOf(number) ?? -1;
  }

  frame(id: string, number: number): FrameDetails | null {
    return this.require(id).dissector?.frame(number) ?? null;
  }

  follow(id: string, protocol: 'TCP' | 'UDP', number: number): FollowResult {
    const dissector = this.require(id).dissector;
    if (!dissector) throw new Error('no packets yet');
    return dissector.follow(protocol, number);
  }

  /** Applies a display filter after checking it; an invalid one leaves the view unchanged. */
  setFilter(id: string, filter: string): FilterCheck {
    const check = this.checkFilter(filter);
    if (check.ok) this.require(id).dissector?.setFilter(filter);
    return check;
  }

  setRing(id: string, ring: RingLimit): void {
    const capture = this.require(id);
    capture.ring = ring;
    capture.dissector?.setRing(ring);
  }

  checkFilter(filter: string): FilterCheck {
    if (filter.trim() === '') return { ok: true, error: '' };
    const result = this.lib.checkFilter(filter);
    return { ok: result.ok, error: result.error };
  }

  /** Field names starting with the last word of `text` (wiregasm's own completion). */
  complete(text: string, limit = 30): FieldCompletion[] {
    const word = /[A-Za-z0-9_.-]*$/.exec(text)?.[0] ?? '';
    if (word.length < 1) return [];
    const result = this.lib.completeFilter(word);
    return toArray(result.fields)
      .slice(0, limit)
      .map((f) => ({ field: f.field, name: f.name }));
  }

  exportPcapng(id: string): Uint8Array {
    const dissector = this.require(id).dissector;
    if (!dissector) throw new Error('nothing to save yet: no packet has arrived');
    return dissector.exportPcapng((linkType, records) => writePcapng(linkType, records));
  }

  clear(id: string): void {
    this.require(id).dissector?.clear();
  }

  close(id: string): void {
    const capture = this.captures.get(id);
    this.captures.delete(id);
    capture?.dissector?.dispose();
  }

  private require(id: string): LiveCapture {
    const capture = this.captures.get(id);
    if (!capture) throw new Error(`no capture "${id}" in the packet viewer (it was closed)`);
    return capture;
  }
}
