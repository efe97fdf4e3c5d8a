/**
 * Reading and writing `.lab.json` files. Saves are atomic (temp file, fsync, rename) and keep
 * the previous version as `.bak`, so a crash mid-save never leaves a half-written lab and an
 * unwanted save can be undone by hand. Invalid files are refused and never overwritten.
 */
import { promises as fs } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { LabValidationError, parseLab, serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';

export async function readLabFile(path: string): Promise<LabDocument> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new Error(`cannot read lab file ${path}: ${why}`, { cause: err });
  }
  const result = parseLab(text);
  if (!result.ok) throw new LabValidationError(result.problems, path);
  return result.lab;
}

export async function writeLabFile(path: string, lab: LabDocument): Promise<void> {
  // Validate what we are about to write: a save must never produce a file we would refuse to open.
  const checked = validateLab(lab);
  if (!checked.ok) throw new LabValidationError(checked.problems, `refusing to save ${path}: the lab`);
  const text = serializeLab(checked.lab);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.copyFile(path, `${path}.bak`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      await fs.rm(temp, { force: true });
      throw new Error(`cannot keep a backup of ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  await fs.rename(temp, path);
  // Make the rename itself durable.
  const dir = await fs.open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
