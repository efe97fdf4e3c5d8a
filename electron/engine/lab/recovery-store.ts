/**
 * Autosave copies of labs with unsaved edits, kept by the engine as files so they survive a
 * crash, a closed window or a browser tab on another port (browser mode picks a random port,
 * so the page's own storage would never find them again). One file per lab, named by a hash
 * of its key (its path, or its id when never saved), under `$XDG_STATE_HOME/wirebench/recovery`;
 * written atomically; removed when the lab is saved.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { labSchema, type LabDocument } from '../../../shared/lab.js';

export interface RecoveryCopy {
  savedAt: number;
  path: string | null;
  document: LabDocument;
}

/** The lab a recovery copy belongs to: by path when it has one, else by id or name. */
export function recoveryKey(path: string | null, document: Pick<LabDocument, 'id' | 'name'>): string {
  return path ?? `unsaved:${document.id ?? document.name}`;
}

export function defaultRecoveryDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'wirebench', 'recovery');
}

export class RecoveryStore {
  constructor(private readonly dir = defaultRecoveryDir()) {}

  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
  }

  async write(path: string | null, document: LabDocument, now = Date.now()): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(recoveryKey(path, document));
    const temp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temp, JSON.stringify({ savedAt: now, path, document } satisfies RecoveryCopy), { mode: 0o600 });
    await fs.rename(temp, file);
  }

  /** The copy for this lab, or null when there is none or it is unreadable (never an error). */
  async read(path: string | null, document: Pick<LabDocument, 'id' | 'name'>): Promise<RecoveryCopy | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file(recoveryKey(path, document)), 'utf8');
    } catch {
      return null;
    }
    try {
      const value = JSON.parse(text) as { savedAt?: unknown; path?: unknown; document?: unknown };
      const parsed = labSchema.safeParse(value.document);
      if (!parsed.success || typeof value.savedAt !== 'number') return null;
      return { savedAt: value.savedAt, path: typeof value.path === 'string' ? value.path : null, document: parsed.data };
    } catch {
      return null;
    }
  }

  async clear(path: string | null, document: Pick<LabDocument, 'id' | 'name'>): Promise<void> {
    await fs.rm(this.file(recoveryKey(path, document)), { force: true });
  }
}
