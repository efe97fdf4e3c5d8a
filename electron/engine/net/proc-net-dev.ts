/**
 * Parser for `/proc/<pid>/net/dev`: one read lists every interface of that process's network
 * namespace, so one read per lab per tick serves every NIC of the lab. Written by hand (no
 * dependency does this) and kept allocation-light: the poller runs it 4 times a second over
 * labs with up to a thousand TAPs (bench/counters measures it).
 */

/** Host-perspective statistics of one interface, as the kernel reports them. */
export interface HostIfStats {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
}

/** Field positions after the colon: rx bytes packets errs drop fifo frame compressed multicast, tx bytes packets errs ... */
const RX_BYTES = 0;
const RX_PACKETS = 1;
const RX_ERRS = 2;
const TX_BYTES = 8;
const TX_PACKETS = 9;
const TX_ERRS = 10;
const FIELDS_NEEDED = 11;

const SPACE = 32;
const NEWLINE = 10;
const COLON = 58;
const ZERO = 48;

/**
 * Parses the file; when `wanted` is given, lines of other interfaces are skipped without
 * parsing their numbers (the lab's bridges, `lo`, TAPs of NICs nobody asked about).
 */
export function parseProcNetDev(text: string, wanted?: ReadonlySet<string>): Map<string, HostIfStats> {
  const stats = new Map<string, HostIfStats>();
  const fields = new Array<number>(FIELDS_NEEDED).fill(0);
  // Skip the two header lines.
  let pos = text.indexOf('\n', text.indexOf('\n') + 1) + 1;
  if (pos <= 0) return stats;
  const length = text.length;
  while (pos < length) {
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = length;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > lineEnd) {
      pos = lineEnd + 1;
      continue;
    }
    let nameStart = pos;
    while (text.charCodeAt(nameStart) === SPACE) nameStart++;
    const name = text.slice(nameStart, colon);
    if (wanted && !wanted.has(name)) {
      pos = lineEnd + 1;
      continue;
    }
    let field = 0;
    let i = colon + 1;
    while (field < FIELDS_NEEDED && i < lineEnd) {
      let c = text.charCodeAt(i);
      while (c === SPACE && i < lineEnd) c = text.charCodeAt(++i);
      if (i >= lineEnd || c === NEWLINE || c === COLON) break;
      let value = 0;
      while (i < lineEnd && (c = text.charCodeAt(i)) >= ZERO && c <= ZERO + 9) {
        value = value * 10 + (c - ZERO);
        i++;
      }
      fields[field++] = value;
      while (i < lineEnd && text.charCodeAt(i) !== SPACE) i++;
    }
    if (field === FIELDS_NEEDED) {
      stats.set(name, {
        rxBytes: fields[RX_BYTES]!,
        rxPackets: fields[RX_PACKETS]!,
        rxErrors: fields[RX_ERRS]!,
        txBytes: fields[TX_BYTES]!,
        txPackets: fields[TX_PACKETS]!,
        txErrors: fields[TX_ERRS]!,
      });
    }
    pos = lineEnd + 1;
  }
  return stats;
}
