/**
 * Why a lab save failed, in words a person can act on: each file-system failure becomes a
 * WirebenchError whose code the UI turns into a choice (save elsewhere, overwrite, reload).
 */
import { WirebenchError } from '../../../shared/api.js';

export function saveFailure(path: string, err: unknown): WirebenchError {
  if (err instanceof WirebenchError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const why = (err as Error).message;
  if (code === 'EACCES' || code === 'EPERM') {
    return new WirebenchError('read-only', `cannot save ${path}: the folder or file is not writable for the engine's user (${code})`, 'save it elsewhere (Save As…) or make the folder writable; the file on disk was not changed');
  }
  if (code === 'EROFS') {
    return new WirebenchError('read-only', `cannot save ${path}: it is on a read-only file system`, 'save it elsewhere (Save As…); the file on disk was not changed');
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new WirebenchError('disk-full', `cannot save ${path}: the disk is full${code === 'EDQUOT' ? ' (quota exceeded)' : ''}`, 'free some space or save it elsewhere (Save As…); the file on disk was not changed');
  }
  if (code === 'ENOENT') {
    return new WirebenchError('save-failed', `cannot save ${path}: its folder does not exist`, 'choose an existing folder (Save As…)');
  }
  if (code === 'EISDIR') {
    return new WirebenchError('save-failed', `cannot save ${path}: it is a folder`, 'choose a file name (Save As…)');
  }
  return new WirebenchError('save-failed', `cannot save ${path}: ${why}`, 'try again or save it elsewhere (Save As…); the file on disk was not changed');
}

export function changedOnDisk(path: string): WirebenchError {
  return new WirebenchError(
    'changed-on-disk',
    `${path} was changed by another program since it was opened or last saved here; saving now would overwrite those changes`,
    'choose: overwrite it with this version, reload it from disk (dropping the edits made here), or save elsewhere (Save As…)',
  );
}
