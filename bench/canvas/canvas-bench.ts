/**
 * Canvas benchmark (a script, not a test): 500 VMs, 100 bridges and 1,000 NIC edges in
 * headless Debian Chromium, counters ticking at 4 Hz through the real transport (the engine's
 * event bus → WebSocket → zod → counter hub → SVG), against the same page with counters
 * frozen (alternating 2 s windows, 3 rounds each). Reports p95 frame time and scripting time
 * per tick for two views: the whole lab
 * (fit view: labels hidden by level of detail) and zoom 1 (labels on, off-screen edges culled).
 *
 *   npx tsx bench/canvas/canvas-bench.ts      → one JSON line, and bench/results/canvas.json
 *
 * Targets: p95 ≤ 20 ms with counters live, and live/frozen p95 ≤ 1.25.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { serializeLab } from '../../shared/lab.js';
import { startBrowserMode } from '../../electron/engine/server/browser-mode.js';
import { launchChromium } from '../../e2e/support/chromium.js';
import { ensureRendererBuilt, RENDERER_DIR } from '../../e2e/support/app-under-test.js';
import { syntheticLab, syntheticTick } from './synthetic-lab.js';
// The page's `window.__wirebenchTest` hook is declared with the renderer's transport.
import type {} from '../../renderer/transport/pick-transport.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 2000);
/** Frozen and live windows alternate, so load from other processes (2 shared cores) hits both alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICK_MS = 250;
const TARGET_P95_MS = 20;
const TARGET_EXTRA = 0.25;

interface Sample {
  /** rAF intervals, ms */
  intervals?: number[];
  frames: number;
  /** Share of frame intervals above the 20 ms target (p95 flips once this passes 5%). */
  over20Share?: number;
  p50Ms: number;
  p95Ms: number;
  scriptMs: number;
  layoutMs: number;
  ticks: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

/** Records requestAnimationFrame intervals for `ms` while `during` runs (ticks or nothing). */
async function sample(page: Page, cdp: CDPSession, ms: number, emitTick: (() => void) | null): Promise<Sample> {
  const before = await metrics(cdp);
  // A string, not a function: tsx's keepNames would inject a `__name` helper the page lacks.
  await page.evaluate(`(() => {
    // Each window's loop carries its own generation, so a loop from the previous window
    // (still waiting for its next frame) cannot add intervals to this one.
    const generation = (window.__generation = (window.__generation ?? 0) + 1);
    window.__frames = [];
    let last = performance.now();
    const loop = (now) => {
      if (window.__generation !== generation) return;
      window.__frames.push(now - last);
      last = now;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  })()`);
  let ticks = 0;
  const timer = emitTick
    ? setInterval(() => {
        emitTick();
        ticks += 1;
      }, TICK_MS)
    : null;
  await new Promise((r) => setTimeout(r, ms));
  if (timer) clearInterval(timer);
  const frames = (await page.evaluate('(() => { window.__generation += 1; return window.__frames.slice(1); })()')) as number[];
  const after = await metrics(cdp);
  const sorted = [...frames].sort((a, b) => a - b);
  return {
    intervals: frames,
    frames: frames.length,
    p50Ms: round(percentile(sorted, 0.5)),
    p95Ms: round(percentile(sorted, 0.95)),
    scriptMs: round(((after.ScriptDuration ?? 0) - (before.ScriptDuration ?? 0)) * 1000),
    layoutMs: round(((after.LayoutDuration ?? 0) + (after.RecalcStyleDuration ?? 0) - (before.LayoutDuration ?? 0) - (before.RecalcStyleDuration ?? 0)) * 1000),
    ticks,
  };
}

const round = (v: number) => Math.round(v * 100) / 100;

function combine(samples: Sample[]): Sample {
  const intervals = samples.flatMap((s) => s.intervals ?? []);
  const sorted = [...intervals].sort((a, b) => a - b);
  const sum = (pick: (s: Sample) => number) => round(samples.reduce((n, s) => n + pick(s), 0));
  return {
    frames: intervals.length,
    over20Share: round(intervals.filter((v) => v > TARGET_P95_MS).length / Math.max(1, intervals.length)),
    p50Ms: round(percentile(sorted, 0.5)),
    p95Ms: round(percentile(sorted, 0.95)),
    scriptMs: sum((s) => s.scriptMs),
    layoutMs: sum((s) => s.layoutMs),
    ticks: sum((s) => s.ticks),
  };
}

async function main(): Promise<void> {
  ensureRendererBuilt();
  // Other work on the machine skews frame times; the report records how busy it was.
  const loadStart = loadavg().map((v) => round(v));
  const lab = syntheticLab();
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
  const file = join(dir, 'bench.lab.json');
  writeFileSync(file, serializeLab(lab));
  const mode = await startBrowserMode({ file, staticDir: RENDERER_DIR });
  const chromium = await launchChromium({ width: 1600, height: 1000 });
  try {
    const page = await chromium.context.newPage();
    await page.goto(`${mode.server.url}&testHooks=1`);
    await page.locator('[data-testid="node-vm:vm1"], .react-flow__node').first().waitFor({ timeout: 60_000 });
    const cdp = await chromium.context.newCDPSession(page);
    await cdp.send('Performance.enable');

    let seq = 0;
    const emitTick = () => {
      seq += 1;
      mode.engine.events.emit({ type: 'counters.tick', at: Date.now(), nics: syntheticTick(lab, seq) });
    };

    const scenarios: Record<string, { frozen: Sample; live: Sample; ratio: number; scriptMsPerTick: number; edgesInDom: number; labelsShown: boolean; pass: boolean }> = {};
    const views: Array<[string, () => Promise<void>]> = [
      ['fit', async () => void (await page.getByTitle('Fit the lab in the window').click())],
      ['zoom1', async () => void (await page.evaluate(() => window.__wirebenchTest!.setViewport!({ x: -1200, y: -300, zoom: 1 })))],
    ];
    // BENCH_VIEWS=zoom1 measures one view only (quicker A/B runs while tuning).
    const wanted = process.env.BENCH_VIEWS?.split(',');
    for (const [name, place] of views.filter(([n]) => !wanted || wanted.includes(n))) {
      await place();
      await page.waitForTimeout(1500);
      await sample(page, cdp, 1000, emitTick); // warm-up: JIT, first paint of labels
      await page.waitForTimeout(500);
      const frozenRounds: Sample[] = [];
      const liveRounds: Sample[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        frozenRounds.push(await sample(page, cdp, SAMPLE_MS, null));
        liveRounds.push(await sample(page, cdp, SAMPLE_MS, emitTick));
        // Let the last tick's frame finish before the next frozen window starts.
        await page.waitForTimeout(300);
      }
      const frozen = combine(frozenRounds);
      const live = combine(liveRounds);
      const edgesInDom = await page.locator('.react-flow__edge').count();
      const labelsShown = !(await page.locator('.wb-canvas').evaluate((el) => el.classList.contains('wb-zoomed-out')));
      const ratio = round(live.p95Ms / Math.max(frozen.p95Ms, 0.001));
      const scriptMsPerTick = round(Math.max(0, live.scriptMs - frozen.scriptMs) / Math.max(1, live.ticks));
      scenarios[name] = { frozen, live, ratio, scriptMsPerTick, edgesInDom, labelsShown, pass: live.p95Ms <= TARGET_P95_MS && ratio <= 1 + TARGET_EXTRA };
      await page.screenshot({ path: join(ROOT, 'test-results', `bench-canvas-${name}.png`) }).catch(() => undefined);
    }
    const report = {
      bench: 'canvas',
      rounds: ROUNDS,
      loadAverage: { start: loadStart, end: loadavg().map((v) => round(v)) },
      lab: { vms: lab.vms.length, bridges: lab.bridges.length, nics: lab.nics.length },
      tickHz: 1000 / TICK_MS,
      sampleMs: SAMPLE_MS,
      viewport: '1600x1000',
      browser: 'Debian chromium, headless, software rendering',
      target: { p95Ms: TARGET_P95_MS, maxExtra: TARGET_EXTRA },
      scenarios,
      pass: Object.values(scenarios).every((s) => s.pass),
    };
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'canvas.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report));
  } finally {
    await chromium.close();
    await mode.close();
  }
}

await main();
