/**
 * The preload: the renderer's only door to the main process. It exposes two objects through
 * contextBridge and nothing else — `window.wirebench`, the contract's `LabBridge` (`invoke`
 * accepts only the contract's commands, with params the contract's schemas accept, before
 * anything crosses IPC; replies come back as data so an error keeps its code and hint), and
 * `window.wirebenchShell` for native dialogs and the menu. Events are parsed here too.
 *
 * Sandboxed preloads may only `require('electron')`; everything else (zod, the contract) is
 * bundled into this file by electron-vite as CommonJS.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildPreloadApis } from './preload-api.js';

const { api, shell } = buildPreloadApis(ipcRenderer);
contextBridge.exposeInMainWorld('wirebench', api);
contextBridge.exposeInMainWorld('wirebenchShell', shell);
