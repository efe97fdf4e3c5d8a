/**
 * The Electron entry against a mocked `electron` module: the window it opens is locked down
 * as Electron's security checklist asks, and the single-instance lock is taken.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const created: Array<{ webPreferences: Record<string, unknown> }> = [];
const userData = mkdtempSync(join(tmpdir(), 'wb-userdata-'));
const appHandlers = new Map<string, (...args: unknown[]) => void>();
const webContentsHandlers = new Map<string, (...args: unknown[]) => void>();

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = {
      on: (name: string, handler: (...args: unknown[]) => void) => webContentsHandlers.set(name, handler),
      send: vi.fn(),
      getURL: () => '',
      isDestroyed: () => false,
    };
    constructor(options: { webPreferences: Record<string, unknown> }) {
      created.push(options);
    }
    once() {}
    on() {}
    maximize() {}
    show() {}
    loadURL = vi.fn(async () => {});
    getNormalBounds = () => ({ x: 0, y: 0, width: 1000, height: 800 });
    isMaximized = () => false;
  }
  return {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: vi.fn(() => true),
      quit: vi.fn(),
      on: (name: string, handler: (...args: unknown[]) => void) => appHandlers.set(name, handler),
      whenReady: async () => {},
      getPath: () => userData,
      getVersion: () => '0.0.0-test',
      addRecentDocument: vi.fn(),
    },
    BrowserWindow,
    dialog: { showMessageBox: vi.fn(), showMessageBoxSync: vi.fn(() => 1), showErrorBox: vi.fn(), showOpenDialog: vi.fn(), showSaveDialog: vi.fn() },
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn(), on: vi.fn(), removeAllListeners: vi.fn() },
    Menu: { setApplicationMenu: vi.fn(), buildFromTemplate: vi.fn((t: unknown) => t) },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: vi.fn() },
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
      },
    },
  };
});

// The engine is not under test here; a stub keeps this test free of QEMU and the helper.
vi.mock('../engine/engine.js', () => ({
  Engine: class {
    dispatch = vi.fn(async () => ({ ok: true, result: null }));
    onEvent = vi.fn(() => () => {});
    close = vi.fn(async () => {});
  },
}));

beforeAll(async () => {
  await import('./index.js');
  await vi.waitFor(() => expect(created).toHaveLength(1));
});

describe('Electron main window', () => {
  it('opens one window with the security checklist web preferences', () => {
    const prefs = created[0]!.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/);
  });

  it('takes the single-instance lock and locks down every web contents', async () => {
    const { app, session } = await import('electron');
    expect(app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(appHandlers.has('second-instance')).toBe(true);
    expect(appHandlers.has('web-contents-created')).toBe(true);
    expect(session.defaultSession.webRequest.onHeadersReceived).toHaveBeenCalled();
    expect(session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
  });

  it('asks before a close would lose unsaved work', () => {
    expect(webContentsHandlers.has('will-prevent-unload')).toBe(true);
  });

  it('registers the engine bridge on the one invoke channel', async () => {
    const { ipcMain } = await import('electron');
    expect(vi.mocked(ipcMain.handle).mock.calls.map((c) => c[0])).toContain('wirebench:invoke');
  });
});
