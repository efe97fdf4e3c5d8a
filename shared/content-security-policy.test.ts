import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_CSP, DISSECT_WORKER_CSP, isDissectWorker } from './content-security-policy.js';

describe('content security policy', () => {
  it('renderer/index.html carries the same policy (less frame-ancestors, which meta tags cannot set)', () => {
    const html = readFileSync('renderer/index.html', 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(APP_CSP.replace("; frame-ancestors 'none'", ''));
  });

  it('allows JS eval only in the dissection worker, and recognises only that file', () => {
    expect(APP_CSP).not.toContain("'unsafe-eval'");
    expect(DISSECT_WORKER_CSP).toContain("'wasm-unsafe-eval' 'unsafe-eval'");
    expect(isDissectWorker('/assets/dissect.worker-AbC_1.js')).toBe(true);
    expect(isDissectWorker('file:///opt/app/out/renderer/assets/dissect.worker-x1.js?v=2')).toBe(true);
    expect(isDissectWorker('/assets/segment.worker-Q9_z.js')).toBe(true);
    expect(isDissectWorker('/assets/ws-worker-Q9_z.js')).toBe(false);
    expect(isDissectWorker('/assets/dissect.worker-x1.js.map')).toBe(false);
    expect(isDissectWorker('/assets/index-x1.js')).toBe(false);
  });
});
