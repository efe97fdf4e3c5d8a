/**
 * Where the built-in tiny guest (its boot disk: kernel + busybox initramfs + command line) lives. assets/guest/build.sh
 * writes it; this module only finds it. Both follow the same folder rules, so keep them in step:
 *
 *   $WIREBENCH_GUEST_DIR, else /var/cache/wirebench/guest as root,
 *   else ${XDG_CACHE_HOME:-$HOME/.cache}/wirebench/guest
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface TinyGuest {
  /** What QEMU boots: boot.img, a read-only FAT disk with syslinux, the kernel and the initramfs. */
  bootDisk: string;
  /** The kernel and initramfs on their own (for QEMU's defaults in bench/scale's baseline). */
  kernel: string;
  initrd: string;
  /** The VERSION line: recipe hash plus kernel and busybox package versions. */
  version: string;
}

export interface TinyGuestEnv {
  env?: NodeJS.ProcessEnv;
  uid?: number;
  home?: string;
}

/** The cache folder build.sh writes to, by the rules above. */
export function tinyGuestDir(options: TinyGuestEnv = {}): string {
  const env = options.env ?? process.env;
  const uid = options.uid ?? process.getuid?.() ?? -1;
  if (env.WIREBENCH_GUEST_DIR) return env.WIREBENCH_GUEST_DIR;
  if (uid === 0) return '/var/cache/wirebench/guest';
  const cacheHome = env.XDG_CACHE_HOME || join(options.home ?? homedir(), '.cache');
  return join(cacheHome, 'wirebench', 'guest');
}

/** The built tiny guest; throws when it is not built (or half built) with what to run. */
export function findTinyGuest(options: TinyGuestEnv = {}): TinyGuest {
  const dir = tinyGuestDir(options);
  const kernel = join(dir, 'vmlinuz');
  const initrd = join(dir, 'initrd.img');
  const bootDisk = join(dir, 'boot.img');
  const versionFile = join(dir, 'VERSION');
  // build.sh writes VERSION last, so a VERSION next to the images means a finished build.
  const missing = [bootDisk, kernel, initrd, versionFile].filter((file) => !readable(file));
  if (missing.length > 0) {
    throw new Error(
      `the built-in tiny guest is not built (missing ${missing.join(', ')}); ` +
        'run `make setup` (or `bash assets/guest/build.sh`) to build it from Debian packages',
    );
  }
  const version = readFileSync(versionFile, 'utf8').trim();
  return { bootDisk, kernel, initrd, version };
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
