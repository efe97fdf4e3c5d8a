/**
 * Saves never lose work (issue 14), with real faults: a full disk (a 1 MiB tmpfs in a private
 * mount namespace), a read-only file system (that tmpfs remounted ro) and a folder the user
 * may not write (the save runs as `nobody`). Each must be refused with its own code and a hint,
 * the previous file must stay byte-identical and no temp file may be left behind.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tally } from '../../../test-support/suite-tally.js';

const REPO = resolve(import.meta.dirname, '../../..');
const CHILD = join(REPO, 'electron/engine/test-support/save-fault-child.ts');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Outcome {
  error: { code: string; message: string; hint?: string } | null;
  identical: boolean;
  entries: string[];
}

function run(command: string, args: string[]): Outcome {
  const result = spawnSync(command, args, { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Outcome;
}

/** The child inside a private mount namespace, on a fresh 1 MiB tmpfs at `dir`. */
function onTmpfs(mode: string): Outcome {
  const dir = mkdtempSync('/var/tmp/wb-save-tmpfs-');
  dirs.push(dir);
  const script = `mount -t tmpfs -o size=1m wbsave "$1" && exec "$2" --import tsx "$3" "$4" "$1"`;
  return run('unshare', ['-m', 'sh', '-c', script, 'sh', dir, process.execPath, CHILD, mode]);
}

describe('saves never lose work', () => {
  it('a full disk: disk-full, previous file byte-identical, no temp file', () => {
    const outcome = onTmpfs('disk-full');
    tally('save: disk full', { faults: 1, leaked: outcome.entries.filter((e) => !['filler', 'lab.lab.json'].includes(e)).length });
    expect(outcome.error).toMatchObject({ code: 'disk-full', message: expect.stringContaining('disk is full'), hint: expect.stringContaining('Save As') });
    expect(outcome.identical).toBe(true);
    expect(outcome.entries).toEqual(['filler', 'lab.lab.json']);
  });

  it('a read-only file system: read-only, previous file byte-identical, no temp file', () => {
    const outcome = onTmpfs('read-only');
    tally('save: read-only fs', { faults: 1, leaked: outcome.entries.filter((e) => e !== 'lab.lab.json').length });
    expect(outcome.error).toMatchObject({ code: 'read-only', message: expect.stringContaining('read-only'), hint: expect.stringContaining('Save As') });
    expect(outcome.identical).toBe(true);
    expect(outcome.entries).toEqual(['lab.lab.json']);
  });

  it('a folder the user may not write: read-only (EACCES), previous file byte-identical, no temp file', () => {
    const dir = mkdtempSync('/var/tmp/wb-save-acl-');
    dirs.push(dir);
    copyFileSync(join(REPO, 'assets/labs/demo.lab.json'), join(dir, 'lab.lab.json'));
    chmodSync(join(dir, 'lab.lab.json'), 0o644);
    chmodSync(dir, 0o755); // root's folder: nobody reads, cannot write
    const outcome = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', CHILD, 'no-permission', dir]);
    tally('save: folder not writable', { faults: 1, leaked: outcome.entries.filter((e) => e !== 'lab.lab.json').length });
    expect(outcome.error).toMatchObject({ code: 'read-only', message: expect.stringContaining('not writable') });
    expect(outcome.identical).toBe(true);
    expect(outcome.entries).toEqual(['lab.lab.json']);
  });
});
