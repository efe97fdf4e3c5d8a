/**
 * lab.save refuses to overwrite a file another program changed since this engine opened or
 * saved it (code changed-on-disk, file untouched, no temp file), saves when told to overwrite,
 * and does not mistake a touched-but-identical file for a change.
 */
import { mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import { changeLab } from '../test-support/lab-change.js';

const demo = readFileSync('assets/labs/demo.lab.json', 'utf8');

async function openedCopy(): Promise<{ engine: Engine; path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wb-changed-'));
  const path = join(dir, 'x.lab.json');
  writeFileSync(path, demo);
  const engine = new Engine({ controlSocket: false, recoveryDir: join(dir, 'recovery') });
  await engine.invoke('lab.open', { path });
  await changeLab(engine, [{ kind: 'lab.rename', name: 'mine' }]);
  return { engine, path, dir };
}

describe('lab.save and other programs', () => {
  it('refuses with changed-on-disk when another program changed the file; the file stays theirs', async () => {
    const { engine, path, dir } = await openedCopy();
    const theirs = demo.replace('"name": "demo"', '"name": "theirs"');
    expect(theirs).not.toBe(demo);
    writeFileSync(path, theirs);
    const err = await engine.invoke('lab.save', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'changed-on-disk', message: expect.stringContaining('changed by another program'), hint: expect.stringMatching(/overwrite.*reload.*save elsewhere/) });
    expect(readFileSync(path, 'utf8')).toBe(theirs);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // The person chose "overwrite".
    await expect(engine.invoke('lab.save', { overwrite: true })).resolves.toEqual({ path });
    expect(JSON.parse(readFileSync(path, 'utf8')).name).toBe('mine');
    // Saved here: the next save needs no overwrite.
    await expect(engine.invoke('lab.save', {})).resolves.toEqual({ path });
  });

  it('a size-preserving change is caught by the hash', async () => {
    const { engine, path } = await openedCopy();
    const same = demo.replace('"name": "demo"', '"name": "DEMO"');
    writeFileSync(path, same);
    await expect(engine.invoke('lab.save', {})).rejects.toMatchObject({ code: 'changed-on-disk' });
  });

  it('a touched but unchanged file is not a change; a deleted one is simply written again', async () => {
    const { engine, path } = await openedCopy();
    utimesSync(path, new Date(), new Date(Date.now() + 5_000));
    await expect(engine.invoke('lab.save', {})).resolves.toEqual({ path });
    writeFileSync(path, 'x'.repeat(10));
    await engine.invoke('lab.save', { overwrite: true });
    expect(JSON.parse(readFileSync(path, 'utf8')).name).toBe('mine');
  });

  it('reloading (lab.open) takes the other program\'s version and a later save is allowed', async () => {
    const { engine, path } = await openedCopy();
    writeFileSync(path, demo.replace('"name": "demo"', '"name": "theirs"'));
    const reopened = await engine.invoke('lab.open', { path });
    expect(reopened.document.name).toBe('theirs');
    await expect(engine.invoke('lab.save', {})).resolves.toEqual({ path });
  });
});
