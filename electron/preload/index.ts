/**
 * The preload: the renderer's only door to the main process. It exposes two objects through
 * contextBridge and nothing else — `window.wirebench`, the contract's `LabBridge` (`invoke`
 * accepts only the contract's commands, with params the contract's schemas accept, before
 * anything crosses IPC; replies come back as data so an error keeps its code and hint), and
 * `window.wirebenchShell` for native dialogs and the menu. Events are parsed here too, except
 * counter ticks, which travel on a MessagePort the page's worker parses, and capture bytes,
 * which arrive on a MessagePort per capture and reach the page through `streamCapture`.
 *
 * Sandboxed preloads may only `require('electron')`; everything else (zod, the contract) is
 * bundled into this file by electron-vite as CommonJS.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildPreloadApis } from './preload-api.js';

// The page's window, for handing it MessagePorts (they cannot cross contextBridge).
const page = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };
const { api, shell } = buildPreloadApis(ipcRenderer, (message, ports) => page.postMessage(message, '*', ports));
contextBridge.exposeInMainWorld('wirebench', api);
contextBridge.exposeInMainWorld('wirebenchShell', shell);
