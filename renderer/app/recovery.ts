/**
 * Autosave to a recovery copy, so a crash or a closed tab does not lose unsaved edits. The copy
 * lives in the page's localStorage: in Electron that is inside app.getPath('userData'), in a
 * browser it is per origin. It is written a few seconds after the last edit while the document
 * is dirty, removed on save, and offered back when the same lab is opened again.
 */
import { labSchema, type LabDocument } from '../../shared/lab.js';

const PREFIX = 'wirebench.recovery:';

export interface RecoveryCopy {
  savedAt: number;
  path: string | null;
  document: LabDocument;
}

/** One slot per lab: by path when it has one, else by id or name. */
export function recoveryKey(path: string | null, document: Pick<LabDocument, 'id' | 'name'>): string {
  return PREFIX + (path ?? `unsaved:${document.id ?? document.name}`);
}

export function writeRecovery(storage: Storage, path: string | null, document: LabDocument, now = Date.now()): void {
  try {
    storage.setItem(recoveryKey(path, document), JSON.stringify({ savedAt: now, path, document }));
  } catch {
    // A full or disabled storage must not break editing; the lab can still be saved normally.
  }
}

export function readRecovery(storage: Storage, path: string | null, document: Pick<LabDocument, 'id' | 'name'>): RecoveryCopy | null {
  const text = storage.getItem(recoveryKey(path, document));
  if (!text) return null;
  try {
    const value = JSON.parse(text) as { savedAt?: unknown; path?: unknown; document?: unknown };
    const parsed = labSchema.safeParse(value.document);
    if (!parsed.success || typeof value.savedAt !== 'number') return null;
    return { savedAt: value.savedAt, path: typeof value.path === 'string' ? value.path : null, document: parsed.data };
  } catch {
    return null;
  }
}

export function clearRecovery(storage: Storage, path: string | null, document: Pick<LabDocument, 'id' | 'name'>): void {
  storage.removeItem(recoveryKey(path, document));
}
