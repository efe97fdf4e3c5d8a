import { describe, expect, it } from 'vitest';
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import { clearRecovery, readRecovery, recoveryKey, writeRecovery } from './recovery.js';

class MemoryStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
}

const doc: LabDocument = { format: LAB_FORMAT, id: 'abcdef01', name: 'r', bridges: [], vms: [], nics: [] };

describe('recovery copies', () => {
  it('round-trips a document per lab path, and clears it', () => {
    const storage = new MemoryStorage();
    writeRecovery(storage, '/labs/r.lab.json', doc, 1234);
    expect(readRecovery(storage, '/labs/r.lab.json', doc)).toEqual({ savedAt: 1234, path: '/labs/r.lab.json', document: doc });
    expect(readRecovery(storage, '/labs/other.lab.json', doc)).toBeNull();
    clearRecovery(storage, '/labs/r.lab.json', doc);
    expect(readRecovery(storage, '/labs/r.lab.json', doc)).toBeNull();
  });

  it('keys never-saved labs by id, and ignores a damaged copy', () => {
    const storage = new MemoryStorage();
    expect(recoveryKey(null, doc)).toContain('unsaved:abcdef01');
    storage.setItem(recoveryKey(null, doc), '{"savedAt": 1, "document": {"format": "nope"}}');
    expect(readRecovery(storage, null, doc)).toBeNull();
  });

  it('survives a full storage without throwing', () => {
    const storage = new MemoryStorage();
    storage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    expect(() => writeRecovery(storage, null, doc)).not.toThrow();
  });
});
