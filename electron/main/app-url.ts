/**
 * Where the renderer comes from, and how to recognise it: the built `out/renderer/index.html`
 * over file://, or electron-vite's dev server (ELECTRON_RENDERER_URL) while developing.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface RendererEntry {
  /** What `loadURL` gets. */
  url: string;
  isAppUrl(url: string): boolean;
}

export function rendererEntry(mainDir: string, devServerUrl: string | undefined): RendererEntry {
  if (devServerUrl) {
    const origin = new URL(devServerUrl).origin;
    return { url: devServerUrl, isAppUrl: (url) => safeOrigin(url) === origin };
  }
  const page = pathToFileURL(join(mainDir, '..', 'renderer', 'index.html'));
  return {
    url: page.href,
    // Same file, any query or hash: a file:// origin is "null", so compare the path itself.
    isAppUrl: (url) => {
      try {
        const parsed = new URL(url);
        return parsed.protocol === 'file:' && parsed.pathname === page.pathname;
      } catch {
        return false;
      }
    },
  };
}

function safeOrigin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
