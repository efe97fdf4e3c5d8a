/**
 * Packet captures: tcpdump inside the lab namespace writing a pcap stream into a named pipe
 * the invoking user can read.
 *
 * FIFO handling, and why:
 * - the helper opens the FIFO O_RDWR and hands that fd to tcpdump as stdout. Opening a FIFO
 *   for writing alone blocks until a reader appears; O_RDWR never blocks, so tcpdump starts
 *   (and the reply goes out) before the engine opens its end.
 * - the helper closes its own copy right after spawning, so tcpdump holds the only write end:
 *   when tcpdump exits, the reader sees end-of-file.
 * - nobody reading means the pipe fills (64 KiB) and tcpdump blocks on write: the kernel then
 *   drops packets (counted as "dropped by kernel"), and stop falls back to SIGKILL.
 * - the FIFO's name is removed when tcpdump exits; a reader that already opened it keeps reading.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, lchownSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { HelperFailure, clip } from '../errors.js';
import { CHILD_ENV, runInNamespace, run } from '../run-command.js';
import { requireTool } from '../tools.js';
import { withTimeout } from '../with-timeout.js';
import type { CaptureEndedEvent } from '../context.js';
import type { InvokingUser } from '../invoking-user.js';

export interface CaptureCounts {
  packetsCaptured: number | null;
  kernelDrops: number | null;
}

interface Capture {
  id: string;
  ns: string;
  dev: string;
  fifo: string;
  child: ChildProcess;
  /** Set when a `capture.stop` request ended it: that reply carries the counts, so no event. */
  stoppedByRequest: boolean;
  exited: Promise<CaptureCounts>;
}

/**
 * Kernel capture buffer (tcpdump -B, KiB). With --immediate-mode libpcap uses fixed-size ring
 * frames: ~2 KiB each for a 1500-byte MTU, but 64 KiB when the device reports segmentation or
 * receive offloads (see `wireSizedFrames`). At 2 KiB, tcpdump's 2 MiB default holds only ~1,000
 * packets: 50 ms at 20,000 pps. Any stall of tcpdump or of the engine reading the pipe longer
 * than that (a busy 2-core host, GC, a slow reader) turned into kernel drops — measured 15–2,700
 * of 5,000 packets at 2,500 pps on a loaded machine. 32 MiB rides out ~0.8 s at 20,000 pps
 * (0 drops in the same runs) and is only held while a capture runs.
 */
const KERNEL_BUFFER_KIB = 32 * 1024;

/** tcpdump prints "listening on" once the device is open and the filter installed. */
const READY_TIMEOUT_MS = 5_000;
/** SIGINT normally ends tcpdump at once; a tcpdump blocked writing to a full FIFO needs SIGKILL. */
const STOP_GRACE_MS = 3_000;
/**
 * tcpdump exits on SIGINT without reading what is still in its kernel ring, and those packets
 * are counted neither as captured nor as dropped: a stop right after a burst on a busy machine
 * silently lost the last frames (seen in CI). So a requested stop first waits until tcpdump
 * has written nothing for DRAIN_QUIET_MS (it has caught up), at most DRAIN_MAX_MS (traffic
 * that never pauses).
 */
const DRAIN_QUIET_MS = 150;
const DRAIN_MAX_MS = 2_000;
const MAX_STDERR = 64 * 1024;

/** Bytes process `pid` has written so far (/proc/PID/io), or null once it is gone. */
function writtenBytes(pid: number): number | null {
  try {
    const match = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Resolves once `pid` has written nothing for DRAIN_QUIET_MS, or after DRAIN_MAX_MS. */
async function drained(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const started = Date.now();
  let last = writtenBytes(pid);
  let quietSince = started;
  while (last !== null && Date.now() - started < DRAIN_MAX_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = writtenBytes(pid);
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= DRAIN_QUIET_MS) return;
  }
}

export function parseCounts(stderr: string): CaptureCounts {
  const captured = /(\d+) packets? captured/.exec(stderr);
  const dropped = /(\d+) packets? dropped by kernel/.exec(stderr);
  return {
    packetsCaptured: captured?.[1] !== undefined ? Number(captured[1]) : null,
    kernelDrops: dropped?.[1] !== undefined ? Number(dropped[1]) : null,
  };
}

/** tcpdump's complaint without its "tcpdump: " prefix. */
function tcpdumpMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('('));
  return clip(lines.map((l) => l.replace(/^tcpdump: /, '')).join('; ') || 'tcpdump failed without a message', 400);
}

/** A device problem (missing, down) as opposed to a filter problem; null when neither. */
function deviceFailure(ns: string, dev: string, stderr: string): HelperFailure | null {
  if (/No such device|doesn't exist|does not exist/i.test(stderr)) {
    return new HelperFailure('not-found', `cannot capture on ${dev} in ${ns}: it does not exist`, 'capture on a bridge or TAP that is created (is the lab/VM started?)');
  }
  if (/not up/i.test(stderr)) {
    return new HelperFailure('command-failed', `cannot capture on ${dev} in ${ns}: the interface is down`, 'bring it up first (link.set up:true)');
  }
  return null;
}

export interface CaptureManagerDeps {
  user: InvokingUser;
  emit(event: CaptureEndedEvent): void;
  log(message: string): void;
}

export class CaptureManager {
  private readonly captures = new Map<string, Capture>();
  /** Every tcpdump alive, including one still starting (not in `captures` yet). */
  private readonly children = new Set<ChildProcess>();
  /** Random start: several helpers for one user share the captures folder. */
  private next = 1 + Math.floor(Math.random() * 1_000_000);

  constructor(private readonly deps: CaptureManagerDeps) {}

  get folder(): string {
    return `${this.deps.user.runtimeRoot}/captures`;
  }

  /** FIFOs of captures this helper is running (gc must not remove those). */
  get activeFifos(): Set<string> {
    return new Set([...this.captures.values()].map((c) => c.fifo));
  }

  async start(ns: string, dev: string, filter: string | undefined, snaplen: number | undefined): Promise<{ captureId: string; fifo: string }> {
    const tcpdump = requireTool('tcpdump');
    const expression = filter?.trim() ? filter : undefined;
    if (expression !== undefined) await this.checkFilter(ns, dev, expression);
    await this.wireSizedFrames(ns, dev);

    const { id, fifo } = await this.makeFifo();
    let fd: number;
    try {
      // O_NOFOLLOW: the name was just created by mkfifo; refuse anything swapped in since.
      fd = openSync(fifo, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (err) {
      rmSync(fifo, { force: true });
      throw new HelperFailure('command-failed', `could not open capture pipe ${fifo}: ${(err as Error).message}`);
    }
    const args = ['netns', 'exec', ns, tcpdump, '-i', dev, '-B', String(KERNEL_BUFFER_KIB), '-U', '--immediate-mode', '-w', '-'];
    if (snaplen !== undefined) args.push('-s', String(snaplen));
    if (expression !== undefined) args.push('--', expression);
    let child: ChildProcess;
    try {
      child = spawn(requireTool('ip'), args, { stdio: ['ignore', fd, 'pipe'], env: CHILD_ENV, cwd: '/' });
    } finally {
      closeSync(fd);
    }
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));

    let stderr = '';
    let markReady: () => void = () => undefined;
    const listening = new Promise<'ready'>((resolve) => {
      markReady = () => resolve('ready');
    });
    const exited = new Promise<CaptureCounts>((resolve) => {
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        if (stderr.length < MAX_STDERR) stderr += text;
        if (stderr.includes('listening on')) markReady();
      });
      child.on('error', () => resolve({ packetsCaptured: null, kernelDrops: null }));
      child.on('close', () => resolve(parseCounts(stderr)));
    });

    const ready = await withTimeout(Promise.race([listening, exited.then(() => 'exited' as const)]), READY_TIMEOUT_MS, 'timeout' as const);
    if (ready !== 'ready') {
      child.kill('SIGKILL');
      await exited;
      rmSync(fifo, { force: true });
      if (ready === 'timeout') {
        throw new HelperFailure('command-failed', `tcpdump on ${dev} in ${ns} did not start listening within ${READY_TIMEOUT_MS / 1000} s (${tcpdumpMessage(stderr)})`, 'try again; if it persists, check the helper log');
      }
      throw deviceFailure(ns, dev, stderr) ?? new HelperFailure('command-failed', `tcpdump on ${dev} in ${ns} exited at once: ${tcpdumpMessage(stderr)}`);
    }

    const capture: Capture = { id, ns, dev, fifo, child, stoppedByRequest: false, exited };
    this.captures.set(id, capture);
    void exited.then((counts) => {
      this.captures.delete(id);
      rmSync(fifo, { force: true });
      if (!capture.stoppedByRequest) this.deps.emit({ event: 'capture.ended', captureId: id, ...counts });
    });
    return { captureId: id, fifo };
  }

  async stop(captureId: string): Promise<CaptureCounts> {
    const capture = this.captures.get(captureId);
    if (!capture) {
      throw new HelperFailure('not-found', `no running capture ${captureId} in this helper`, 'it already ended (see the capture.ended event) or was started by another helper process');
    }
    capture.stoppedByRequest = true;
    await drained(capture.child.pid);
    return this.end(capture);
  }

  /** Ends every capture in `ns` (before the namespace goes); each ends with a capture.ended event. */
  async stopAllIn(ns: string, reason: string): Promise<string[]> {
    const inNs = [...this.captures.values()].filter((c) => c.ns === ns);
    return this.endMany(inNs, reason);
  }

  /**
   * Ends every capture (the helper is leaving). `graceMs` bounds the wait for SIGINT: the
   * helper must be gone within 2 s of losing its engine, whatever tcpdump is doing.
   */
  async stopAll(reason: string, graceMs = STOP_GRACE_MS): Promise<string[]> {
    return this.endMany([...this.captures.values()], reason, graceMs);
  }

  /**
   * Last resort, synchronous, right before the process exits: SIGKILL every tcpdump still
   * running. tcpdump drops root for its own user, which clears any parent-death signal, so
   * nothing else would end a tcpdump whose helper is gone and whose traffic is quiet.
   */
  killAll(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  private async endMany(captures: Capture[], reason: string, graceMs = STOP_GRACE_MS): Promise<string[]> {
    await Promise.all(
      captures.map(async (c) => {
        this.deps.log(`capture ${c.id} on ${c.dev} in ${c.ns}: stopping (${reason})`);
        await this.end(c, graceMs);
      }),
    );
    return captures.map((c) => c.fifo);
  }

  private async end(capture: Capture, graceMs = STOP_GRACE_MS): Promise<CaptureCounts> {
    capture.child.kill('SIGINT');
    const result = await withTimeout(capture.exited, graceMs, null);
    if (result) return result;
    this.deps.log(`capture ${capture.id}: tcpdump ignored SIGINT for ${graceMs} ms (blocked on a full pipe?); killing it`);
    capture.child.kill('SIGKILL');
    return capture.exited;
  }

  /**
   * Turns segmentation and receive offloads off on the captured device. libpcap sizes every
   * capture-ring slot for the largest frame the device can show it: MTU + 18 normally, but
   * 64 KiB as soon as TSO, GSO, GRO or LRO is on — which a bridge inherits from its ports and a
   * TAP has by default. 64 KiB slots let the 32 MiB ring hold ~500 packets, and a 20,000 pps
   * burst overflowed it (6,444 of 100,000 dropped, bench/dissect); MTU-sized slots hold ~16,000.
   * Lab NICs never produce oversized frames (NIC_OFFLOADS_OFF in shared/qemu-spec.ts), so this
   * loses nothing. Only devices in the lab's own namespace are touched. A device that refuses
   * (a fixed feature) still captures, with less headroom, so that is logged, not fatal.
   */
  private async wireSizedFrames(ns: string, dev: string): Promise<void> {
    const result = await runInNamespace(ns, 'ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    if (result.code === 0) return;
    const missing = deviceFailure(ns, dev, result.stderr);
    if (missing) throw missing;
    this.deps.log(`capture on ${dev} in ${ns}: could not turn offloads off (${clip(result.stderr, 200)}); the capture ring holds fewer packets`);
  }

  /** Compiles the filter for the device's link type; a compile error is the caller's mistake. */
  private async checkFilter(ns: string, dev: string, expression: string): Promise<void> {
    const result = await runInNamespace(ns, 'tcpdump', ['-i', dev, '-d', '--', expression]);
    if (result.code === 0) return;
    throw deviceFailure(ns, dev, result.stderr) ?? new HelperFailure('bad-filter', `capture filter "${clip(expression, 200)}" is not valid: ${tcpdumpMessage(result.stderr)}`, 'use pcap-filter syntax, e.g. "icmp or arp" or "tcp port 80"');
  }

  /** Creates `<folder>/cap-N.pcap` (0600, owned by the invoking user) under a fresh id. */
  private async makeFifo(): Promise<{ id: string; fifo: string }> {
    this.ensureFolder();
    for (let attempt = 0; attempt < 100; attempt++) {
      const n = this.next;
      this.next = this.next >= 999_999_999 ? 1 : this.next + 1;
      const id = `cap-${n}`;
      const fifo = `${this.folder}/${id}.pcap`;
      const made = await run('mkfifo', ['-m', '0600', '--', fifo]);
      if (made.code !== 0) {
        if (/File exists/i.test(made.stderr)) continue;
        throw new HelperFailure('command-failed', `could not create capture pipe ${fifo}: ${clip(made.stderr)}`);
      }
      lchownSync(fifo, this.deps.user.uid, this.deps.user.gid);
      return { id, fifo };
    }
    throw new HelperFailure('command-failed', `could not find a free capture name in ${this.folder}`, 'run gc to remove stale capture pipes');
  }

  /**
   * `/run/wirebench/<uid>/captures`, root-owned: the helper creates and chowns files here as
   * root, so nobody else may be able to swap the folder for a symlink.
   */
  private ensureFolder(): void {
    for (const dir of [this.deps.user.runtimeRoot, this.folder]) {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    }
    const info = lstatSync(this.folder);
    if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
      throw new HelperFailure('permission-denied', `capture folder ${this.folder} is not a root-owned folder writable only by root`, `remove it (rm -r ${this.folder}); the helper recreates it`);
    }
  }
}
