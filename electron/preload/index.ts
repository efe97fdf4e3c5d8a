/**
 * The preload: the renderer's only door to the main process. It exposes two objects through
 * contextBridge and nothing else — `window.wirebench`, the contract's `LabApi` (named methods
 * built by `createLabApi`, never a raw `invoke`), and `window.wirebenchShell` for native
 * dialogs and the menu. Replies and events are parsed here, on the receiving side.
 *
 * Sandboxed preloads may only `require('electron')`; everything else (zod, the contract) is
 * bundled into this file by electron-vite as CommonJS.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildPreloadApis } from './preload-api.js';

const { api, shell } = buildPreloadApis(ipcRenderer);
contextBridge.exposeInMainWorld('wirebench', api);
contextBridge.exposeInMainWorld('wirebenchShell', shell);
