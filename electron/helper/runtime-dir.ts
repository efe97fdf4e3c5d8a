/**
 * The folder holding a VM's QMP socket, serial socket, log and pid file. The engine normally
 * creates it; the helper makes sure it exists and that the QEMU user can write it. Only folders
 * under the invoking user's runtime roots are accepted, and the helper never creates a folder
 * as root through a path an unprivileged user could redirect with a symlink.
 */
import { lchownSync, lstatSync, mkdirSync, statSync, chmodSync, type Stats } from 'node:fs';
import { posix as path } from 'node:path';
import { HelperFailure, clip } from './errors.js';
import type { InvokingUser } from './invoking-user.js';
import { describeQemuUser, qemuUserPasses, runAsQemuUser } from './qemu-user.js';
import { requireTool } from './tools.js';

/** Longest unix socket path (sun_path is 108 bytes including the terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** Refuses paths outside the user's runtime roots (or inside the helper's capture folder). */
export function checkRunPath(user: InvokingUser, label: string, file: string, isSocket: boolean): void {
  const roots = user.allowedRunRoots;
  if (path.normalize(file) !== file || !roots.some((root) => file.startsWith(root) && file.length > root.length)) {
    throw new HelperFailure('bad-request', `${label} ${clip(file, 200)} is outside the Wirebench runtime folders`, `put it under ${roots.join(' or ')} (one folder per lab)`);
  }
  if (file.startsWith(`${user.runtimeRoot}/captures/`)) {
    throw new HelperFailure('bad-request', `${label} ${file} is inside the helper's capture folder`, `use ${user.runtimeRoot}/<namespace>/`);
  }
  if (isSocket && Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    throw new HelperFailure('bad-request', `${label} ${file} is ${Buffer.byteLength(file)} bytes; unix socket paths must fit in ${MAX_SOCKET_PATH}`, 'use shorter VM names or a shorter runtime folder');
  }
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** True when no unprivileged user can replace any component of `dir` (root-owned, not group/other-writable, no symlinks). */
function rootOnlyChain(dir: string): boolean {
  let current = dir;
  for (;;) {
    const info = lstatOrNull(current);
    if (!info || info.isSymbolicLink() || !info.isDirectory() || info.uid !== 0) return false;
    // The sticky bit (as on /tmp) still lets others replace only their own entries.
    if ((info.mode & 0o022) !== 0 && (info.mode & 0o1000) === 0) return false;
    if (current === '/') return true;
    current = path.dirname(current);
  }
}

export async function ensureRunDir(user: InvokingUser, dir: string): Promise<void> {
  const existing = lstatOrNull(dir);
  if (existing) {
    const target = existing.isSymbolicLink() ? statSync(dir) : existing;
    if (!target.isDirectory()) throw new HelperFailure('bad-request', `${dir} exists and is not a folder`, 'remove it; the helper will create the folder');
    if (!(await qemuUserPasses(user, ['-w', dir, '-a', '-x', dir]))) throw await accessFailure(user, dir);
    return;
  }

  // Walk up to the nearest existing ancestor; everything below it is to be created.
  const missing: string[] = [];
  let ancestor = dir;
  while (!lstatOrNull(ancestor)) {
    missing.unshift(ancestor);
    ancestor = path.dirname(ancestor);
  }
  const ancestorInfo = lstatSync(ancestor);

  if (user.qemuUid !== 0 && ancestorInfo.uid === user.qemuUid && !ancestorInfo.isSymbolicLink()) {
    // The user's own tree (/run/user/<uid>/...): create it as that user, so no path trick can
    // make root write anywhere.
    const made = await runAsQemuUser(user, [requireTool('mkdir'), '-p', '-m', '0750', '--', dir]);
    if (made.code !== 0) throw new HelperFailure('permission-denied', `could not create ${dir} as ${describeQemuUser(user)}: ${clip(made.stderr)}`);
    return;
  }
  if (!rootOnlyChain(ancestor)) {
    throw new HelperFailure('permission-denied', `cannot safely create ${dir}: ${ancestor} is not a root-only folder nor owned by ${describeQemuUser(user)}`, `create ${dir} yourself (owned by uid ${user.qemuUid}, mode 0750)`);
  }
  for (const level of missing) {
    // The VM folder itself belongs to QEMU; any folder above it (the runtime root) stays root's.
    const isVmFolder = level === dir;
    mkdirSync(level, { mode: isVmFolder ? 0o750 : 0o755 });
    chmodSync(level, isVmFolder ? 0o750 : 0o755);
    if (isVmFolder) lchownSync(level, user.qemuUid, user.qemuGid);
  }
  if (!(await qemuUserPasses(user, ['-w', dir, '-a', '-x', dir]))) throw await accessFailure(user, dir);
}

/** Says which folder stops the QEMU user: one above `dir` it cannot enter, or `dir` itself. */
async function accessFailure(user: InvokingUser, dir: string): Promise<HelperFailure> {
  const ancestors: string[] = [];
  for (let p = path.dirname(dir); p !== '/'; p = path.dirname(p)) ancestors.unshift(p);
  for (const ancestor of ancestors) {
    if (!(await qemuUserPasses(user, ['-x', ancestor]))) {
      return new HelperFailure('permission-denied', `${describeQemuUser(user)} cannot enter ${ancestor}, so it cannot reach the runtime folder ${dir}`, `chmod o+x ${ancestor} (or keep lab folders under ${user.runtimeRoot}/, which the helper creates traversable)`);
    }
  }
  return new HelperFailure('permission-denied', `${describeQemuUser(user)} cannot write the runtime folder ${dir}`, `chown ${user.qemuUid}:${user.qemuGid} ${dir} && chmod 0750 ${dir}`);
}

/**
 * Creates the user's runtime root (`/run/wirebench/<uid>`) root-owned and traversable, before
 * the engine makes lab folders in it: a root engine's `mkdir -p` would otherwise create it 0750
 * and lock the QEMU user (nobody) out of every lab folder below.
 */
export function ensureRuntimeRoot(user: InvokingUser): void {
  mkdirSync(user.runtimeRoot, { recursive: true, mode: 0o755 });
  const info = lstatSync(user.runtimeRoot);
  if (info.isDirectory() && info.uid === 0 && (info.mode & 0o755) !== 0o755) chmodSync(user.runtimeRoot, (info.mode & 0o7777) | 0o755);
}
