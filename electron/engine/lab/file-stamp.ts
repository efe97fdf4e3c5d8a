/**
 * What a lab file looked like when this engine last read or wrote it (mtime, size, SHA-256),
 * so a save can tell that another program changed the file since, instead of silently
 * overwriting that program's work. A touched but unchanged file (same bytes) is not a change.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';

export interface FileStamp {
  mtimeMs: number;
  size: number;
  sha256: string;
}

export function stampOf(bytes: Buffer | string, stat: { mtimeMs: number; size: number }): FileStamp {
  return { mtimeMs: stat.mtimeMs, size: stat.size, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Whether the file at `path` still is what `known` describes; a missing file counts as
 * unchanged (saving recreates it, nothing is lost). Hashes only when mtime or size moved.
 */
export async function unchangedSince(path: string, known: FileStamp): Promise<boolean> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (stat.mtimeMs === known.mtimeMs && stat.size === known.size) return true;
  if (stat.size !== known.size) return false;
  return stampOf(await fs.readFile(path), stat).sha256 === known.sha256;
}
