import { describe, expect, it } from 'vitest';
import { InputCoalescer } from './input-coalescer.js';

function manual() {
  const flushes: Array<() => void> = [];
  return { schedule: (flush: () => void) => flushes.push(flush), tick: () => flushes.splice(0).forEach((f) => f()) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('InputCoalescer', () => {
  it('sends the keystrokes of one tick as one write', async () => {
    const sent: string[] = [];
    const ticks = manual();
    const input = new InputCoalescer(async (data) => void sent.push(data), { schedule: ticks.schedule });
    for (const key of 'ls -l\r') input.push(key);
    expect(sent).toEqual([]);
    ticks.tick();
    await settle();
    expect(sent).toEqual(['ls -l\r']);
  });

  it('never has two writes in flight: what is typed meanwhile goes out next, together, in order', async () => {
    const sent: string[] = [];
    const releases: Array<() => void> = [];
    const input = new InputCoalescer((data) => {
      sent.push(data);
      return new Promise<void>((resolve) => releases.push(resolve));
    });
    input.push('a');
    await settle();
    expect(sent).toEqual(['a']);
    input.push('b');
    input.push('c');
    await settle();
    expect(sent).toEqual(['a']);
    releases.shift()!();
    await settle();
    expect(sent).toEqual(['a', 'bc']);
    releases.shift()!();
    await settle();
  });

  it('cuts a huge paste into pieces the contract accepts', async () => {
    const sent: string[] = [];
    const input = new InputCoalescer(async (data) => void sent.push(data), { maxChars: 10 });
    input.push('0123456789'.repeat(3) + '😀x');
    await settle();
    expect(sent.join('')).toBe('0123456789'.repeat(3) + '😀x');
    expect(sent.every((piece) => piece.length <= 10)).toBe(true);
  });

  it('drops what waits when a write fails, reports it, and keeps working', async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    let fail = true;
    const input = new InputCoalescer(
      async (data) => {
        if (fail) throw new Error('vm-not-running');
        sent.push(data);
      },
      { onError: (e) => errors.push(e) },
    );
    input.push('lost');
    await settle();
    expect(errors).toHaveLength(1);
    fail = false;
    input.push('kept');
    await settle();
    expect(sent).toEqual(['kept']);
    input.close();
    input.push('after close');
    await settle();
    expect(sent).toEqual(['kept']);
  });
});
