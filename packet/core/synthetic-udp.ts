/**
 * Synthetic Ethernet/IPv4/UDP packets for the dissection bench and the worker's warm-up: varied ports
 * and sizes so Wireshark's heuristics and colouring rules have something to do, with real
 * IPv4 header checksums so no "bad checksum" expert info skews the work.
 */
import type { PcapRecord } from './pcap-format.js';

export function udpRecords(count: number, startSec = 1_700_000_000): PcapRecord[] {
  const records: PcapRecord[] = [];
  for (let i = 0; i < count; i++) {
    const payload = 32 + (i % 7) * 16;
    const data = new Uint8Array(14 + 20 + 8 + payload);
    const view = new DataView(data.buffer);
    data.set([0x52, 0x54, 0x00, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01], 0);
    view.setUint16(12, 0x0800);
    const ip = 14;
    view.setUint8(ip, 0x45);
    view.setUint16(ip + 2, 20 + 8 + payload);
    view.setUint16(ip + 4, i & 0xffff);
    view.setUint8(ip + 8, 64);
    view.setUint8(ip + 9, 17);
    data.set([10, 0, 0, 1, 10, 0, 0, 2 + (i % 3)], ip + 12);
    view.setUint16(ip + 10, ipChecksum(data.subarray(ip, ip + 20)));
    const udp = ip + 20;
    // Every 10th packet goes to port 53 so a `udp.dstport==53` filter matches a known share.
    view.setUint16(udp, 40_000 + (i % 1000));
    view.setUint16(udp + 2, i % 10 === 0 ? 53 : 9000 + (i % 50));
    view.setUint16(udp + 4, 8 + payload);
    for (let b = 0; b < payload; b++) data[udp + 8 + b] = (i + b) & 0xff;
    records.push({ tsSec: startSec + Math.floor(i / 1000), tsFrac: (i % 1000) * 1000, tsUnits: 1e6, origLen: data.length, data });
  }
  return records;
}

function ipChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += (header[i]! << 8) | header[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}
