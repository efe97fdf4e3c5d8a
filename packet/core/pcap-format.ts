/**
 * pcap and pcapng framing, in plain TypeScript so the worker, the Node tests and the bench share
 * it. We split captures into records ourselves (instead of asking wiregasm) because the live
 * path needs the packet count, timestamps and lengths of every packet the instant its bytes
 * arrive, long before Wireshark's dissectors have looked at it; and because the viewer builds
 * small pcap files out of slices of the capture (see segment-dissector.ts).
 */

/** One captured packet as it sits in the file. */
export interface PcapRecord {
  /** Seconds since the epoch, with the file's resolution folded in (µs or ns precision). */
  tsSec: number;
  tsFrac: number;
  /** `tsFrac` units per second: 1e6 (pcap µs) or 1e9 (pcap ns / pcapng with if_tsresol 9). */
  tsUnits: number;
  /** Bytes on the wire. */
  origLen: number;
  /** Bytes captured (the data below). */
  data: Uint8Array;
}

export interface PcapHeaderInfo {
  linkType: number;
  snapLen: number;
  nanos: boolean;
}

export class PcapFormatError extends Error {}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAP_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
/** Larger than any real snaplen; a length beyond it means the stream is corrupt, not short. */
const MAX_RECORD = 0x40000;

export type CaptureFileKind = 'pcap' | 'pcapng';

export function sniffFormat(bytes: Uint8Array): CaptureFileKind | null {
  if (bytes.length < 4) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return 'pcap';
  if (le === PCAPNG_SHB) return 'pcapng';
  return null;
}

/**
 * Incremental classic-pcap reader: feed it bytes as they arrive (any split), get whole records
 * out. Keeps only the unfinished tail of the last record between calls.
 */
export class PcapStreamReader {
  header: PcapHeaderInfo | null = null;
  private little = true;
  private pending: Uint8Array = new Uint8Array(0);

  /**
   * `copy` (live streams): each record gets its own bytes so it does not pin the whole chunk it
   * arrived in. Whole files pass false: the file stays in memory anyway and views are free.
   */
  constructor(private readonly copy = true) {}

  push(chunk: Uint8Array): PcapRecord[] {
    const bytes = this.pending.length ? concat(this.pending, chunk) : chunk;
    let offset = 0;
    if (!this.header) {
      if (bytes.length < PCAP_HEADER_LEN) {
        this.pending = bytes.slice();
        return [];
      }
      this.header = this.readHeader(bytes);
      offset = PCAP_HEADER_LEN;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const records: PcapRecord[] = [];
    const tsUnits = this.header.nanos ? 1e9 : 1e6;
    while (bytes.length - offset >= RECORD_HEADER_LEN) {
      const inclLen = view.getUint32(offset + 8, this.little);
      if (inclLen > MAX_RECORD) throw new PcapFormatError(`pcap record at byte ${offset} claims ${inclLen} bytes; the file is corrupt`);
      if (bytes.length - offset < RECORD_HEADER_LEN + inclLen) break;
      records.push({
        tsSec: view.getUint32(offset, this.little),
        tsFrac: view.getUint32(offset + 4, this.little),
        tsUnits,
        origLen: view.getUint32(offset + 12, this.little),
        data: this.copy ? bytes.slice(offset + RECORD_HEADER_LEN, offset + RECORD_HEADER_LEN + inclLen) : bytes.subarray(offset + RECORD_HEADER_LEN, offset + RECORD_HEADER_LEN + inclLen),
      });
      offset += RECORD_HEADER_LEN + inclLen;
    }
    this.pending = bytes.slice(offset);
    return records;
  }

  /** Bytes of an unfinished record (non-zero at the end of a file means it was truncated). */
  get leftover(): number {
    return this.pending.length;
  }

  private readHeader(bytes: Uint8Array): PcapHeaderInfo {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = view.getUint32(0, true);
    const be = view.getUint32(0, false);
    let nanos: boolean;
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
      this.little = true;
      nanos = le === PCAP_MAGIC_NS;
    } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
      this.little = false;
      nanos = be === PCAP_MAGIC_NS;
    } else {
      throw new PcapFormatError('not a pcap stream (bad magic number in the first 4 bytes)');
    }
    return { snapLen: view.getUint32(16, this.little), linkType: view.getUint32(20, this.little), nanos };
  }
}

export interface ParsedCaptureFile {
  kind: CaptureFileKind;
  linkType: number;
  records: PcapRecord[];
}

/** Parses a whole .pcap or .pcapng file; throws PcapFormatError with a readable reason. */
export function parseCaptureFile(bytes: Uint8Array): ParsedCaptureFile {
  const kind = sniffFormat(bytes);
  if (!kind) throw new PcapFormatError('this is not a pcap or pcapng file (unknown magic number)');
  if (kind === 'pcapng') return parsePcapng(bytes);
  if (bytes.length < PCAP_HEADER_LEN) throw new PcapFormatError(`the pcap file header is cut short (${bytes.length} of 24 bytes)`);
  const reader = new PcapStreamReader(false);
  const records = reader.push(bytes);
  if (reader.leftover > 0) {
    throw new PcapFormatError(`the file is truncated: the last packet (after ${records.length} complete ones) is missing ${reader.leftover > 0 ? 'some of its' : ''} bytes`);
  }
  return { kind, linkType: reader.header!.linkType, records };
}

function parsePcapng(bytes: Uint8Array): ParsedCaptureFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  let offset = 0;
  const interfaces: { linkType: number; tsUnits: number }[] = [];
  const records: PcapRecord[] = [];
  while (offset < bytes.length) {
    if (bytes.length - offset < 12) throw new PcapFormatError(`the pcapng file is truncated at byte ${offset} (a block header is cut short)`);
    let type = view.getUint32(offset, little);
    if (type === PCAPNG_SHB) {
      const magic = view.getUint32(offset + 8, true);
      little = magic === 0x1a2b3c4d;
      if (!little && view.getUint32(offset + 8, false) !== 0x1a2b3c4d) throw new PcapFormatError('pcapng section header has a bad byte-order magic');
      interfaces.length = 0;
      type = PCAPNG_SHB;
    }
    const length = view.getUint32(offset + 4, little);
    if (length < 12 || length % 4 !== 0) throw new PcapFormatError(`pcapng block at byte ${offset} has an impossible length ${length}; the file is corrupt`);
    if (offset + length > bytes.length) throw new PcapFormatError(`the pcapng file is truncated: the block at byte ${offset} needs ${length} bytes, ${bytes.length - offset} remain`);
    const body = offset + 8;
    if (type === 1) {
      interfaces.push({ linkType: view.getUint16(body, little), tsUnits: interfaceResolution(view, body + 8, offset + length - 4, little) });
    } else if (type === 6) {
      const iface = interfaces[view.getUint32(body, little)];
      if (!iface) throw new PcapFormatError(`pcapng packet at byte ${offset} refers to an interface that was never described`);
      const ts = view.getUint32(body + 4, little) * 2 ** 32 + view.getUint32(body + 8, little);
      const capLen = view.getUint32(body + 12, little);
      records.push({
        tsSec: Math.floor(ts / iface.tsUnits),
        tsFrac: ts % iface.tsUnits,
        tsUnits: iface.tsUnits,
        origLen: view.getUint32(body + 16, little),
        data: bytes.subarray(body + 20, body + 20 + capLen),
      });
    } else if (type === 3) {
      const iface = interfaces[0];
      if (!iface) throw new PcapFormatError('pcapng simple packet block before any interface description');
      const origLen = view.getUint32(body, little);
      records.push({ tsSec: 0, tsFrac: 0, tsUnits: 1e6, origLen, data: bytes.slice(body + 4, body + 4 + Math.min(origLen, length - 16)) });
    }
    offset += length;
  }
  const linkTypes = new Set(interfaces.map((i) => i.linkType));
  if (linkTypes.size > 1) throw new PcapFormatError('pcapng files mixing link types are not supported yet; split them with editcap first');
  return { kind: 'pcapng', linkType: interfaces[0]?.linkType ?? 1, records };
}

/** if_tsresol (option 9): default microseconds. */
function interfaceResolution(view: DataView, start: number, end: number, little: boolean): number {
  let at = start;
  while (at + 4 <= end) {
    const code = view.getUint16(at, little);
    const len = view.getUint16(at + 2, little);
    if (code === 0) break;
    if (code === 9 && len >= 1) {
      const v = view.getUint8(at + 4);
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return 1e6;
}

/** A classic pcap (µs or ns like the records) holding `records`. */
export function writePcap(linkType: number, records: readonly PcapRecord[]): Uint8Array {
  const nanos = records.length > 0 && records[0]!.tsUnits === 1e9;
  let size = PCAP_HEADER_LEN;
  for (const r of records) size += RECORD_HEADER_LEN + r.data.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, MAX_RECORD, true);
  view.setUint32(20, linkType, true);
  let at = PCAP_HEADER_LEN;
  for (const r of records) {
    const frac = nanos ? toUnits(r, 1e9) : toUnits(r, 1e6);
    view.setUint32(at, r.tsSec, true);
    view.setUint32(at + 4, frac, true);
    view.setUint32(at + 8, r.data.length, true);
    view.setUint32(at + 12, r.origLen, true);
    out.set(r.data, at + RECORD_HEADER_LEN);
    at += RECORD_HEADER_LEN + r.data.length;
  }
  return out;
}

/** pcapng (one section, one interface, nanosecond timestamps) holding `records`. */
export function writePcapng(linkType: number, records: readonly PcapRecord[], comment = 'Wirebench'): Uint8Array {
  const parts: Uint8Array[] = [];
  const shbOptions = option(1, new TextEncoder().encode(comment));
  parts.push(block(PCAPNG_SHB, [u32(0x1a2b3c4d), u16(1), u16(0), u64(-1), shbOptions, endOfOptions()]));
  // if_tsresol = 9 (nanoseconds), so ns captures lose nothing.
  parts.push(block(1, [u16(linkType), u16(0), u32(MAX_RECORD), option(9, Uint8Array.of(9)), endOfOptions()]));
  for (const r of records) {
    const ts = BigInt(r.tsSec) * 1_000_000_000n + BigInt(toUnits(r, 1e9));
    const high = Number(ts >> 32n);
    const low = Number(ts & 0xffffffffn);
    parts.push(block(6, [u32(0), u32(high), u32(low), u32(r.data.length), u32(r.origLen), pad4(r.data)]));
  }
  return concatAll(parts);
}

function toUnits(r: PcapRecord, units: number): number {
  return r.tsUnits === units ? r.tsFrac : Math.round((r.tsFrac * units) / r.tsUnits);
}

function block(type: number, body: Uint8Array[]): Uint8Array {
  const inner = concatAll(body);
  const total = 12 + inner.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  out.set(inner, 8);
  view.setUint32(total - 4, total, true);
  return out;
}

function option(code: number, value: Uint8Array): Uint8Array {
  return concatAll([u16(code), u16(value.length), pad4(value)]);
}

const endOfOptions = () => u32(0);

function pad4(data: Uint8Array): Uint8Array {
  const padded = Math.ceil(data.length / 4) * 4;
  if (padded === data.length) return data;
  const out = new Uint8Array(padded);
  out.set(data);
  return out;
}

function u16(v: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, v, true);
  return out;
}

function u32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0, true);
  return out;
}

function u64(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(v), true);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
