/**
 * Who the helper works for. Started by pkexec, the helper runs as root and pkexec tells it the
 * real user in PKEXEC_UID; started directly (CI, already root) it works for its own uid.
 *
 * QEMU never runs as root: it runs as the invoking user, or as nobody/nogroup when the invoking
 * user is root itself (then guest files and runtime folders must be readable by nobody).
 */
import { readFileSync } from 'node:fs';
import { runtimeRoot } from '../../shared/runtime-paths.js';

export interface InvokingUser {
  uid: number;
  /** Primary group of the invoking user (owner group of capture FIFOs). */
  gid: number;
  qemuUid: number;
  qemuGid: number;
  /** `/run/wirebench/<uid>`: the helper's own files (capture FIFOs) for this user. */
  runtimeRoot: string;
  /** Folders under which QEMU's sockets, logs and pid files may live. */
  allowedRunRoots: string[];
}

const NOBODY_ID = 65534;

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

function readColonFile(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(':'));
  } catch {
    return [];
  }
}

function passwdEntries(passwdPath: string): PasswdEntry[] {
  return readColonFile(passwdPath).flatMap(([name, , uid, gid]) =>
    name !== undefined && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)
      ? [{ name, uid: Number(uid), gid: Number(gid) }]
      : [],
  );
}

function groupId(groupPath: string, name: string): number | null {
  const row = readColonFile(groupPath).find(([group]) => group === name);
  const gid = row?.[2];
  return gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : null;
}

/** Parses PKEXEC_UID strictly: a malformed value is a broken launch, not something to guess around. */
export function parseUid(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 4_294_967_294) {
    throw new Error(`PKEXEC_UID="${value}" is not a user id; start the helper through pkexec or as root`);
  }
  return Number(value);
}

export interface ResolveUserOptions {
  env: NodeJS.ProcessEnv;
  processUid: number;
  passwdPath?: string;
  groupPath?: string;
}

export function resolveInvokingUser(options: ResolveUserOptions): InvokingUser {
  const passwdPath = options.passwdPath ?? '/etc/passwd';
  const groupPath = options.groupPath ?? '/etc/group';
  const pkexecUid = options.env.PKEXEC_UID;
  const uid = pkexecUid !== undefined && pkexecUid !== '' ? parseUid(pkexecUid) : options.processUid;
  const users = passwdEntries(passwdPath);
  // Users only known to NSS (LDAP) have no passwd line; their uid as gid keeps the FIFO private.
  const gid = users.find((u) => u.uid === uid)?.gid ?? uid;

  let qemuUid = uid;
  let qemuGid = gid;
  if (uid === 0) {
    const nobody = users.find((u) => u.name === 'nobody');
    qemuUid = nobody?.uid ?? NOBODY_ID;
    qemuGid = groupId(groupPath, 'nogroup') ?? groupId(groupPath, 'nobody') ?? nobody?.gid ?? NOBODY_ID;
  }
  // pkexec clears XDG_RUNTIME_DIR, so the helper's own root is always the /run/wirebench form.
  const root = runtimeRoot(uid, undefined);
  return {
    uid,
    gid,
    qemuUid,
    qemuGid,
    runtimeRoot: root,
    allowedRunRoots: [`${root}/`, `/run/user/${uid}/wirebench/`],
  };
}
