/**
 * Many captures, one after another and side by side, in one dissection host (one wiregasm
 * instance), as a person starting and stopping live captures does. Before SessionSlot this
 * trapped inside wasm ("null function or function signature mismatch" / "memory access out of
 * bounds") because freeing one session freed Wireshark's global per-file state that the other
 * sessions still used; it must now run clean with a wasm heap that stops growing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DissectorHost } from './dissector-host.js';
import { writePcap } from './pcap-format.js';
import { udpRecords } from './synthetic-udp.js';
import { loadWiregasmNode } from '../node/wiregasm-node.js';

const PACKETS = 3000;
const records = udpRecords(PACKETS);
let host: DissectorHost;
let heap: () => number;

/** One live capture: pcap header, then 500-packet chunks with a dissection pass after each. */
function liveCycle(id: string): void {
  host.openLive(id);
  host.push(id, writePcap(1, []));
  for (let i = 0; i < PACKETS; i += 500) {
    host.push(id, writePcap(1, records.slice(i, i + 500)).subarray(24));
    host.work(Infinity);
    expect(host.rows(id, i, 10).every((r) => r.protocol !== '…')).toBe(true);
  }
  expect(host.setFilter(id, 'udp.dstport == 53').ok).toBe(true);
  host.work(Infinity);
  expect(host.stats(id)!.rows).toBe(PACKETS / 10);
  expect(host.rows(id, 0, 3).map((r) => r.number)).toEqual([1, 11, 21]);
  expect(host.frame(id, 2048)!.tree.length).toBeGreaterThan(2);
  host.close(id);
}

describe('dissection host across many captures', () => {
  beforeAll(async () => {
    const lib = await loadWiregasmNode();
    host = new DissectorHost(lib);
    heap = () => lib.HEAPU8.buffer.byteLength;
  });

  it('starts and stops 10 live captures in a row without wasm errors or growing memory', () => {
    const rss: number[] = [];
    const heaps: number[] = [];
    for (let cycle = 0; cycle < 10; cycle++) {
      liveCycle('live');
      rss.push(process.memoryUsage().rss);
      heaps.push(heap());
    }
    // Nothing is left in the slot once every capture is closed.
    expect(host.slot.heldKey).toBeNull();
    // The wasm heap only grows when malloc runs out: a leak of even one 1,024-packet session
    // per cycle (~2 MB) would push it past its first size within 10 cycles.
    expect(heaps.at(-1)).toBe(heaps[1]);
    // JS/JIT settle after the first cycles; after that RSS may drift, not climb.
    expect(rss.at(-1)! - rss[2]!).toBeLessThan(64 * 1024 * 1024);
  });

  it('keeps two captures open at once and each lists and filters its own packets', () => {
    host.openLive('x');
    host.openLive('y');
    host.push('x', writePcap(1, records.slice(0, 2000)));
    host.push('y', writePcap(1, records.slice(0, 1500)));
    host.work(Infinity);
    expect(host.stats('x')!.pending).toBe(0);
    expect(host.stats('y')!.pending).toBe(0);
    host.setFilter('x', 'udp.dstport == 53');
    host.work(Infinity);
    // Interleaved requests make the two captures take turns with the one wasm session.
    for (let i = 0; i < 5; i++) {
      expect(host.stats('x')!.rows).toBe(200);
      expect(host.frame('y', 1 + i * 300)!.number).toBe(1 + i * 300);
      expect(host.rows('y', 1400, 5)).toHaveLength(5);
    }
    host.close('x');
    expect(host.rows('y', 0, 2)[0]!.protocol).not.toBe('…');
    host.close('y');
    expect(host.slot.heldKey).toBeNull();
  });
});
