import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTinyGuest, tinyGuestDir } from './tiny-guest.js';

describe('tinyGuestDir', () => {
  it('follows build.sh: override, root cache, then the user cache', () => {
    expect(tinyGuestDir({ env: { WIREBENCH_GUEST_DIR: '/opt/g' }, uid: 0 })).toBe('/opt/g');
    expect(tinyGuestDir({ env: {}, uid: 0 })).toBe('/var/cache/wirebench/guest');
    expect(tinyGuestDir({ env: { XDG_CACHE_HOME: '/x/cache' }, uid: 1000 })).toBe('/x/cache/wirebench/guest');
    expect(tinyGuestDir({ env: {}, uid: 1000, home: '/home/ann' })).toBe('/home/ann/.cache/wirebench/guest');
  });
});

describe('findTinyGuest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp('/tmp/wbtg-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says how to build the guest when it is missing or half built', async () => {
    const env = { WIREBENCH_GUEST_DIR: dir };
    expect(() => findTinyGuest({ env })).toThrow(/tiny guest is not built .*run `make setup` \(or `bash assets\/guest\/build.sh`\)/);
    await writeFile(join(dir, 'vmlinuz'), 'k');
    await writeFile(join(dir, 'initrd.img'), 'i');
    expect(() => findTinyGuest({ env })).toThrow(/missing .*boot\.img.*VERSION/);
    await writeFile(join(dir, 'boot.img'), 'b');
    expect(() => findTinyGuest({ env })).toThrow(/missing [^,]*VERSION/);
  });

  it('returns the files and the recipe line', async () => {
    await writeFile(join(dir, 'VERSION'), 'wirebench-guest recipe=0123456789abcdef kernel=k busybox=b\n');
    expect(findTinyGuest({ env: { WIREBENCH_GUEST_DIR: dir } })).toEqual({
      bootDisk: join(dir, 'boot.img'),
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      version: 'wirebench-guest recipe=0123456789abcdef kernel=k busybox=b',
    });
  });
});
