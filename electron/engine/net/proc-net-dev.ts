/**
 * Parser for `/proc/<pid>/net/dev`: one read lists every interface of that process's network
 * namespace, so one read per lab per tick serves every NIC of the lab. Written by hand (no
 * dependency does this) and kept allocation-light: the poller runs it 4 times a second over
 * labs with up to a thousand TAPs.
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

/**
 * Line format after two header lines: `  name: rx_bytes rx_packets rx_errs rx_drop rx_fifo
 * rx_frame rx_compressed rx_multicast tx_bytes tx_packets tx_errs ...`.
 */
export function parseProcNetDev(text: string): Map<string, HostIfStats> {
  const stats = new Map<string, HostIfStats>();
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (lineNo >= 2) {
      const line = text.slice(start, end);
      const colon = line.indexOf(':');
      if (colon > 0) {
        const name = line.slice(0, colon).trim();
        const f = line.slice(colon + 1).trim().split(/\s+/);
        if (f.length >= 11) {
          stats.set(name, {
            rxBytes: Number(f[0]),
            rxPackets: Number(f[1]),
            rxErrors: Number(f[2]),
            txBytes: Number(f[8]),
            txPackets: Number(f[9]),
            txErrors: Number(f[10]),
          });
        }
      }
    }
    lineNo++;
    start = end + 1;
  }
  return stats;
}
