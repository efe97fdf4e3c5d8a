/**
 * Serves the built renderer (`out/renderer`) to the browser. Only files under the root are
 * reachable; everything is sent with the same strict Content-Security-Policy the Electron
 * window uses, so browser mode is not the weaker of the two.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { APP_CSP, DISSECT_WORKER_CSP, isDissectWorker } from '../../../shared/content-security-policy.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** `connect-src 'self'` covers ws:// to the same host and port in current Chromium and Firefox. */
export const BROWSER_CSP = APP_CSP;
export { DISSECT_WORKER_CSP, isDissectWorker };

export function createStaticHandler(root: string) {
  const base = normalize(root.endsWith(sep) ? root : root + sep);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': BROWSER_CSP });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request path');
    }
    if (pathname.includes('\0')) return send(400, 'bad request path');
    const file = normalize(join(base, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(base)) return send(403, 'forbidden');
    try {
      const info = await stat(file);
      if (!info.isFile()) return send(404, 'not found');
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'content-security-policy': isDissectWorker(pathname) ? DISSECT_WORKER_CSP : BROWSER_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        // The page URL carries the session token; never let a cache keep the page.
        'cache-control': extname(file) === '.html' ? 'no-store' : 'no-cache',
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, pathname === '/' ? `the UI is not built: run "npm run build:app" (looked in ${root})` : 'not found');
    }
  };
}
