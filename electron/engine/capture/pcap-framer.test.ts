import { describe, expect, it } from 'vitest';
import { PcapFramer } from './pcap-framer.js';

function pcap(records: number[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts = [header];
  for (const [i, len] of records.entries()) {
    const rec = Buffer.alloc(16 + len, i + 1);
    rec.writeUInt32LE(i, 0);
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(len, 8);
    rec.writeUInt32LE(len, 12);
    parts.push(rec);
  }
  return Buffer.concat(parts);
}

describe('PcapFramer', () => {
  it('passes only whole records, whatever the chunk boundaries', () => {
    const stream = pcap([60, 1514, 42, 100]);
    for (const size of [1, 7, 16, 17, 100, 999, stream.length]) {
      const framer = new PcapFramer();
      const out: Buffer[] = [];
      const boundaries: number[] = [];
      let total = 0;
      for (let i = 0; i < stream.length; i += size) {
        const piece = framer.push(stream.subarray(i, i + size));
        out.push(piece);
        total += piece.length;
        boundaries.push(total);
      }
      expect(Buffer.concat(out).equals(stream)).toBe(true);
      const valid = new Set([0, 24, 24 + 76, 24 + 76 + 1530, 24 + 76 + 1530 + 58, stream.length]);
      for (const b of boundaries) expect(valid.has(b)).toBe(true);
    }
  });

  it('holds back a trailing partial packet', () => {
    const stream = pcap([60, 60]);
    const framer = new PcapFramer();
    const out = framer.push(stream.subarray(0, stream.length - 5));
    expect(out.length).toBe(24 + 76);
    expect(framer.heldBytes).toBe(76 - 5);
  });

  it('passes a stream that is not pcap through unchanged', () => {
    const framer = new PcapFramer();
    const junk = Buffer.from('this is not a capture file at all, just text');
    expect(framer.push(junk).equals(junk)).toBe(true);
    expect(framer.push(Buffer.from('more')).toString()).toBe('more');
  });
});
