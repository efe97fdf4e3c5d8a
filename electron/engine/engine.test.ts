import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from './engine.js';
import { changeLab } from './test-support/lab-change.js';

describe('engine front door', () => {
  it('answers unknown commands and bad parameters with errors as data', async () => {
    const engine = new Engine();
    expect(await engine.dispatch('lab.nuke', {})).toEqual({ ok: false, error: expect.objectContaining({ code: 'unknown-command' }) });
    const bad = await engine.dispatch('lab.open', { path: 42 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.message).toMatch(/^lab\.open: invalid parameters at path:/);
    expect(await engine.dispatch('lab.up', {})).toEqual({ ok: false, error: { code: 'no-lab', message: 'no lab is open', hint: 'open a lab file or the demo lab first' } });
  });

  it('keeps autosave copies until the lab is saved, the first save included', async () => {
    const recoveryDir = mkdtempSync(join(tmpdir(), 'wb-engine-recovery-'));
    const engine = new Engine({ recoveryDir });
    const opened = await engine.invoke('lab.openDemo', {});
    expect(opened.path).toBeNull();
    const edited = { ...opened.document, name: 'edited' };
    await changeLab(engine, [{ kind: 'lab.rename', name: 'edited' }]);
    await engine.invoke('recovery.write', { path: null, document: edited });
    expect((await engine.invoke('recovery.read', { path: null, id: edited.id, name: edited.name }))?.document.name).toBe('edited');

    // The demo is a template: saving needs a path, and then the unsaved copy is gone.
    await expect(engine.invoke('lab.save', {})).rejects.toThrow('this lab has never been saved');
    const target = join(mkdtempSync(join(tmpdir(), 'wb-engine-save-')), 'mine.lab.json');
    await engine.invoke('lab.save', { path: target });
    expect(existsSync(target)).toBe(true);
    expect(await engine.invoke('recovery.read', { path: null, id: edited.id, name: edited.name })).toBeNull();
    expect(readdirSync(recoveryDir)).toEqual([]);
  });
});
