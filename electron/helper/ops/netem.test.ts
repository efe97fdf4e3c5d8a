import { describe, expect, it } from 'vitest';
import { decimal, netemArgs, tbfArgs } from '../../../shared/net-commands.js';

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

  it('sizes the tbf fallback bucket for 10 ms of traffic, never below one full frame', () => {
    expect(tbfArgs(1000)).toEqual(['rate', '1000kbit', 'burst', '1600', 'latency', '50ms']);
    expect(tbfArgs(100_000)).toEqual(['rate', '100000kbit', 'burst', '125000', 'latency', '50ms']);
  });
});
