/**
 * A 1,000,000-packet pcap opened in the real packet viewer (browser mode, headless Debian
 * Chromium, the built renderer and its dissection worker), then the virtualized list scrolled
 * for a few seconds while requestAnimationFrame intervals are recorded. Target: p95 ≤ 20 ms
 * (the project's canvas target). Also reports how long the file took to open (first rows; once
 * with the dissection worker cold, as the first file of a session, once warm), how
 * long a jump to a random place takes until its rows show with columns, and the page's JS heap.
 *
 *   npx tsx bench/dissect/viewer-scroll-bench.ts   → one JSON line and bench/results/viewer-scroll.json
 *
 * BENCH_SCROLL_PACKETS changes the size (default 1,000,000); BENCH_SCROLL_MS the scroll time.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startBrowserMode } from '../../electron/engine/server/browser-mode.js';
import { ensureRendererBuilt, emptyLabFile, RENDERER_DIR } from '../../e2e/support/app-under-test.js';
import { launchChromium } from '../../e2e/support/chromium.js';
import { udpRecords, writePcap } from '../../packet/node.js';
import { percentile, report } from '../report.js';

const PACKETS = Number(process.env.BENCH_SCROLL_PACKETS ?? 1_000_000);
const SCROLL_MS = Number(process.env.BENCH_SCROLL_MS ?? 5000);
const TARGET_P95_MS = 20;

/** Writes the pcap in 100k-packet pieces (a million record objects at once would need ~1 GB). */
function writeBigPcap(path: string): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    for (let done = 0; done < PACKETS; done += 100_000) {
      const piece = writePcap(1, udpRecords(Math.min(100_000, PACKETS - done), 1_700_000_000 + done / 1000));
      const body = done === 0 ? piece : piece.subarray(24);
      writeSync(fd, body);
      bytes += body.length;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

async function statusText(page: Page): Promise<string> {
  return (await page.getByTestId('capture-status').textContent()) ?? '';
}

/**
 * Resolves once `condition` (page JS) holds, checked every frame. Not waitForFunction: the
 * page's CSP (no 'unsafe-eval') refuses how Playwright evaluates a string predicate there.
 */
async function untilInPage(page: Page, condition: string, timeoutMs = 30_000): Promise<void> {
  const ok = await page.evaluate(`new Promise((resolve) => {
    const until = performance.now() + ${timeoutMs};
    const check = () => (${condition}) ? resolve(true) : performance.now() > until ? resolve(false) : requestAnimationFrame(check);
    check();
  })`);
  if (!ok) throw new Error(`timed out after ${timeoutMs} ms waiting in the page for: ${condition}`);
}

/** Scrolls the list by `pxPerFrame` every frame (wrapping at the end) and returns rAF intervals. */
async function scrollAndSample(page: Page, pxPerFrame: number, ms: number): Promise<number[]> {
  // A string, not a function: tsx's keepNames would inject a `__name` helper the page lacks.
  return (await page.evaluate(`new Promise((resolve) => {
    const el = document.querySelector('[data-testid="packet-scroll"]');
    const frames = [];
    const started = performance.now();
    let last = started;
    const loop = (now) => {
      frames.push(now - last);
      last = now;
      el.scrollTop = el.scrollTop + ${pxPerFrame} >= el.scrollHeight - el.clientHeight ? 0 : el.scrollTop + ${pxPerFrame};
      if (now - started < ${ms}) requestAnimationFrame(loop);
      else resolve(frames.slice(1));
    };
    requestAnimationFrame(loop);
  })`)) as number[];
}

/** Clicks "Open capture file…", picks `path` in the chooser at once, waits for dissected rows. */
async function openThroughDialog(page: Page, path: string): Promise<number> {
  const started = Date.now();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.locator('label.wb-popen').click()]);
  await chooser.setFiles(path);
  await page.getByTestId('packet-row').first().waitFor({ timeout: 180_000 });
  // First rows are on screen once their columns are (not the "dissecting…" placeholder).
  await page.waitForFunction(`document.querySelector('[data-testid="packet-row"]')?.dataset.protocol !== '…'`, undefined, { timeout: 180_000 });
  return Date.now() - started;
}

async function main(): Promise<void> {
  ensureRendererBuilt();
  const loadStart = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-scroll-'));
  const pcap = join(dir, 'million.pcap');
  const fileBytes = writeBigPcap(pcap);
  const { file } = emptyLabFile('scroll');
  const mode = await startBrowserMode({ file, staticDir: RENDERER_DIR });
  const chromium = await launchChromium({ width: 1600, height: 1000 });
  try {
    const page = await chromium.context.newPage();
    await page.goto(mode.server.url);
    // As a person does: "Open capture file…", then pick the file at once (a person takes
    // seconds, during which the dissection worker, started by that click, gets ready).
    const openMs = await openThroughDialog(page, pcap);
    const opened = await statusText(page);
    const rowsInDom = await page.getByTestId('packet-row').count();

    // Smooth scrolling (100 rows a frame) and fast flinging (5,000 rows a frame).
    const smooth = await scrollAndSample(page, 2000, SCROLL_MS);
    const fling = await scrollAndSample(page, 100_000, SCROLL_MS);
    // Frame times only cover the page's thread; rows come from the worker. Jump to random
    // places and time until the rows there are on screen with their columns.
    const settles: number[] = [];
    for (let i = 0; i < 10; i++) {
      const row = Math.floor(((i + 0.5) / 10) * (PACKETS - 100));
      const t = Date.now();
      await page.evaluate(`document.querySelector('[data-testid="packet-scroll"]').scrollTop = ${row * 20}`);
      await untilInPage(page, `[...document.querySelectorAll('[data-testid="packet-row"]')].some((r) => Number(r.dataset.number) === ${row + 10} && r.dataset.protocol !== '…')`);
      settles.push(Date.now() - t);
    }
    const heap = (await page.evaluate('performance.memory ? performance.memory.usedJSHeapSize : 0')) as number;
    const after = await statusText(page);
    // The same file again, the worker now running: the viewer's own open time.
    await page.locator('[data-testid="viewer-tab"] .wb-pclose').first().click();
    const warmOpenMs = await openThroughDialog(page, pcap);
    const totalShown = /(\d+) packets/.exec(after)?.[1];
    report('viewer-scroll', {
      packets: PACKETS,
      file_mb: Math.round(fileBytes / 1e6),
      open_to_first_rows_ms: openMs,
      warm_open_to_first_rows_ms: warmOpenMs,
      status_at_open: opened,
      status_after_scroll: after,
      packets_listed: Number(totalShown ?? 0),
      rows_in_dom: rowsInDom,
      smooth_frames: smooth.length,
      smooth_p50_ms: Math.round(percentile(smooth, 50) * 10) / 10,
      smooth_p95_ms: Math.round(percentile(smooth, 95) * 10) / 10,
      fling_frames: fling.length,
      fling_p95_ms: Math.round(percentile(fling, 95) * 10) / 10,
      target_p95_ms: TARGET_P95_MS,
      pass: percentile(smooth, 95) <= TARGET_P95_MS && percentile(fling, 95) <= TARGET_P95_MS,
      jump_settle_p50_ms: percentile(settles, 50),
      jump_settle_max_ms: Math.max(...settles),
      page_js_heap_mb: Math.round(heap / 1e6),
      load_avg: [Math.round(loadStart * 100) / 100, Math.round(loadavg()[0]! * 100) / 100],
    });
  } finally {
    await chromium.close();
    await mode.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
