/**
 * Which namespaces the helper may touch: those with a marker file under
 * /run/wirebench/helper/owned/<ns>, written when a helper created the namespace. Markers live
 * on disk (not in memory) so several helper processes (parallel test workers, the app and the
 * CLI) and a restarted helper agree. /run is a tmpfs: markers vanish with the namespaces at boot.
 *
 * A marker also names its creator (pid + process start time, which tells a live helper from a
 * recycled pid), so `gc` can collect what dead helpers left without pulling a namespace from
 * under a helper that is still running.
 */
import { linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { namespaceNameSchema } from '../../shared/helper-protocol.js';

export const STATE_ROOT = '/run/wirebench';
export const OWNED_DIR = `${STATE_ROOT}/helper/owned`;

export interface Marker {
  ns: string;
  /** Invoking user of the creating helper: only helpers for the same user may act on it. */
  uid: number;
  pid: number;
  startTime: string;
  createdAt: string;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null if gone/zombie. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

const self = { pid: process.pid, startTime: processStartTime(process.pid) ?? 'unknown' };

export function ensureStateDirs(): void {
  // /run/wirebench is traversable by everyone (users reach /run/wirebench/<uid>); the helper's
  // own state below it is root-only.
  mkdirSync(STATE_ROOT, { recursive: true, mode: 0o755 });
  chmodSync(STATE_ROOT, 0o755);
  mkdirSync(OWNED_DIR, { recursive: true, mode: 0o700 });
}

function markerPath(ns: string): string {
  // Callers pass schema-checked names; re-check here because this path is written as root.
  namespaceNameSchema.parse(ns);
  return `${OWNED_DIR}/${ns}`;
}

function parseMarker(ns: string, text: string): Marker | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const m = value as Record<string, unknown>;
    if (m.ns !== ns || typeof m.uid !== 'number' || typeof m.pid !== 'number' || typeof m.startTime !== 'string') return null;
    return { ns, uid: m.uid, pid: m.pid, startTime: m.startTime, createdAt: typeof m.createdAt === 'string' ? m.createdAt : '' };
  } catch {
    return null;
  }
}

export function readMarker(ns: string): Marker | null {
  try {
    return parseMarker(ns, readFileSync(markerPath(ns), 'utf8'));
  } catch {
    return null;
  }
}

/** True when a helper for `uid` created `ns` (and nobody has deleted it since). */
export function isOwned(ns: string, uid: number): boolean {
  return readMarker(ns)?.uid === uid;
}

/**
 * Claims `ns` for this helper. Written to a temporary file and hard-linked into place: link()
 * fails if the marker exists, so two helpers racing for one name cannot both win, and a reader
 * never sees a half-written marker. Returns false when a marker is already there.
 */
export function claim(ns: string, uid: number): boolean {
  const target = markerPath(ns);
  const marker: Marker = { ns, uid, pid: self.pid, startTime: self.startTime, createdAt: new Date().toISOString() };
  const temp = `${OWNED_DIR}/.${ns}.${self.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(marker), { mode: 0o600 });
  try {
    linkSync(temp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Replaces a stale marker (its namespace is gone) with one naming this helper. */
export function reclaim(ns: string, uid: number): boolean {
  release(ns);
  return claim(ns, uid);
}

export function release(ns: string): void {
  rmSync(markerPath(ns), { force: true });
}

export function listMarkers(): Marker[] {
  let names: string[];
  try {
    names = readdirSync(OWNED_DIR);
  } catch {
    return [];
  }
  return names.filter((name) => namespaceNameSchema.safeParse(name).success).flatMap((ns) => readMarker(ns) ?? []);
}

export function createdByThisHelper(marker: Marker): boolean {
  return marker.pid === self.pid && marker.startTime === self.startTime;
}

/** True while the helper that wrote `marker` is still running. */
export function creatorAlive(marker: Marker): boolean {
  return processStartTime(marker.pid) === marker.startTime;
}
