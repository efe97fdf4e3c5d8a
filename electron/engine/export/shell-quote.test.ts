import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { shComment, shQuote, shWord } from './shell-quote.js';

/** What bash makes of `words` (a shell fragment), one argument per array element. */
function bashArgs(words: string, env: Record<string, string> = {}): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${words}`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  return out.split('\0').slice(0, -1);
}

const nasty = ['', 'plain', 'a b', "it's", '"q"', '$(touch /tmp/x)', '`id`', '${HOME}', 'a\\b', '*', '~', 'x\ny', 'tab\tz', 'esc\x1bq', '!bang', 'a,b', 'k=v', 'ü', "'", "''\\'"];

describe('shQuote', () => {
  it('gives bash back exactly the text, whatever it holds', () => {
    // One bash for all words: spawning is the slow part.
    expect(bashArgs(nasty.map(shQuote).join(' '))).toEqual(nasty);
  });

  it('leaves readable words bare and keeps control characters on one line', () => {
    expect(shQuote('virtio-net-pci')).toBe('virtio-net-pci');
    expect(shQuote('/run/wirebench/0/a.qmp')).toBe('/run/wirebench/0/a.qmp');
    expect(shQuote('a,b')).toBe("'a,b'");
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(shQuote('x\ny')).toBe("$'x\\ny'");
    expect(shQuote('$x')).toBe("$'$x'");
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('shWord', () => {
  it('joins literal parts and variables into one word that bash expands once', () => {
    const word = shWord(['file=', { var: 'DISK' }, ',format=qcow2 "$x"']);
    expect(word).toBe('"file=${DISK},format=qcow2 \\"\\$x\\""');
    expect(bashArgs(word, { DISK: '/d i$k/*' })).toEqual(['file=/d i$k/*,format=qcow2 "$x"']);
  });

  it('is a plain quoted word without variables, and refuses bad variable names', () => {
    expect(shWord(['a', ' b'])).toBe("'a b'");
    expect(() => shWord([{ var: 'A-B' }])).toThrow(/not a shell variable name/);
  });
});

describe('shComment', () => {
  it('keeps a newline from ending the comment', () => {
    expect(shComment('a\nrm -rf /')).toBe('a?rm -rf /');
  });
});
