/**
 * One lab save under a fault, in its own process so the fault can be real: a full or
 * read-only tmpfs exists only in the private mount namespace `unshare -m` gave this process,
 * and "no permission" needs a user without root's override. Run as
 * `node --import tsx save-fault-child.ts MODE DIR` with MODE disk-full | read-only | no-permission.
 * disk-full and read-only write the original lab into DIR themselves (DIR is their tmpfs);
 * no-permission expects DIR/lab.lab.json to exist already. Prints one JSON line: the error
 * lab.save gave, whether the file is byte-identical, and what DIR holds afterwards.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine.js';
import { changeLab } from './lab-change.js';

const [mode, dir] = process.argv.slice(2);
if (!dir || !['disk-full', 'read-only', 'no-permission'].includes(mode ?? '')) {
  process.stderr.write('usage: save-fault-child.ts disk-full|read-only|no-permission DIR\n');
  process.exit(2);
}
const path = join(dir, 'lab.lab.json');
const demo = new URL('../../../assets/labs/demo.lab.json', import.meta.url);
if (mode !== 'no-permission') writeFileSync(path, readFileSync(demo));
const original = readFileSync(path);

const engine = new Engine({ controlSocket: false, recoveryDir: mkdtempSync(join(tmpdir(), 'wb-save-fault-')) });
await engine.invoke('lab.open', { path });
await changeLab(engine, [{ kind: 'lab.rename', name: 'edited here' }]);

if (mode === 'disk-full') {
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) appendFileSync(join(dir, 'filler'), chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
} else if (mode === 'read-only') {
  execFileSync('mount', ['-o', 'remount,ro', dir]);
}

let error: { code: string; message: string; hint?: string } | null = null;
try {
  await engine.invoke('lab.save', {});
} catch (err) {
  error = { code: (err as { code: string }).code, message: (err as Error).message, hint: (err as { hint?: string }).hint };
}
process.stdout.write(`${JSON.stringify({ error, identical: readFileSync(path).equals(original), entries: readdirSync(dir).sort() })}\n`);
process.exit(0);
