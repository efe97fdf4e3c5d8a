import { describe, expect, it } from 'vitest';
import { formatBitRate, formatBytes, formatCount, formatPacketRate, formatRxTx, utilisation } from './format.js';

describe('formatBitRate', () => {
  it.each([
    [0, '0 bit/s'],
    [-5, '0 bit/s'],
    [Number.NaN, '0 bit/s'],
    [950, '950 bit/s'],
    [1000, '1 kbit/s'],
    [1500, '1.5 kbit/s'],
    [12_345_678, '12.3 Mbit/s'],
    [999_700, '1 Mbit/s'],
    [1e9, '1 Gbit/s'],
    [2.5e15, '2.5 Pbit/s'],
  ])('%s → %s', (input, expected) => expect(formatBitRate(input)).toBe(expected));
});

describe('formatPacketRate', () => {
  it.each([
    [0, '0 pkt/s'],
    [0.25, '0.3 pkt/s'],
    [2, '2 pkt/s'],
    [12, '12 pkt/s'],
    [1234, '1.23k pkt/s'],
    [2_000_000, '2M pkt/s'],
  ])('%s → %s', (input, expected) => expect(formatPacketRate(input)).toBe(expected));
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [3.21 * 1024 ** 3, '3.21 GiB'],
  ])('%s → %s', (input, expected) => expect(formatBytes(input)).toBe(expected));
});

describe('formatCount and formatRxTx', () => {
  it('groups thousands without depending on the locale', () => {
    expect(formatCount(1_234_567)).toBe('1\u202f234\u202f567');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(-1200)).toBe('-1\u202f200');
  });
  it('labels rx and tx from the guest perspective', () => {
    expect(formatRxTx(1500, 40_000)).toBe('↓1.5 kbit/s ↑40 kbit/s');
  });
});

describe('utilisation', () => {
  it('is the share of the rate limit, clamped to 1', () => {
    expect(utilisation(500_000, 1_000_000)).toBe(0.5);
    expect(utilisation(5_000_000, 1_000_000)).toBe(1);
  });
  it('falls back to 1 Gbit/s without a limit and is 0 for idle links', () => {
    expect(utilisation(1e8, null)).toBe(0.1);
    expect(utilisation(0, null)).toBe(0);
  });
});
