/**
 * Reading and writing `.lab.json` files without ever losing work.
 *
 * Saves are atomic: the text goes to a temp file in the same folder, is fsynced, and renamed
 * over the old file (then the folder is fsynced), so a crash, a full disk or a read-only folder
 * leaves the previous file byte-identical; the temp file is removed on every failure. The
 * previous version stays as `.bak` (a hard link: it costs no space, so it cannot fail on a full
 * disk halfway). Each failure becomes a WirebenchError the UI acts on (save-errors.ts). Reads
 * and writes return the file's stamp (file-stamp.ts) for the changed-on-disk check. Invalid
 * files are refused and never written.
 */
import { promises as fs } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LabValidationError, parseLab, serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';
import { stampOf, type FileStamp } from './file-stamp.js';
import { saveFailure } from './save-errors.js';

export async function readLabFile(path: string): Promise<LabDocument> {
  return (await readLabFileStamped(path)).document;
}

/** The lab and the stamp of exactly the bytes it was parsed from. */
export async function readLabFileStamped(path: string): Promise<{ document: LabDocument; stamp: FileStamp }> {
  let bytes: Buffer;
  let stat;
  try {
    const handle = await fs.open(path, 'r');
    try {
      stat = await handle.stat();
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new Error(`cannot read lab file ${path}: ${why}`, { cause: err });
  }
  const result = parseLab(bytes.toString('utf8'));
  if (!result.ok) throw new LabValidationError(result.problems, path);
  return { document: result.lab, stamp: stampOf(bytes, stat) };
}

/** Writes `lab` to `path` atomically; returns the new file's stamp. Failures are WirebenchErrors. */
export async function writeLabFile(path: string, lab: LabDocument): Promise<FileStamp> {
  // Validate what we are about to write: a save must never produce a file we would refuse to open.
  const checked = validateLab(lab);
  if (!checked.ok) throw new LabValidationError(checked.problems, `refusing to save ${path}: the lab`);
  const text = Buffer.from(serializeLab(checked.lab), 'utf8');
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let tempCreated = false;
  try {
    const handle = await fs.open(temp, 'wx', 0o644);
    tempCreated = true;
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await keepBackup(path);
    await fs.rename(temp, path);
    tempCreated = false;
  } catch (err) {
    if (tempCreated) await fs.rm(temp, { force: true }).catch(() => undefined);
    throw saveFailure(path, err);
  }
  // Make the rename itself durable (a folder that cannot be opened for that is not an error).
  const dir = await fs.open(dirname(path), 'r').catch(() => null);
  if (dir) await dir.sync().catch(() => undefined).finally(() => dir.close());
  return stampOf(text, await fs.stat(path));
}

/** `path.bak` becomes the current file (a hard link; a copy where links are not supported). */
async function keepBackup(path: string): Promise<void> {
  const backup = `${path}.bak`;
  try {
    await fs.rm(backup, { force: true });
    await fs.link(path, backup);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // first save: nothing to keep
    if (code !== 'EPERM' && code !== 'EXDEV' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw err;
    try {
      await fs.copyFile(path, backup);
    } catch (copyErr) {
      await fs.rm(backup, { force: true }).catch(() => undefined);
      throw copyErr;
    }
  }
}
