import { describe, expect, it } from 'vitest';
import { afterShown, joinLive, overlapLength, TailKeeper } from './history-join.js';

describe('overlapLength', () => {
  it('finds how much of the live start the history already ends with', () => {
    expect(overlapLength('boot line 1\r\nboot line 2\r\na# ', 'boot line 2\r\na# ls\r\n')).toBe('boot line 2\r\na# '.length);
    expect(overlapLength('abc', 'xyz')).toBe(0);
    expect(overlapLength('', 'xyz')).toBe(0);
  });

  it('does not trust a short overlap unless it is all of live', () => {
    // "\r\na# " after a newline is just the next prompt, not the same bytes twice.
    expect(overlapLength('hello\r\na# ', '\r\na# ls')).toBe(0);
    expect(overlapLength('hello\r\na# ', 'a# ')).toBe(3);
  });

  it('finds the longest overlap in repeating output', () => {
    const line = '0123456789abcdef\n';
    expect(overlapLength(line.repeat(10), line.repeat(3) + 'END')).toBe(line.length * 3);
  });
});

describe('joinLive', () => {
  const history = 'WIREBENCH-READY a\r\na# echo hi there\r\nhi there\r\na# ';
  it('waits while the live bytes are still the end of the history', () => {
    expect(joinLive(history, 'hi there\r\na# ')).toEqual({ kind: 'pending' });
  });
  it('waits while the live bytes are inside the history (it was read after they were sent)', () => {
    expect(joinLive(history, 'echo hi there\r\n')).toEqual({ kind: 'pending' });
  });
  it('keeps only what is new once live goes past the history', () => {
    expect(joinLive(history, 'hi there\r\na# ping\r\n')).toEqual({ kind: 'new', text: 'ping\r\n' });
    expect(joinLive(history, 'echo hi there\r\nhi there\r\na# ping\r\n')).toEqual({ kind: 'new', text: 'ping\r\n' });
  });
  it('keeps all of live when the history ended before it', () => {
    expect(joinLive(history, 'PING 10.0.0.2\r\n')).toEqual({ kind: 'new', text: 'PING 10.0.0.2\r\n' });
  });
});

describe('afterShown', () => {
  const oldRun = Array.from({ length: 40 }, (_, i) => `old line ${i}\r\n`).join('');
  it('returns what the history has after what the terminal shows', () => {
    const shown = new TailKeeper();
    shown.append(oldRun);
    expect(afterShown(oldRun + 'new boot\r\n', shown.value)).toBe('new boot\r\n');
    expect(afterShown(oldRun, shown.value)).toBe('');
  });
  it('is null when the history does not contain it (a new log) or too little is shown', () => {
    const shown = new TailKeeper();
    shown.append(oldRun);
    expect(afterShown('WIREBENCH-READY a\r\na# ', shown.value)).toBeNull();
    expect(afterShown('a# a# a# ', 'a# ')).toBeNull();
    expect(afterShown('x', '')).toBeNull();
  });
});

describe('TailKeeper', () => {
  it('keeps the last characters only', () => {
    const tail = new TailKeeper(5);
    tail.append('abc');
    tail.append('defg');
    expect(tail.value).toBe('cdefg');
    tail.append('0123456789');
    expect(tail.value).toBe('56789');
    tail.clear();
    expect(tail.value).toBe('');
  });
});
