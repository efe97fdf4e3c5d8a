import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabValidationError, parseLabOrThrow, type LabDocument } from '../../../shared/lab.js';
import { readLabFile, writeLabFile } from './lab-file.js';

const demo = parseLabOrThrow(readFileSync('assets/labs/demo.lab.json', 'utf8'));

describe('lab files', () => {
  it('saves atomically, keeps the previous file as .bak, and reads back the same lab', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-labfile-'));
    const path = join(dir, 'x.lab.json');
    await writeLabFile(path, demo);
    expect(existsSync(`${path}.bak`)).toBe(false);
    const renamed: LabDocument = { ...demo, name: 'renamed' };
    await writeLabFile(path, renamed);
    expect((await readLabFile(path)).name).toBe('renamed');
    expect(JSON.parse(readFileSync(`${path}.bak`, 'utf8')).name).toBe('demo');
    expect(readdirSync(dir).sort()).toEqual(['x.lab.json', 'x.lab.json.bak']);
  });

  it('refuses an invalid file with every problem and its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-labfile-'));
    const path = join(dir, 'bad.lab.json');
    writeFileSync(path, JSON.stringify({ ...demo, nics: [{ vm: 'a', bridge: 'nope' }, { vm: 'q', bridge: 'lan' }] }));
    const err = await readLabFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabValidationError);
    expect((err as Error).message).toContain('nics[0].bridge: no bridge named "nope"');
    expect((err as Error).message).toContain('nics[1].vm: no VM named "q"');
  });

  it('never overwrites a file with an invalid lab', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-labfile-'));
    const path = join(dir, 'x.lab.json');
    await writeLabFile(path, demo);
    const before = readFileSync(path, 'utf8');
    const broken = { ...demo, vms: [...demo.vms, demo.vms[0]!] };
    await expect(writeLabFile(path, broken)).rejects.toThrow(/duplicate VM name "a"/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['x.lab.json']);
  });

  it('removes its temp file when the final rename fails, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-labfile-'));
    const path = join(dir, 'x.lab.json');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'a folder in the way');
    await expect(writeLabFile(path, demo)).rejects.toMatchObject({ code: 'save-failed', message: expect.stringContaining('it is a folder') });
    expect(readdirSync(dir)).toEqual(['x.lab.json']);
    expect(readFileSync(join(path, 'keep'), 'utf8')).toBe('a folder in the way');
  });

  it('says clearly when the file is missing', async () => {
    await expect(readLabFile('/nonexistent/x.lab.json')).rejects.toThrow('cannot read lab file /nonexistent/x.lab.json: no such file');
  });
});
