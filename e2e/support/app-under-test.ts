/**
 * Starts what the e2e specs drive: the renderer built once (electron-vite), the engine and the
 * browser-mode server in this process on a random port, and Debian's Chromium.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { LAB_FORMAT } from '../../shared/lab.js';
import { expect } from 'vitest';
import { startBrowserMode, type BrowserMode, type BrowserModeOptions } from '../../electron/engine/server/browser-mode.js';
import { namespaces } from '../../electron/engine/test-support/system-lab.js';
import { launchChromium } from './chromium.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const RENDERER_DIR = join(ROOT, 'out', 'renderer');
export const SCREENSHOTS = join(ROOT, 'test-results', 'e2e');

/** Builds the renderer unless a build is already there (CI builds first; a developer may not have). */
export function ensureRendererBuilt(): void {
  if (existsSync(join(RENDERER_DIR, 'index.html')) && !process.env.WIREBENCH_E2E_REBUILD) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** A folder with an empty lab file of a unique id, so runs never share a namespace. */
export function emptyLabFile(name: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wb-e2e-'));
  const file = join(dir, `${name}.lab.json`);
  const id = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
  writeFileSync(file, JSON.stringify({ format: LAB_FORMAT, id, name, bridges: [], vms: [], nics: [] }, null, 2));
  return { dir, file };
}

export interface AppUnderTest {
  mode: BrowserMode;
  page: Page;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The app in browser mode with Chromium on its page. WIREBENCH_E2E_RENDERER_DIR serves a renderer
 * built elsewhere (so a rebuild never swaps out/renderer under another run).
 */
export async function startApp(options: BrowserModeOptions & { query?: string } = {}): Promise<AppUnderTest> {
  const builtElsewhere = process.env.WIREBENCH_E2E_RENDERER_DIR;
  if (!builtElsewhere) ensureRendererBuilt();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const mode = await startBrowserMode({ staticDir: builtElsewhere ?? RENDERER_DIR, ...options });
  const chromium = await launchChromium();
  const page = await chromium.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${mode.server.url}${options.query ?? ''}`);
  await page.getByTestId('canvas').waitFor();
  return {
    mode,
    page,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    },
    close: async () => {
      await chromium.close();
      await mode.close();
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    },
  };
}

/**
 * The end of every spec that starts a lab: `lab down` through the app's engine, then the app
 * closed. Never leaves the namespace behind, even when a step failed half-way; with
 * `expectDown`, a namespace `lab down` left is a failure (after it is removed).
 */
export async function downAndClose(app: AppUnderTest | undefined, namespace: string, options: { expectDown?: boolean } = {}): Promise<void> {
  await app?.mode.engine.invoke('lab.down', {}).catch(() => undefined);
  const left = namespace !== '' && namespaces().includes(namespace);
  await app?.close();
  if (left) {
    try {
      execFileSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
  if (options.expectDown) expect(left, `lab.down left namespace ${namespace} behind`).toBe(false);
}

/** Drags from the centre of one element to a point, in small steps (React Flow needs real moves). */
export async function dragMouse(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + (to.x - from.x) / 4, from.y + (to.y - from.y) / 4, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await page.mouse.up();
}

export async function centreOf(page: Page, testId: string): Promise<{ x: number; y: number }> {
  const box = await page.getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Builds `vm1`, `vm2` on `lan1` through the palette and cables, as a person would. */
export async function buildTwoVmLab(page: Page): Promise<void> {
  const pane = page.locator('.react-flow__pane');
  await page.getByTestId('palette-bridge').dragTo(pane, { targetPosition: { x: 600, y: 500 } });
  await page.getByTestId('node-bridge:lan1').waitFor();
  await page.getByTestId('palette-vm').dragTo(pane, { targetPosition: { x: 350, y: 200 } });
  await page.getByTestId('node-vm:vm1').waitFor();
  await page.getByTestId('palette-vm').dragTo(pane, { targetPosition: { x: 850, y: 200 } });
  await page.getByTestId('node-vm:vm2').waitFor();
  for (const vm of ['vm1', 'vm2']) {
    await dragMouse(page, await centreOf(page, `handle-vm:${vm}`), await centreOf(page, 'node-bridge:lan1'));
    await page.getByTestId(`edge-nic:${vm}:lan1`).waitFor();
  }
}

/** Renames vm1/vm2 to a/b and gives them addresses on lan1, through the canvas and inspector. */
export async function nameAndAddress(page: Page): Promise<void> {
  for (const [from, to, ip] of [
    ['vm1', 'a', '10.0.0.1/24'],
    ['vm2', 'b', '10.0.0.2/24'],
  ] as const) {
    await page.getByTestId(`name-vm:${from}`).dblclick();
    await page.getByTestId('rename-input').fill(to);
    await page.getByTestId('rename-input').press('Enter');
    await page.getByTestId(`edge-nic:${to}:lan1`).waitFor();
    await page.getByTestId(`hit-nic:${to}:lan1`).click({ modifiers: ['Shift'], force: true });
    await page.getByTestId('nic-ip').fill(ip);
    await page.getByTestId('nic-ip').press('Enter');
  }
}
