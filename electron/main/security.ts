/**
 * Electron's security checklist, applied in one place: locked-down web preferences, a strict
 * Content-Security-Policy, no navigation, no new windows, no webviews, no permissions.
 */
import type { Session, WebContents, WebPreferences } from 'electron';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** See DISSECT_WORKER_CSP in the browser-mode server: Emscripten's embind needs `new Function` in the packet worker only. */
const DISSECT_WORKER_CSP = CONTENT_SECURITY_POLICY.replace("'wasm-unsafe-eval'", "'wasm-unsafe-eval' 'unsafe-eval'");
const isDissectWorker = (url: string): boolean => /\/assets\/dissect\.worker-[\w-]+\.js(?:[?#]|$)/.test(url ?? '');

/** Sends the CSP as a response header for every page the session loads (file:// included). */
export function installContentSecurityPolicy(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [isDissectWorker(details.url) ? DISSECT_WORKER_CSP : CONTENT_SECURITY_POLICY] } });
  });
  // The app needs no camera, notifications, geolocation…: refuse every request and check.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * The window shows our renderer and nothing else: navigation away, redirects, new windows
 * and webviews are refused. A link the renderer wants to open externally is not a feature yet.
 */
export function lockDownContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
