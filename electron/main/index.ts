/**
 * Electron entry: one window showing the renderer, the engine running in this process, the
 * application menu, and the IPC bridge between them. No lab logic lives here.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, screen, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/engine.js';
import { demoLabPath } from '../engine/server/app-files.js';
import type { DocumentState, MenuCommand } from '../../shared/shell-api.js';
import { buildMenuTemplate } from './app-menu.js';
import { rendererEntry } from './app-url.js';
import { registerEngineIpc } from './ipc-bridge.js';
import { MENU_CHANNEL } from './ipc-channels.js';
import { loadRecentLabs, recentLabsFile, saveRecentLabs, withRecent } from './recent-labs.js';
import { installContentSecurityPolicy, lockDownContents, secureWebPreferences } from './security.js';
import { registerShellIpc } from './shell-ipc.js';
import { loadWindowState, saveWindowState, windowStateFile } from './window-state.js';

const mainDir = dirname(fileURLToPath(import.meta.url));
const entry = rendererEntry(mainDir, app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL);

// A second `wirebench` launch focuses the first window instead of running a second engine
// against the same labs (two engines would fight over the same namespaces).
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  const demo = demoLabPath();
  const engine = new Engine(demo ? { demoLabPath: demo } : {});
  let window: BrowserWindow | null = null;
  let recent = await loadRecentLabs(recentLabsFile(app.getPath('userData')));

  const sendMenu = (command: MenuCommand) => window?.webContents.send(MENU_CHANNEL, command);
  const rebuildMenu = () =>
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate({
          send: sendMenu,
          recent,
          isMac: process.platform === 'darwin',
          showAbout: () => void dialog.showMessageBox({ message: 'Wirebench', detail: `Version ${app.getVersion()}\nGPL-2.0-or-later` }),
        }),
      ),
    );

  const onDocumentState = (state: DocumentState) => {
    if (!window) return;
    window.setTitle(`${state.dirty ? '• ' : ''}${state.name}${state.path ? ` — ${state.path}` : ''} — Wirebench`);
    window.setDocumentEdited(state.dirty);
    if (state.path && recent[0] !== state.path) {
      recent = withRecent(recent, state.path);
      app.addRecentDocument(state.path);
      void saveRecentLabs(recentLabsFile(app.getPath('userData')), recent);
      rebuildMenu();
    }
  };

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  // Every web contents, present and future, gets the same lock-down.
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents, entry.isAppUrl));

  await app.whenReady();
  installContentSecurityPolicy(session.defaultSession);
  registerEngineIpc({ ipcMain, engine, isAppUrl: entry.isAppUrl, targets: () => (window ? [window.webContents] : []) });
  registerShellIpc({ ipcMain, dialog, window: () => window, isAppUrl: entry.isAppUrl, onDocumentState });
  rebuildMenu();

  const fileArg = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => a.endsWith('.json'));
  if (fileArg) {
    const opened = await engine.dispatch('lab.open', { path: fileArg });
    if (!opened.ok) dialog.showErrorBox('Cannot open lab', `${fileArg}: ${opened.error.message}`);
  }

  const stateFile = windowStateFile(app.getPath('userData'));
  const state = await loadWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea));
  window = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    show: false,
    title: 'Wirebench',
    webPreferences: secureWebPreferences(join(mainDir, '..', 'preload', 'index.cjs')),
  });
  if (state.maximized) window.maximize();
  window.once('ready-to-show', () => window?.show());

  // The renderer's beforeunload guard (unsaved edits) lands here: ask, and leave only if told to.
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window!, {
      type: 'question',
      buttons: ['Discard changes', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'The lab has unsaved changes.',
      detail: 'Save it first (File ▸ Save), or discard the changes.',
    });
    if (choice === 0) event.preventDefault();
  });

  window.on('close', () => {
    if (!window) return;
    const bounds = window.getNormalBounds();
    void saveWindowState(stateFile, { ...bounds, maximized: window.isMaximized() });
  });
  window.on('closed', () => {
    window = null;
  });

  await window.loadURL(entry.url);

  app.on('window-all-closed', () => {
    // Running VMs keep running (like `wirebench up`); the engine only lets go of them.
    void engine.close().finally(() => app.quit());
  });
}
