import { describe, expect, it } from 'vitest';
import { LineReader } from './line-reader.js';

function collect(max: number, chunks: Array<string | Buffer>, end = false): string[] {
  const out: string[] = [];
  const reader = new LineReader(max, { line: (t) => out.push(`line:${t}`), tooLong: () => out.push('too-long') });
  for (const chunk of chunks) reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  if (end) reader.end();
  return out;
}

describe('LineReader', () => {
  it('splits lines across and within chunks, and strips CR', () => {
    expect(collect(100, ['a\nb', 'c\r\n', '\nd'])).toEqual(['line:a', 'line:bc', 'line:']);
    expect(collect(100, ['tail'], true)).toEqual(['line:tail']);
  });

  it('accepts a line of exactly the cap and refuses one byte more, once, as soon as it crosses', () => {
    expect(collect(4, ['abcd\n'])).toEqual(['line:abcd']);
    expect(collect(4, ['abc', 'de'])).toEqual(['too-long']);
    expect(collect(4, ['abc', 'de', 'fgh', 'ijk\nok\n'])).toEqual(['too-long', 'line:ok']);
  });

  it('counts bytes, not characters', () => {
    expect(collect(4, ['éé\n'])).toEqual(['line:éé']);
    expect(collect(4, ['ééé\n'])).toEqual(['too-long']);
  });

  it('does not buffer the rest of an over-long line', () => {
    let tooLong = 0;
    const reader = new LineReader(1024, { line: () => undefined, tooLong: () => tooLong++ });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 200; i++) {
      reader.push(chunk);
      expect(reader.bufferedBytes).toBe(0);
    }
    reader.push(Buffer.from('AAAA\nnext'));
    expect(tooLong).toBe(1);
    expect(reader.bufferedBytes).toBe(4);
  });

  it('an over-long last line at end of stream is not reported twice', () => {
    expect(collect(2, ['abcdef'], true)).toEqual(['too-long']);
  });
});
