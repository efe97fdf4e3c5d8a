/**
 * The one Content-Security-Policy of the app, sent by Electron's session and by the
 * browser-mode server alike (and mirrored in renderer/index.html's meta tag, which a test
 * keeps equal): scripts only from the app, no objects, no framing, no foreign connections.
 * `'wasm-unsafe-eval'` allows compiling WebAssembly (Wireshark's dissectors) and nothing else.
 */
export const APP_CSP = [
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

/**
 * The packet-dissection workers (the viewer's worker and its segment helpers) run Wireshark
 * compiled by Emscripten, whose embind glue builds functions with `new Function`; only those
 * worker scripts (no DOM, they talk by postMessage only) get 'unsafe-eval'. The page itself
 * keeps the strict policy.
 */
export const DISSECT_WORKER_CSP = APP_CSP.replace("'wasm-unsafe-eval'", "'wasm-unsafe-eval' 'unsafe-eval'");

/**
 * A built dissection worker's file (`assets/dissect.worker-<hash>.js` or
 * `assets/segment.worker-<hash>.js`), as a path or a full URL.
 */
export function isDissectWorker(pathOrUrl: string): boolean {
  return /\/assets\/(?:dissect|segment)\.worker-[\w-]+\.js(?:[?#]|$)/.test(pathOrUrl);
}
