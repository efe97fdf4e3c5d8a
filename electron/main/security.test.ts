import { describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY, installContentSecurityPolicy, lockDownContents } from './security.js';
import { rendererEntry } from './app-url.js';

vi.mock('electron', () => ({}));

function fakeContents() {
  const handlers = new Map<string, (event: { preventDefault: () => void }, url?: string) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const contents = {
    on: (name: string, handler: (event: { preventDefault: () => void }, url?: string) => void) => handlers.set(name, handler),
    setWindowOpenHandler: (handler: (details: { url: string }) => { action: string }) => (openHandler = handler),
  };
  const fire = (name: string, url?: string) => {
    const event = { preventDefault: vi.fn() };
    handlers.get(name)!(event, url);
    return event.preventDefault.mock.calls.length > 0;
  };
  return { contents: contents as unknown as WebContents, fire, open: (url: string) => openHandler!({ url }) };
}

describe('navigation and new windows', () => {
  const entry = rendererEntry('/opt/wirebench/out/main', undefined);

  it('blocks navigation to any other page, allows a reload of our own', () => {
    const { contents, fire } = fakeContents();
    lockDownContents(contents, entry.isAppUrl);
    expect(fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-navigate', entry.url)).toBe(false);
    expect(fire('will-redirect', 'https://evil.example/')).toBe(true);
  });

  it('denies every new window and every webview', () => {
    const { contents, fire, open } = fakeContents();
    lockDownContents(contents, entry.isAppUrl);
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
    expect(open(entry.url)).toEqual({ action: 'deny' });
    expect(fire('will-attach-webview')).toBe(true);
  });

  it('recognises the dev server only by its exact origin', () => {
    const dev = rendererEntry('/x/out/main', 'http://localhost:5173/');
    expect(dev.isAppUrl('http://localhost:5173/index.html')).toBe(true);
    expect(dev.isAppUrl('http://localhost:5174/')).toBe(false);
    expect(dev.isAppUrl('not a url')).toBe(false);
  });
});

describe('content security policy', () => {
  it('is strict: scripts only from the app, no objects, no framing', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    // WebAssembly compilation ('wasm-unsafe-eval', for the packet dissector) is allowed; JS eval is not.
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/(^|[^-])'unsafe-eval'/);
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('is added to every response and permissions are refused', () => {
    let headersHook: ((details: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null;
    let permission: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
    const session = {
      webRequest: { onHeadersReceived: (hook: typeof headersHook) => (headersHook = hook) },
      setPermissionRequestHandler: (h: typeof permission) => (permission = h),
      setPermissionCheckHandler: vi.fn(),
    };
    installContentSecurityPolicy(session as never);
    const callback = vi.fn();
    headersHook!({ responseHeaders: { 'x-a': ['1'] } }, callback);
    expect(callback.mock.calls[0]![0].responseHeaders['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    const answer = vi.fn();
    permission!(null, 'media', answer);
    expect(answer).toHaveBeenCalledWith(false);
  });
});
