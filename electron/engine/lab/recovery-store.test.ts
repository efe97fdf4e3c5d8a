import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAB_FORMAT, validateLab, type LabDocument } from '../../../shared/lab.js';
import { defaultRecoveryDir, RecoveryStore } from './recovery-store.js';

function lab(name: string, id?: string): LabDocument {
  const r = validateLab({ format: LAB_FORMAT, name, ...(id ? { id } : {}), bridges: [{ name: 'lan' }] });
  if (!r.ok) throw new Error('bad lab');
  return r.lab;
}

describe('recovery store', () => {
  it('writes, reads back and clears a copy per lab path, atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-recovery-'));
    const store = new RecoveryStore(dir);
    const doc = lab('x');
    await store.write('/labs/x.lab.json', doc, 1234);
    expect(await store.read('/labs/x.lab.json', doc)).toEqual({ savedAt: 1234, path: '/labs/x.lab.json', document: doc });
    expect(await store.read('/labs/other.lab.json', doc)).toBeNull();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await store.clear('/labs/x.lab.json', doc);
    expect(await store.read('/labs/x.lab.json', doc)).toBeNull();
  });

  it('keys unsaved labs by id, and treats a damaged copy as none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-recovery-'));
    const store = new RecoveryStore(dir);
    const a = lab('same', '0123456789abcdef');
    const b = lab('same', 'fedcba9876543210');
    await store.write(null, a);
    expect((await store.read(null, a))?.document.id).toBe('0123456789abcdef');
    expect(await store.read(null, b)).toBeNull();
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), '{"savedAt": 1, "document": {"format": "nope"}}');
    expect(await store.read(null, a)).toBeNull();
  });

  it('lives under XDG_STATE_HOME', () => {
    expect(defaultRecoveryDir({ XDG_STATE_HOME: '/s' })).toBe('/s/wirebench/recovery');
  });
});
