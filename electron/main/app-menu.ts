/**
 * The application menu. Items that act on the document are forwarded to the renderer as
 * `MenuCommand`s (it owns the document and its undo history); the rest are Electron roles.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../shared/shell-api.js';
import { basename } from 'node:path';

export function buildMenuTemplate(options: {
  send: (command: MenuCommand) => void;
  recent: readonly string[];
  isMac: boolean;
  showAbout: () => void;
}): MenuItemConstructorOptions[] {
  const { send, recent, isMac } = options;
  const command = (c: MenuCommand['command'] & string) => () => send({ command: c } as MenuCommand);
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'New', accelerator: 'CmdOrCtrl+N', click: command('new') },
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: command('open') },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((path) => ({ label: `${basename(path)} — ${path}`, click: () => send({ command: 'openRecent', path }) }))
            : [{ label: 'No recent labs', enabled: false }],
        },
        { label: 'Open Demo Lab', click: command('openDemo') },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: command('save') },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: command('saveAs') },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: command('export') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        // Document undo lives in the renderer's history, not in Chromium's text-field undo.
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: command('undo') },
        { label: 'Redo', accelerator: isMac ? 'Cmd+Shift+Z' : 'Ctrl+Y', click: command('redo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: '&View',
      submenu: [
        { label: 'Fit Lab in Window', accelerator: 'CmdOrCtrl+0', click: command('fitView') },
        { type: 'separator' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'resetZoom' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        { role: 'toggleDevTools' },
      ],
    },
    {
      label: '&Help',
      submenu: [{ label: 'About Wirebench', click: options.showAbout }],
    },
  ];
}
