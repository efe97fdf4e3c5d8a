/**
 * The external programs the helper runs, found in fixed system folders (never through the
 * caller's PATH: pkexec scrubs it anyway, and a root process must not follow a user's PATH),
 * with the Debian package that provides each, for the `missing-package` hint.
 */
import { accessSync, constants } from 'node:fs';
import { HelperFailure } from './errors.js';

export const TOOL_PACKAGES = {
  ip: 'iproute2',
  tc: 'iproute2',
  tcpdump: 'tcpdump',
  setpriv: 'util-linux',
  mkfifo: 'coreutils',
  test: 'coreutils',
  mkdir: 'coreutils',
  sysctl: 'procps',
  ethtool: 'ethtool',
  'qemu-system-x86_64': 'qemu-system-x86',
} as const;
export type Tool = keyof typeof TOOL_PACKAGES;

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** The PATH given to every child, so tools that exec others (`ip netns exec`) also stay in system folders. */
export const SYSTEM_PATH = SYSTEM_DIRS.join(':');

const found = new Map<Tool, string>();

/** Absolute path of `tool`, or null when it is not installed. */
export function findTool(tool: Tool): string | null {
  const cached = found.get(tool);
  if (cached) return cached;
  for (const dir of SYSTEM_DIRS) {
    const candidate = `${dir}/${tool}`;
    try {
      accessSync(candidate, constants.X_OK);
      found.set(tool, candidate);
      return candidate;
    } catch {
      // not in this folder; try the next one
    }
  }
  return null;
}

/** Absolute path of `tool`, or a `missing-package` failure naming the package to install. */
export function requireTool(tool: Tool): string {
  const path = findTool(tool);
  if (path) return path;
  const pkg = TOOL_PACKAGES[tool];
  throw new HelperFailure('missing-package', `${tool} is not installed on this machine`, `apt-get install ${pkg}`);
}
