/**
 * The shell side of `window.wirebenchShell`: native Open/Save dialogs and the window title,
 * dirty marker and recent-files list that follow the renderer's document. Same rules as the
 * engine bridge: our own top-level page only, every payload parsed.
 */
import type { BrowserWindow, Dialog, IpcMain } from 'electron';
import { z } from 'zod';
import { documentStateSchema, type DocumentState } from '../../shared/shell-api.js';
import { DOCUMENT_STATE_CHANNEL, PICK_OPEN_CHANNEL, PICK_SAVE_CHANNEL } from './ipc-channels.js';
import { isTrustedSender } from './ipc-bridge.js';

const LAB_FILTERS = [
  { name: 'Wirebench labs', extensions: ['lab.json', 'json'] },
  { name: 'All files', extensions: ['*'] },
];

export function registerShellIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'on' | 'removeHandler' | 'removeAllListeners'>;
  dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;
  window: () => BrowserWindow | null;
  isAppUrl: (url: string) => boolean;
  onDocumentState: (state: DocumentState) => void;
}): () => void {
  const { ipcMain, dialog, isAppUrl } = options;
  ipcMain.handle(PICK_OPEN_CHANNEL, async (event) => {
    const win = options.window();
    if (!isTrustedSender(event.senderFrame, isAppUrl) || !win) return null;
    const result = await dialog.showOpenDialog(win, { title: 'Open lab', filters: LAB_FILTERS, properties: ['openFile'] });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  ipcMain.handle(PICK_SAVE_CHANNEL, async (event, suggested: unknown) => {
    const win = options.window();
    if (!isTrustedSender(event.senderFrame, isAppUrl) || !win) return null;
    const name = z.string().max(4096).safeParse(suggested);
    const result = await dialog.showSaveDialog(win, { title: 'Save lab as', defaultPath: name.success ? name.data : 'lab.lab.json', filters: LAB_FILTERS });
    return result.canceled ? null : (result.filePath ?? null);
  });
  ipcMain.on(DOCUMENT_STATE_CHANNEL, (event, state: unknown) => {
    if (!isTrustedSender(event.senderFrame, isAppUrl)) return;
    const parsed = documentStateSchema.safeParse(state);
    if (parsed.success) options.onDocumentState(parsed.data);
  });
  return () => {
    ipcMain.removeHandler(PICK_OPEN_CHANNEL);
    ipcMain.removeHandler(PICK_SAVE_CHANNEL);
    ipcMain.removeAllListeners(DOCUMENT_STATE_CHANNEL);
  };
}
