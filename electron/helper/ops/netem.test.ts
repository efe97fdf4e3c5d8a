import { describe, expect, it } from 'vitest';
import { decimal, netemArgs } from './netem.js';

describe('netem arguments', () => {
  it('passes only the parameters given', () => {
    expect(netemArgs({})).toEqual([]);
    expect(netemArgs({ delayMs: 20 })).toEqual(['delay', '20ms']);
    expect(netemArgs({ delayMs: 20, jitterMs: 5, lossPercent: 1.5, rateKbit: 1000 })).toEqual(['delay', '20ms', '5ms', 'loss', '1.5%', 'rate', '1000kbit']);
    expect(netemArgs({ lossPercent: 100 })).toEqual(['loss', '100%']);
  });

  it('gives jitter alone a zero delay (jitter is an argument of delay in tc)', () => {
    expect(netemArgs({ jitterMs: 3 })).toEqual(['delay', '0ms', '3ms']);
  });

  it('never prints exponent notation', () => {
    expect(decimal(1e-7, 3)).toBe('0');
    expect(decimal(0.0001, 4)).toBe('0.0001');
    expect(decimal(60000, 3)).toBe('60000');
    expect(decimal(2.5, 3)).toBe('2.5');
  });
});
