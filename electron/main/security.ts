/**
 * Electron's security checklist, applied in one place: locked-down web preferences, a strict
 * Content-Security-Policy, no navigation, no new windows, no webviews, no permissions.
 */
import type { Session, WebContents, WebPreferences } from 'electron';
import { APP_CSP, DISSECT_WORKER_CSP, isDissectWorker } from '../../shared/content-security-policy.js';

/** Kept as a name of this module: tests and main import it from here. */
export const CONTENT_SECURITY_POLICY = APP_CSP;

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
