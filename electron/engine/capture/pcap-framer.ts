/**
 * Cuts a live pcap byte stream at packet boundaries, for the file a capture saves to. The
 * FIFO hands the engine chunks of whatever size the kernel had; writing them as they come
 * leaves a file that ends in the middle of a packet when the engine dies (kill -9), and
 * `tshark -r` then refuses the last record ("cut short in the middle of a packet"). Writing
 * only whole records keeps the file a valid pcap up to the last whole packet at every moment.
 */

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** No sane snaplen is larger; a bigger length means the stream is not pcap (stop framing). */
const MAX_RECORD = 256 * 1024 * 1024;

export class PcapFramer {
  private pending: Buffer = Buffer.alloc(0);
  private littleEndian: boolean | null = null;
  /** Not pcap after all (unknown magic, absurd length): pass bytes through unframed. */
  private passthrough = false;

  /** Feeds a chunk; returns the bytes that complete the header and whole records so far. */
  push(chunk: Buffer): Buffer {
    if (this.passthrough) return chunk;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    if (this.littleEndian === null) {
      if (this.pending.length < GLOBAL_HEADER) return Buffer.alloc(0);
      const magic = this.pending.readUInt32LE(0);
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.littleEndian = true;
      else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.littleEndian = false;
      else return this.giveUp();
      offset = GLOBAL_HEADER;
    }
    while (this.pending.length - offset >= RECORD_HEADER) {
      const length = this.littleEndian ? this.pending.readUInt32LE(offset + 8) : this.pending.readUInt32BE(offset + 8);
      if (length > MAX_RECORD) return this.giveUp();
      if (this.pending.length - offset < RECORD_HEADER + length) break;
      offset += RECORD_HEADER + length;
    }
    const complete = this.pending.subarray(0, offset);
    this.pending = Buffer.from(this.pending.subarray(offset));
    return complete;
  }

  /** Bytes held back: a packet not yet complete (dropped if the stream ends there). */
  get heldBytes(): number {
    return this.pending.length;
  }

  private giveUp(): Buffer {
    this.passthrough = true;
    const all = this.pending;
    this.pending = Buffer.alloc(0);
    return all;
  }
}
