/**
 * `vm.run` for disk images that carry the QEMU guest agent (`qemu-guest-agent` in Debian,
 * Ubuntu and Alpine cloud images). QEMU gives the agent a virtio-serial port named
 * `org.qemu.guest_agent.0` on the VM's agent socket (shared/qemu-spec.ts); the protocol is
 * QMP-shaped JSON, one object per line, answers in order and without ids:
 *
 *   0xFF {"execute":"guest-sync-delimited","arguments":{"id":N}}  → 0xFF {"return":N}
 *   {"execute":"guest-exec","arguments":{"path":"/bin/sh","arg":["-c",CMD],"capture-output":true}} → {"return":{"pid":P}}
 *   {"execute":"guest-exec-status","arguments":{"pid":P}} → {"return":{"exited":true,"exitcode":0,"out-data":B64,...}}
 *
 * The sync is how a client finds the start of the agent's answers after someone else (an
 * earlier engine) left a half-read reply on the line: the 0xFF makes the agent drop any partial
 * input, and everything before `{"return":N}` is discarded. Nothing here is typed into the
 * guest's console, so a person at the console never sees automation.
 */
import type { Socket } from 'node:net';
import { connectUnixSocket } from './unix-socket.js';
import type { RunOptions, RunResult } from './serial-console.js';

const POLL_MS = 100;
/** An image without the agent never answers; this is how long a sync may take to say so. */
const SYNC_TIMEOUT_MS = 3_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class GuestAgent {
  private buffer = '';
  private synced = false;
  private waiting: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closedError: Error | null = null;

  static async connect(socketPath: string, vm: string, connectTimeoutMs = 5_000): Promise<GuestAgent> {
    return new GuestAgent(await connectUnixSocket(socketPath, `guest agent socket of VM ${vm}`, connectTimeoutMs), vm);
  }

  private constructor(
    private readonly socket: Socket,
    readonly vm: string,
  ) {
    // latin1: the sync answer's 0xFF delimiter survives as one character; the JSON itself is ASCII.
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.onText(text));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedError = new Error(`the guest agent connection of VM ${vm} closed (QEMU exited?)`);
      this.waiting?.reject(this.closedError);
      this.waiting = null;
    });
  }

  /** Runs `command` with /bin/sh in the guest; output is stdout then stderr. Calls are serialized. */
  run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const result = this.queue.then(() => this.runNow(command, options.timeoutMs ?? 30_000));
    this.queue = result.catch(() => {});
    return result;
  }

  /** Whether an agent answers at all (false for images without one). */
  async answers(timeoutMs = SYNC_TIMEOUT_MS): Promise<boolean> {
    try {
      await this.sync(timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private async runNow(command: string, timeoutMs: number): Promise<RunResult> {
    const deadline = Date.now() + timeoutMs;
    if (!this.synced) await this.sync(Math.min(SYNC_TIMEOUT_MS, timeoutMs));
    const started = (await this.execute('guest-exec', { path: '/bin/sh', arg: ['-c', command], 'capture-output': true }, deadline)) as { pid?: unknown };
    if (typeof started?.pid !== 'number') throw new Error(`guest agent of VM ${this.vm} did not return a pid for guest-exec`);
    for (;;) {
      const status = (await this.execute('guest-exec-status', { pid: started.pid }, deadline)) as {
        exited?: boolean;
        exitcode?: number;
        signal?: number;
        'out-data'?: string;
        'err-data'?: string;
      };
      if (status.exited) {
        const text = [status['out-data'], status['err-data']]
          .filter((b): b is string => typeof b === 'string')
          .map((b) => Buffer.from(b, 'base64').toString('utf8'))
          .join('');
        const exitCode = typeof status.exitcode === 'number' ? status.exitcode : 128 + (status.signal ?? 0);
        return { exitCode, output: text.replace(/\r\n/g, '\n').replace(/\n$/, '') };
      }
      if (Date.now() + POLL_MS > deadline) {
        throw new Error(`command on VM ${this.vm} did not finish within ${timeoutMs} ms (the guest agent cannot interrupt it; it may still run): ${command.slice(0, 120)}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private async sync(timeoutMs: number): Promise<void> {
    const id = Math.floor(Math.random() * 2 ** 31);
    this.buffer = '';
    const answer = this.expect(Date.now() + timeoutMs, `guest-sync-delimited on VM ${this.vm} (is qemu-guest-agent installed and running in the image?)`);
    this.socket.write(`\xff${JSON.stringify({ execute: 'guest-sync-delimited', arguments: { id } })}\n`, 'latin1');
    // Answers to an earlier client's commands may still arrive before ours: skip them.
    for (let got = await answer; (got as { return?: unknown }).return !== id; ) {
      got = await this.expect(Date.now() + timeoutMs, `guest-sync-delimited on VM ${this.vm}`);
    }
    this.synced = true;
  }

  private async execute(command: string, args: Record<string, unknown>, deadline: number): Promise<unknown> {
    const answer = this.expect(deadline, `${command} on VM ${this.vm}`);
    this.socket.write(`${JSON.stringify({ execute: command, arguments: args })}\n`);
    const reply = (await answer) as { return?: unknown; error?: { class?: string; desc?: string } };
    if (reply.error) throw new Error(`guest agent of VM ${this.vm}: ${command} failed: ${reply.error.desc ?? reply.error.class ?? 'unknown error'}`);
    return reply.return;
  }

  /** The next JSON object from the agent, or a timeout (after which the line must be re-synced). */
  private expect(deadline: number, what: string): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.synced = false;
        reject(new Error(`no answer from the guest agent to ${what} in time`));
      }, Math.max(0, deadline - Date.now()));
      this.waiting = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.drain();
    });
  }

  private onText(text: string): void {
    this.buffer += text;
    this.drain();
  }

  private drain(): void {
    while (this.waiting) {
      // The delimiter byte of a sync answer is not part of the JSON.
      this.buffer = this.buffer.replace(/^[\s\xff]+/, '');
      const newline = this.buffer.indexOf('\n');
      if (newline < 0) return;
      let line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      // A sync answer starts at its 0xFF: whatever precedes it on the line is an earlier client's fragment.
      const delimiter = line.lastIndexOf('\xff');
      if (delimiter >= 0) line = line.slice(delimiter + 1);
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(line, 'latin1').toString('utf8'));
      } catch {
        continue; // a fragment of an answer meant for someone before us
      }
      if (typeof value === 'object' && value !== null && 'event' in value) continue;
      const waiting = this.waiting;
      this.waiting = null;
      waiting.resolve(value);
    }
  }
}
