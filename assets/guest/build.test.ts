import { execFile as execFileCb } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTinyGuest, tinyGuestDir } from '../../electron/engine/qemu/tiny-guest.js';

const execFile = promisify(execFileCb);
const here = import.meta.dirname;
const buildSh = join(here, 'build.sh');

async function runBuild(args: string[], env: NodeJS.ProcessEnv = process.env, script = buildSh): Promise<{ code: number; stdout: string; ms: number }> {
  const started = Date.now();
  try {
    const { stdout } = await execFile('bash', [script, ...args], { env, timeout: 300_000 });
    return { code: 0, stdout, ms: Date.now() - started };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', ms: Date.now() - started };
  }
}

describe('assets/guest/build.sh', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp('/tmp/wbg-');
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('passes shellcheck (build.sh and the guest init)', async () => {
    const found = await execFile('sh', ['-c', 'command -v shellcheck']).catch(() => null);
    if (!found) throw new Error('shellcheck is not installed; install it with: apt-get install shellcheck');
    const { stdout } = await execFile('shellcheck', ['--severity=style', buildSh, join(here, 'init')]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? 'shellcheck failed' }));
    expect(stdout).toBe('');
  });

  it('builds once, then returns quickly without touching the files', async () => {
    const first = await runBuild([]);
    expect(first.code, first.stdout).toBe(0);
    const guest = findTinyGuest();
    const files = [guest.bootDisk, guest.kernel, guest.initrd, join(tinyGuestDir(), 'VERSION')];
    const snapshot = (): Promise<Array<{ mtime: number; sha256: string }>> =>
      Promise.all(files.map(async (file) => ({ mtime: (await stat(file)).mtimeMs, sha256: createHash('sha256').update(await readFile(file)).digest('hex') })));
    const before = await snapshot();

    const second = await runBuild([]);
    expect(second.code).toBe(0);
    // Idempotence is the message plus untouched files (how fast it is belongs in a benchmark).
    expect(second.stdout).toMatch(/up to date/);
    expect(await snapshot()).toEqual(before);

    for (const file of files) expect((await stat(file)).mode & 0o444).toBe(0o444); // QEMU may run as nobody
    expect(guest.version).toMatch(/^wirebench-guest recipe=[0-9a-f]{16} kernel=linux-image-\S+-cloud-amd64_\S+ busybox=\S+$/);
  });

  it('sees a changed init as a new recipe (--check)', async () => {
    // A copy of the recipe next to a copy of the cache, so the real cache is never rebuilt.
    const recipe = join(scratch, 'recipe');
    const cache = join(scratch, 'cache');
    await execFile('mkdir', ['-p', recipe, cache]);
    await copyFile(buildSh, join(recipe, 'build.sh'));
    await copyFile(join(here, 'init'), join(recipe, 'init'));
    await copyFile(join(here, 'cmdline'), join(recipe, 'cmdline'));
    for (const name of ['vmlinuz', 'initrd.img', 'boot.img', 'VERSION']) await copyFile(join(tinyGuestDir(), name), join(cache, name));
    const env = { ...process.env, WIREBENCH_GUEST_DIR: cache };

    expect((await runBuild(['--check'], env, join(recipe, 'build.sh'))).code).toBe(0);
    await writeFile(join(recipe, 'init'), `${await readFile(join(recipe, 'init'), 'utf8')}\n# edited\n`);
    const changed = await runBuild(['--check'], env, join(recipe, 'build.sh'));
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/another recipe; run {2}bash .*build\.sh {2}to build it/);
  });

  it('prints the same cache folder as tiny-guest.ts', async () => {
    const printed = (await runBuild(['--print-dir'])).stdout.trim();
    expect(printed).toBe(tinyGuestDir());
    const custom = await runBuild(['--print-dir'], { ...process.env, WIREBENCH_GUEST_DIR: '/srv/wb-guest' });
    expect(custom.stdout.trim()).toBe(tinyGuestDir({ env: { WIREBENCH_GUEST_DIR: '/srv/wb-guest' } }));
  });
});
