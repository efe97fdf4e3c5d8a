import { describe, expect, it } from 'vitest';
import { DEFAULT_RING, type CaptureStats } from '../../packet/page.js';
import { newTab, usePackets } from './packets-store.js';
import { MAX_RING_MIB, MIN_RING_MIB, MIN_RING_PACKETS, ringMiB, ringUsage, ringWithMiB, ringWithPackets } from './ring-limit.js';
import { setRing } from './viewer-actions.js';

const MIB = 1024 * 1024;

describe('ring limits from the viewer controls', () => {
  it('sets the size in MiB and keeps the packet limit', () => {
    const ring = ringWithMiB({ maxPackets: 50_000, maxBytes: 512 * MIB }, '64');
    expect(ring).toEqual({ maxPackets: 50_000, maxBytes: 64 * MIB });
    expect(ringMiB(ring)).toBe(64);
  });

  it('clamps MiB to a usable range and treats junk as the minimum', () => {
    expect(ringWithMiB(DEFAULT_RING, '1').maxBytes).toBe(MIN_RING_MIB * MIB);
    expect(ringWithMiB(DEFAULT_RING, '999999').maxBytes).toBe(MAX_RING_MIB * MIB);
    expect(ringWithMiB(DEFAULT_RING, '').maxBytes).toBe(MIN_RING_MIB * MIB);
    expect(ringWithMiB(DEFAULT_RING, 'abc').maxBytes).toBe(MIN_RING_MIB * MIB);
    expect(ringWithMiB(DEFAULT_RING, '100.6').maxBytes).toBe(101 * MIB);
  });

  it('sets the packet count and keeps the size limit', () => {
    expect(ringWithPackets({ maxPackets: 1, maxBytes: 32 * MIB }, '20000')).toEqual({ maxPackets: 20_000, maxBytes: 32 * MIB });
    expect(ringWithPackets(DEFAULT_RING, '10').maxPackets).toBe(MIN_RING_PACKETS);
    expect(ringWithPackets(DEFAULT_RING, '-5').maxPackets).toBe(MIN_RING_PACKETS);
  });

  it('shows what the ring holds and how many packets it evicted', () => {
    const stats: CaptureStats = { total: 10_240, evicted: 3072, retained: 7168, retainedBytes: 12.5 * MIB, rows: 7168, pending: 0, listing: 0, helped: 0, filter: '' };
    expect(ringUsage(stats, { maxPackets: 1_000_000, maxBytes: 16 * MIB })).toBe('12.5 of 16 MiB · 3,072 evicted');
    expect(ringUsage(null, DEFAULT_RING)).toBe('0.0 of 512 MiB · 0 evicted');
  });

  it('stores a MiB change on the tab (no worker call before any packet arrived)', async () => {
    const tab = newTab({ kind: 'bridge', bridge: 'lan' }, 'bridge lan');
    usePackets.getState().add(tab);
    await setRing(tab.id, ringWithMiB(tab.ring, '48'));
    const stored = usePackets.getState().tabs.find((t) => t.id === tab.id)!;
    expect(stored.ring).toEqual({ maxPackets: DEFAULT_RING.maxPackets, maxBytes: 48 * MIB });
    await setRing(tab.id, ringWithPackets(stored.ring, '5000'));
    expect(usePackets.getState().tabs.find((t) => t.id === tab.id)!.ring).toEqual({ maxPackets: 5000, maxBytes: 48 * MIB });
  });
});
