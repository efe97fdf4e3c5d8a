/**
 * The helper never outlives its engine (issue 14): a real engine in a child process captures a
 * lab bridge to a file while traffic flows, and is killed with SIGKILL. Its helper, whose
 * stdout and stderr are now sockets without a peer, must end within 2 s with its tcpdump,
 * without burning CPU, leaving a pcap tshark reads; a new engine then finds no capture running
 * and its `down` removes the namespace. And SIGTERM ends a helper in the middle of a capture
 * whose pipe nobody reads, even during a shutdown already under way.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_FORMAT, serializeLab, validateLab } from '../../shared/lab.js';
import { namespaceName } from '../../shared/host-names.js';
import { udpRecords, writePcap } from '../../packet/node.js';
import { Engine } from '../engine/engine.js';
import { addInjector, replay } from '../engine/test-support/traffic-injector.js';
import { HELPER_BUNDLE, REPO_ROOT, forceRemoveNamespace, namespaceNames, randomNamespace } from './test-support/system.js';
import { childrenOf, commandLine, cpuTicks, isProcessRunning } from './test-support/proc.js';
import { tally } from '../../test-support/suite-tally.js';

const ENGINE_CHILD = join(REPO_ROOT, 'electron/engine/test-support/capture-engine-child.ts');
let scratch = '';
const cleanups: Array<() => void> = [];

beforeAll(() => {
  scratch = mkdtempSync('/var/tmp/wirebench-lifecycle-test-');
  chmodSync(scratch, 0o755);
  writeFileSync(join(scratch, 'udp.pcap'), writePcap(1, udpRecords(4_000)));
});

afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: stream }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
}

function tcpdumpsOf(helperPid: number): number[] {
  return childrenOf(helperPid).filter((pid) => commandLine(pid).includes('tcpdump'));
}

describe('the helper never outlives its engine', () => {
  it('kill -9 of an engine mid-capture: helper and tcpdump gone within 3 s, pcap readable, down cleans up', async () => {
    const lab = validateLab({ format: LAB_FORMAT, id: randomBytes(8).toString('hex'), name: 'lifecycle', bridges: [{ name: 'lan' }] });
    if (!lab.ok) throw new Error(JSON.stringify(lab.problems));
    const ns = namespaceName(lab.lab);
    cleanups.push(() => forceRemoveNamespace(ns));
    const labPath = join(scratch, 'lifecycle.lab.json');
    writeFileSync(labPath, serializeLab(lab.lab));
    const saved = join(scratch, 'saved.pcap');

    const engine = spawn(process.execPath, ['--import', 'tsx', ENGINE_CHILD, labPath, saved], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => killQuietly(engine.pid));
    let engineLog = '';
    engine.stderr.setEncoding('utf8').on('data', (t: string) => (engineLog += t));
    const ready = JSON.parse(await firstLine(engine.stdout, 60_000)) as { ready: boolean; error?: string };
    expect(ready, engineLog).toMatchObject({ ready: true });

    const helperPid = childrenOf(engine.pid!).find((pid) => commandLine(pid).includes('wirebench-helper'));
    expect(helperPid, `no helper among the engine's children`).toBeDefined();
    cleanups.push(() => killQuietly(helperPid));
    const tcpdumps = tcpdumpsOf(helperPid!);
    expect(tcpdumps).toHaveLength(1);
    cleanups.push(() => tcpdumps.forEach(killQuietly));

    // Traffic through the bridge while the engine dies.
    const injector = addInjector(ns, 'br-lan');
    const traffic = replay(ns, injector.dev, join(scratch, 'udp.pcap'), 4_000).catch(() => null);
    await new Promise((r) => setTimeout(r, 400));
    process.kill(engine.pid!, 'SIGKILL');
    const killedAt = Date.now();
    const ticksAtKill = cpuTicks(helperPid!) ?? 0;

    // Sampled while it may still run: it must not be burning a core.
    let lastTicks = ticksAtKill;
    const gone = await waitUntil(() => {
      const ticks = cpuTicks(helperPid!);
      if (ticks !== null) lastTicks = ticks;
      return !isProcessRunning(helperPid!) && tcpdumps.every((pid) => !isProcessRunning(pid));
    }, 3_000);
    const after = Date.now() - killedAt;
    expect(gone, `helper ${helperPid} or tcpdump ${tcpdumps.join(',')} still running 3 s after the engine was killed`).toBe(true);
    console.log(`lifecycle: helper and tcpdump gone ${after} ms after kill -9 of the engine; helper used ${lastTicks - ticksAtKill} CPU ticks meanwhile`);
    expect(lastTicks - ticksAtKill).toBeLessThan(100);
    await traffic;

    // 3 s after the kill nothing of that engine runs: no helper, no tcpdump anywhere for it.
    await new Promise((r) => setTimeout(r, Math.max(0, 3_000 - (Date.now() - killedAt))));
    tally('engine killed mid-capture', { faults: 1, leaked: [helperPid!, ...tcpdumps].filter(isProcessRunning).length });
    expect(isProcessRunning(helperPid!)).toBe(false);
    expect(tcpdumps.filter(isProcessRunning)).toEqual([]);
    // Its runtime FIFO went with it.
    expect(existsSync(`/run/wirebench/0/captures`) ? spawnSync('find', ['/run/wirebench/0/captures', '-newer', labPath, '-type', 'p'], { encoding: 'utf8' }).stdout.trim() : '').toBe('');

    // The saved capture is a valid pcap up to its last whole packet.
    const read = spawnSync('tshark', ['-r', saved, '-q', '-z', 'io,stat,0'], { encoding: 'utf8' });
    expect(read.status, read.stderr).toBe(0);
    expect(read.stderr).not.toMatch(/cut short|appears to be damaged/);
    const frames = Number(/\|\s*Frames\s*\|[\s\S]*?\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|\s*(\d+)/.exec(read.stdout)?.[1] ?? '0');
    console.log(`lifecycle: saved pcap holds ${frames} frames`);
    expect(frames).toBeGreaterThan(0);

    // A new engine: the capture is not running there, and down removes everything.
    const next = new Engine({ controlSocket: false });
    try {
      await next.invoke('lab.open', { path: labPath });
      const status = await next.invoke('lab.status', {});
      expect(status).toMatchObject({ namespace: ns });
      await expect(next.invoke('capture.stop', { captureId: 'cap-1' })).rejects.toMatchObject({ code: 'not-found' });
      await next.invoke('lab.down', {});
      expect(namespaceNames()).not.toContain(ns);
    } finally {
      await next.close();
    }
  });
});

/** The helper spoken to directly (no client that would restart it), as root. */
class RawHelper {
  readonly child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: { ok: boolean; result?: unknown; error?: unknown }) => void>();

  constructor() {
    this.child = spawn(process.execPath, [HELPER_BUNDLE], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.resume();
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as { id?: number; ok: boolean };
      if (typeof reply.id === 'number') this.waiting.get(reply.id)?.(reply);
    });
  }

  call<T>(request: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => (reply.ok ? resolve(reply.result as T) : reject(new Error(JSON.stringify(reply.error)))));
      this.child.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }
}

describe('SIGTERM always ends the helper', () => {
  for (const variant of ['mid-capture', 'during a shutdown already under way'] as const) {
    it(`${variant}: gone within 2 s with its tcpdump, even with nobody reading the pipe`, async () => {
      const ns = randomNamespace();
      cleanups.push(() => forceRemoveNamespace(ns));
      const helper = new RawHelper();
      cleanups.push(() => killQuietly(helper.child.pid));
      await helper.call({ op: 'info' });
      await helper.call({ op: 'ns.create', ns });
      await helper.call({ op: 'bridge.create', ns, bridge: 'br-t' });
      const { fifo } = await helper.call<{ fifo: string }>({ op: 'capture.start', ns, dev: 'br-t' });
      expect(existsSync(fifo)).toBe(true);
      const tcpdumps = tcpdumpsOf(helper.child.pid!);
      expect(tcpdumps).toHaveLength(1);
      cleanups.push(() => tcpdumps.forEach(killQuietly));
      // Nobody reads the FIFO: 4,000 frames fill it and leave tcpdump blocked in write().
      const injector = addInjector(ns, 'br-t', 'wbterm');
      await replay(ns, injector.dev, join(scratch, 'udp.pcap'), 20_000);

      const exited = new Promise<void>((resolve) => helper.child.once('exit', () => resolve()));
      const started = Date.now();
      if (variant === 'during a shutdown already under way') {
        // A request in flight that takes long (a capture stop drains up to 2 s) and stdin closed: shutdown begins and waits.
        void helper.call({ op: 'capture.stop', captureId: 'cap-x' }).catch(() => undefined);
        helper.child.stdin.end();
        await new Promise((r) => setTimeout(r, 100));
      }
      helper.child.kill('SIGTERM');
      tally(`helper SIGTERM ${variant}`, { faults: 1 });
      const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);
      expect(ended, 'the helper ignored SIGTERM for 2 s').toBe(true);
      console.log(`lifecycle: SIGTERM (${variant}) ended the helper in ${Date.now() - started} ms`);
      expect(await waitUntil(() => tcpdumps.every((pid) => !isProcessRunning(pid)), 500)).toBe(true);
    });
  }
});
