import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boundLog, readLogTail } from './serial-log.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-serial-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serial log on disk', () => {
  it('has no history before the first boot', async () => {
    expect(await readLogTail(join(dir, 'none.log'))).toBe('');
  });

  it('replays the tail from a line boundary, never half a line or half a character', async () => {
    const file = join(dir, 'tail.log');
    writeFileSync(file, 'first line\nsecond ünïcode line\nthird\n');
    expect(await readLogTail(file, 1024)).toBe('first line\nsecond ünïcode line\nthird\n');
    // 12 bytes from the end falls inside "ünïcode line": the replay starts at the next line.
    expect(await readLogTail(file, 12)).toBe('third\n');
  });

  it('cuts a log over the limit to its newest bytes, and a writer holding it O_APPEND goes on at the new end', async () => {
    const file = join(dir, 'bounded.log');
    // The writer QEMU is: it opened the log with O_APPEND (logappend=on) and keeps it open.
    const qemu = openSync(file, 'a');
    for (let i = 0; i < 4000; i++) writeSync(qemu, `line ${String(i).padStart(5, '0')}\n`);
    expect(statSync(file).size).toBe(4000 * 11);
    expect(await boundLog(file, 40_000, 11_000)).toBe(true);
    expect(statSync(file).size).toBe(11_000);
    writeSync(qemu, 'line after-cut\n');
    closeSync(qemu);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('line 03000\n')).toBe(true);
    expect(text.endsWith('line 03999\nline after-cut\n')).toBe(true);
    // Under the limit nothing happens.
    expect(await boundLog(file, 40_000, 11_000)).toBe(false);
  });
});
