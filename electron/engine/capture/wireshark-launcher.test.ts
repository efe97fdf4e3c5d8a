import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInWireshark, wiresharkStatus } from './wireshark-launcher.js';

describe('Open in Wireshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-ws-'));
  const fake = join(dir, 'wireshark');
  writeFileSync(fake, `#!/bin/sh\necho "$@" > ${join(dir, 'args')}\n`);
  chmodSync(fake, 0o755);

  it('reports whether Wireshark is installed', async () => {
    expect(await wiresharkStatus(fake)).toEqual({ available: true, path: fake });
    expect(await wiresharkStatus(join(dir, 'missing'))).toEqual({ available: false, path: null });
  });

  it('launches it on the capture file, and explains what is missing otherwise', async () => {
    const capture = join(dir, 'c.pcap');
    writeFileSync(capture, 'x');
    expect((await openInWireshark(capture, fake)).pid).toBeGreaterThan(0);
    await expect.poll(() => { try { return readFileSync(join(dir, 'args'), 'utf8').trim(); } catch { return ''; } }).toBe(`-r ${capture}`);
    await expect(openInWireshark(join(dir, 'none.pcap'), fake)).rejects.toThrow(/no capture file at/);
    await expect(openInWireshark(capture, join(dir, 'missing'))).rejects.toThrow(/Wireshark is not installed/);
  });
});
