import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, loadWindowState, saveWindowState, windowStateFile } from './window-state.js';
import { withRecent } from './recent-labs.js';

const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];

describe('window state', () => {
  it('round-trips through the JSON file', async () => {
    const file = windowStateFile(mkdtempSync(join(tmpdir(), 'wb-ws-')));
    await saveWindowState(file, { x: 100, y: 50, width: 1200, height: 800, maximized: true });
    expect(await loadWindowState(file, screen)).toEqual({ x: 100, y: 50, width: 1200, height: 800, maximized: true });
  });
  it('falls back to defaults for a missing or broken file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-ws-'));
    expect(await loadWindowState(join(dir, 'none.json'), screen)).toEqual(DEFAULT_WINDOW_STATE);
    writeFileSync(join(dir, 'bad.json'), '{"width": "wide"');
    expect(await loadWindowState(join(dir, 'bad.json'), screen)).toEqual(DEFAULT_WINDOW_STATE);
  });
  it('drops a position on a monitor that is gone, keeps the size', async () => {
    const file = windowStateFile(mkdtempSync(join(tmpdir(), 'wb-ws-')));
    await saveWindowState(file, { x: 4000, y: 100, width: 1000, height: 700, maximized: false });
    expect(await loadWindowState(file, screen)).toEqual({ width: 1000, height: 700, maximized: false });
  });
  it('keeps recent labs newest first without duplicates', () => {
    expect(withRecent(['/a', '/b', '/c'], '/b')).toEqual(['/b', '/a', '/c']);
  });
});
