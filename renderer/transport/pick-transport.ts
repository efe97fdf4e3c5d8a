/**
 * The renderer runs in Electron (the preload put `window.wirebench` there) or in a browser
 * served by `wirebench serve` (WebSocket). Everything above this file sees only `LabApi`, and
 * both ways rebuild engine errors as `WirebenchError` with their code and hint.
 */
import type { LabApi, LabEvent } from '../../shared/api.js';
import type { ShellApi } from '../../shared/shell-api.js';
import type { LabBridge } from '../../shared/unwrap-reply.js';
import { electronLabApi } from './electron-events.js';
import { connectWebSocket, type ConnectionStatus } from './ws-client.js';
import { withMergedEvents, type EventListeners } from './merged-events.js';

declare global {
  interface Window {
    /** Electron's preload: the contract's door (see LabBridge). */
    wirebench?: LabBridge;
    wirebenchShell?: ShellApi;
    /** Test-only hooks (bench, e2e), present when the page URL has `testHooks=1`. */
    __wirebenchTest?: { injectEvent(event: LabEvent): void; setViewport?(viewport: { x: number; y: number; zoom: number }): void };
  }
}

export interface Transport {
  api: LabApi;
  shell: ShellApi | null;
  mode: 'electron' | 'browser';
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}

const TOKEN_KEY = 'wirebench.token';

/** Takes `?token=` from the address bar (and removes it, so it does not end up in screenshots or history). */
function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + (url.search === '?' ? '' : url.search) + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Lets tests push events as if the engine had sent them, through the same listeners. */
function withTestHooks(api: LabApi): LabApi {
  if (!new URL(window.location.href).searchParams.has('testHooks')) return api;
  const listeners: EventListeners = new Set();
  window.__wirebenchTest = { injectEvent: (event) => listeners.forEach((l) => l(event)) };
  return withMergedEvents(api, listeners);
}

export async function pickTransport(): Promise<Transport> {
  if (window.wirebench) {
    return { api: withTestHooks(electronLabApi(window.wirebench)), shell: window.wirebenchShell ?? null, mode: 'electron', onStatus: () => () => {} };
  }
  const token = takeToken();
  if (!token) throw new Error('no session token: open the URL that "wirebench serve" printed (it ends in ?token=…)');
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const connection = await connectWebSocket(`${scheme}//${window.location.host}/api`, token);
  return { api: withTestHooks(connection.api), shell: null, mode: 'browser', onStatus: connection.onStatus };
}
