/**
 * A console flood as a person might cause one (`yes 0123456789abcdef | head -c 20000000`),
 * in browser mode with Debian Chromium and a real guest on the default accelerator path:
 * the page stays responsive (requestAnimationFrame intervals measured in the page during
 * the flood; p95 printed and held under a generous bound for two shared cores), every byte
 * arrives (the marker after the last partial line, intact full lines before it), and the
 * console still takes keystrokes afterwards. Under TCG the guest's UART alone needs minutes
 * for 20 MB, so this has its own file and timeout. WIREBENCH_FLOOD_BYTES changes the size.
 * Needs root, QEMU and the tiny guest (`make setup`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../shared/host-names.js';
import { percentile } from '../bench/report.js';
import { downAndClose, startApp, type AppUnderTest } from './support/app-under-test.js';
import { consoleText, demoLabFile, floodCommand, openConsoleByDoubleClick, outputOf, startFrameSampler, typeLine, waitConnected, waitInConsole } from './support/consoles.js';
import { missingChromium, missingLabHost, skipWhenMissing } from './support/prerequisites.js';

const skip = skipWhenMissing('e2e/console-flood.spec.ts', missingChromium(), missingLabHost());

const FLOOD_BYTES = Number(process.env.WIREBENCH_FLOOD_BYTES ?? 20_000_000);
/** The page must stay usable during a flood: generous for two cores shared with QEMU and the engine. */
const FRAME_P95_LIMIT_MS = 100;

describe.skipIf(skip)('a console flood', () => {
  let app: AppUnderTest;
  const lab = demoLabFile('e2e-flood', ['a']);
  const namespace = namespaceName({ id: lab.id, name: 'e2e-flood' });

  beforeAll(async () => {
    app = await startApp({ file: lab.file, query: '&testHooks=1' });
  }, 180_000);

  afterAll(() => downAndClose(app, namespace, { expectDown: true }), 120_000);

  it('starts the lab and opens the console of a', async () => {
    await app.page.getByTestId('lab-start').click();
    await expect.poll(() => app.page.getByTestId('state-a').textContent(), { timeout: 150_000, interval: 500 }).toBe('running');
    await openConsoleByDoubleClick(app.page, 'a');
    await waitConnected(app.page);
  }, 180_000);

  it(`${FLOOD_BYTES} bytes keep the page responsive and end with an intact last line`, async () => {
    const { page } = app;
    const { command, endMark } = floodCommand(FLOOD_BYTES);
    await page.getByTestId('console-terminal').click();
    const sampler = await startFrameSampler(page);
    const started = Date.now();
    await typeLine(page, command);
    const seen = await waitInConsole(page, 'a', endMark, 900_000, 5);
    const frames = await sampler.stop();
    const p95 = percentile(frames, 95);
    console.log(
      `console flood: ${FLOOD_BYTES} bytes in ${Date.now() - started} ms; ${frames.length} frames, p50 ${percentile(frames, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms`,
    );
    expect(seen, `the flood's end never reached the terminal; last lines: ${await consoleText(page, 'a', 5)}`).not.toBeNull();
    const lines = (await consoleText(page, 'a', 8)).split('\n');
    const end = lines.findIndex((l) => l === endMark);
    expect(end, lines.join('\n')).toBeGreaterThanOrEqual(3);
    expect(lines.slice(end - 3, end)).toEqual(['0123456789abcdef', '0123456789abcdef', '0123456789abcdef']);
    expect(p95).toBeLessThan(FRAME_P95_LIMIT_MS);
    // Still a working shell afterwards.
    await typeLine(page, 'echo after-$((6*7))');
    await expect.poll(async () => outputOf(await consoleText(page, 'a'), 'a', 'echo after-$((6*7))'), { timeout: 30_000 }).toBe('after-42');
    await app.screenshot('40-console-flood');
  }, 960_000);
});
