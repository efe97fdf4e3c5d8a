/**
 * A 20 MB console flood (`yes 0123456789abcdef | head -c 20000000; echo FLOOD-END`), from
 * the Enter that starts it until its last byte is in the xterm buffer of the real app
 * (browser mode, headless Debian Chromium, the built renderer), against the same command on
 * a second QEMU of the same tiny guest (the test helper's: TCG, 1 CPU, 128 MiB, same serial
 * chardev with its log) read from its serial socket by a bare reader, in the same run
 * (alternating rounds, so machine noise hits both). Then one more app flood with the page's
 * requestAnimationFrame intervals recorded (frame p95). Targets: app/bare ≤ 1.2, frame p95
 * ≤ 33 ms. Needs root, QEMU and the tiny guest. Under TCG the guest's UART needs ~6 s of a
 * core per MB, so the default run (20 MB, 2 rounds + 1) takes a good quarter of an hour.
 *
 *   npx tsx bench/console/console.bench.ts   → one JSON line and bench/results/console.json
 *
 * BENCH_CONSOLE_BYTES changes the flood size, BENCH_ROUNDS the number of rounds (default 2).
 * WIREBENCH_E2E_RENDERER_DIR serves a renderer built elsewhere instead of out/renderer.
 */
import { connect, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { createTestLab } from '../../electron/engine/qemu/test-support/tiny-guest-lab.js';
import { startApp, type AppUnderTest } from '../../e2e/support/app-under-test.js';
import { consoleText, demoLabFile, floodCommand, openConsoleByDoubleClick, startFrameSampler, waitConnected, waitInConsole } from '../../e2e/support/consoles.js';
import { median } from '../lab-timing.js';
import { percentile, report } from '../report.js';

const BYTES = Number(process.env.BENCH_CONSOLE_BYTES ?? 20_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TARGET_RATIO = 1.2;
const TARGET_FRAME_P95_MS = 33;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a socket into a bounded tail and tells when a text shows up in it. */
function socketWatcher(socket: Socket) {
  let tail = '';
  let bytes = 0;
  const waiters: Array<{ needle: string; resolve(at: number): void }> = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    bytes += chunk.length;
    tail = (tail + chunk).slice(-4096);
    const at = performance.now();
    for (const w of [...waiters]) {
      if (tail.includes(w.needle)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
    }
  });
  return {
    get bytes() {
      return bytes;
    },
    clear() {
      tail = '';
    },
    until(needle: string, timeoutMs: number): Promise<number> {
      if (tail.includes(needle)) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(needle)} on the serial socket within ${timeoutMs} ms; last: ${JSON.stringify(tail.slice(-200))}`)), timeoutMs);
        waiters.push({ needle, resolve: (at) => (clearTimeout(timer), resolve(at)) });
      });
    },
  };
}

/** The baseline: the guest's serial socket read by nothing but a socket and a string search. */
async function bareRound(socket: Socket, watch: ReturnType<typeof socketWatcher>, round: number): Promise<number> {
  const { command, endMark } = floodCommand(BYTES, `-${round}`);
  watch.clear();
  socket.write('\r');
  await watch.until('# ', 10_000);
  await sleep(300);
  watch.clear();
  const start = performance.now();
  socket.write(`${command}\r`);
  const end = await watch.until(endMark, 900_000);
  await watch.until('# ', 10_000);
  return end - start;
}

/** The app: typed into the console tab, done when the marker is in the xterm buffer. */
async function appRound(app: AppUnderTest, round: number, sampleFrames: boolean): Promise<{ ms: number; frames: number[] }> {
  const { page } = app;
  const { command, endMark } = floodCommand(BYTES, `-${round}`);
  await page.getByTestId('console-terminal').click();
  await page.keyboard.press('Enter');
  await sleep(500);
  await page.keyboard.type(command, { delay: 2 });
  const sampler = sampleFrames ? await startFrameSampler(page) : null;
  const start = (await page.evaluate('performance.now()')) as number;
  await page.keyboard.press('Enter');
  const end = await waitInConsole(page, 'a', endMark, 900_000, 5);
  const frames = sampler ? await sampler.stop() : [];
  if (end === null) throw new Error(`the flood's end never reached the terminal; last lines: ${JSON.stringify(await consoleText(page, 'a', 5))}`);
  return { ms: end - start, frames };
}

const testLab = await createTestLab();
let app: AppUnderTest | null = null;
const bare: number[] = [];
const appMs: number[] = [];
const frames: number[] = [];
let sampledMs = 0;
try {
  // Baseline guest: the test helper's QEMU (same tiny guest, TCG, 1 CPU, 128 MiB).
  const guest = await testLab.boot({ name: 'flood', nics: [] });
  const socket = connect(guest.spec.serialSocket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const watch = socketWatcher(socket);
  await watch.until('WIREBENCH-READY', 120_000).catch(async () => {
    // Printed before we connected: it is in the serial log.
    await sleep(1000);
  });

  // The app's guest: a one-VM lab from the demo, on the default accelerator path.
  const lab = demoLabFile('bench-console', ['a']);
  const staticDir = process.env.WIREBENCH_E2E_RENDERER_DIR;
  app = await startApp({ file: lab.file, query: '&testHooks=1', ...(staticDir ? { staticDir } : {}) });
  await app.mode.engine.invoke('lab.up', {});
  await app.page.getByTestId('node-vm:a').waitFor();
  await openConsoleByDoubleClick(app.page, 'a');
  await waitConnected(app.page);

  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareRound(socket, watch, round));
    appMs.push((await appRound(app, round, false)).ms);
  }
  // Frame times in a round of their own: a requestAnimationFrame loop makes the page draw
  // every frame (~10% of a core here), which would slow the timed rounds' guest.
  const sampled = await appRound(app, ROUNDS, true);
  sampledMs = sampled.ms;
  frames.push(...sampled.frames);
  socket.destroy();
} finally {
  if (app) {
    await app.mode.engine.invoke('lab.down', {}).catch(() => undefined);
    await app.close().catch((err: unknown) => console.error(err));
  }
  await testLab.cleanup();
}

const ratio = median(appMs) / median(bare);
const p95 = percentile(frames, 95);
report('console', {
  bytes: BYTES,
  rounds: ROUNDS,
  appMs: appMs.map(Math.round),
  bareMs: bare.map(Math.round),
  ratio: Number(ratio.toFixed(3)),
  targetRatio: TARGET_RATIO,
  sampledRoundMs: Math.round(sampledMs),
  frameP95Ms: Number(p95.toFixed(1)),
  frameMaxMs: Number(Math.max(...frames).toFixed(1)),
  targetFrameP95Ms: TARGET_FRAME_P95_MS,
  meetsTarget: ratio <= TARGET_RATIO && p95 <= TARGET_FRAME_P95_MS,
  loadavg: loadavg().map((l) => Number(l.toFixed(2))),
});
