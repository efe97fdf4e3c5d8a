/**
 * The serial console of one VM: readiness, commands with exit codes, and a raw byte stream
 * for an interactive terminal. QEMU's serial socket serves one client at a time, so one
 * SerialConsole per VM is shared by automation (`run`) and the terminal (`onData`/`write`).
 *
 * How `run` finds the output in a shell's echo: it types (after Ctrl-U, which clears a
 * half-typed line someone left in the terminal)
 *
 *   printf '__WB_%s_B__\n' <nonce>; __wb_cmd='<command>'; sh -nc "$__wb_cmd" && eval "$__wb_cmd";
 *   printf '__WB_%s_E_%d__\n' <nonce> $?                                    (one line)
 *
 * The shell echoes this input (with prompts and line-editing escapes), but only the printf
 * output contains `__WB_<nonce>_B__` literally, so the echo can never be mistaken for a
 * marker. The whole input is parsed before it runs, so all echo and continuation prompts come
 * before the begin marker and only the command's own output lies between the two. Quoting the
 * command keeps its trailing `#` comment or `&` from swallowing the end marker; `eval` runs it
 * in the shell itself (so `cd` and `export` last); `sh -n` checks its syntax first, because a
 * syntax error inside `eval` would make the interactive shell drop the rest of the line, end
 * marker included, and the run would never finish. Such a command gets exit code 2 instead.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { connectUnixSocket } from './unix-socket.js';

/** Printed by the tiny guest's init (assets/guest/init) once its NICs and hosts are set up. */
export const READY_MARKER = 'WIREBENCH-READY';

/**
 * Busybox ash's line editor keeps about 1024 bytes per line (CONFIG_FEATURE_EDITING_MAX_LEN)
 * and silently drops the rest (measured: a 1,045-byte input line lost its `| wc -c`). Input
 * lines longer than this (markers and quoting included) are refused rather than run truncated.
 */
export const MAX_INPUT_LINE = 1000;

/**
 * A root prompt (`a# `) at the very end of the output. Busybox ash follows each prompt with a
 * cursor-position query (ESC [ 6 n), so trailing escape sequences are allowed.
 */
const PROMPT_AT_END = /\S# (?:\x1b\[[0-9;?]*[A-Za-z])*$/;

/** How much of the console's recent output is kept for readiness checks and error messages. */
const RECENT_CHARS = 16_384;
/** How much of the serial log is searched for a marker printed before we connected. */
const LOG_SCAN_BYTES = 1 << 20;

export interface SerialConsoleOptions {
  socketPath: string;
  /** The VM's name, for error messages. */
  vm: string;
  /** QEMU's `logfile=` of the serial chardev: holds output from before we connected. */
  logPath?: string;
  /** Budget for the socket to appear (default 10 s). */
  connectTimeoutMs?: number;
  /** Longest input line `run` may type (default MAX_INPUT_LINE, the limit of ash's line editor). */
  maxInputLine?: number;
}

export interface RunOptions {
  /** Default 30 s. On timeout Ctrl-C is sent to the guest (unless `interrupt` is false) and the promise rejects. */
  timeoutMs?: number;
  interrupt?: boolean;
}

export interface RunResult {
  exitCode: number;
  /** What the command printed (stdout and stderr, `\r\n` turned into `\n`, final newline removed). */
  output: string;
}

interface ActiveRun {
  begin: string;
  end: RegExp;
  text: string;
  onText: () => void;
}

export class SerialConsole {
  readonly vm: string;
  private readonly socket: Socket;
  private readonly logPath: string | undefined;
  private readonly maxInputLine: number;
  private readonly decoder = new StringDecoder('utf8');
  private readonly dataHandlers = new Set<(chunk: Buffer) => void>();
  private readonly textWatchers = new Set<() => void>();
  private readonly closeHandlers = new Set<() => void>();
  private recent = '';
  private active: ActiveRun | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private ready = false;
  private isClosed = false;
  private readonly closedPromise: Promise<void>;

  static async connect(options: SerialConsoleOptions): Promise<SerialConsole> {
    const socket = await connectUnixSocket(options.socketPath, `serial console socket of VM ${options.vm}`, options.connectTimeoutMs ?? 10_000);
    return new SerialConsole(socket, options);
  }

  private constructor(socket: Socket, options: SerialConsoleOptions) {
    this.socket = socket;
    this.vm = options.vm;
    this.logPath = options.logPath;
    this.maxInputLine = options.maxInputLine ?? MAX_INPUT_LINE;
    socket.on('data', (chunk: Buffer) => this.onChunk(chunk));
    // Errors always precede 'close', which is where they are handled.
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.active?.onText();
        for (const watcher of [...this.textWatchers]) watcher();
        for (const handler of [...this.closeHandlers]) handler();
        this.closeHandlers.clear();
        resolve();
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Resolves once the guest is ready: its init printed `WIREBENCH-READY` (seen live, or in the
   * serial log when it was printed before we connected). Without a log path it sends a
   * newline every second and accepts a shell prompt (`…# `) as ready, for guests adopted
   * long after boot.
   */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    if (this.ready) return;
    const deadline = Date.now() + timeoutMs;
    let nextPoke = Date.now();
    while (!this.ready) {
      if (this.recent.includes(READY_MARKER) || (await this.logHasMarker())) {
        this.ready = true;
        break;
      }
      if (this.logPath === undefined) {
        if (PROMPT_AT_END.test(this.recent)) {
          this.ready = true;
          break;
        }
        if (Date.now() >= nextPoke) {
          this.write('\n');
          nextPoke = Date.now() + 1000;
        }
      }
      if (this.isClosed) throw new Error(`serial console of VM ${this.vm} closed before the guest was ready; QEMU exited (see its serial log)`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `VM ${this.vm} did not print ${READY_MARKER} on its serial console within ${timeoutMs} ms; ` +
            `it may still be booting (TCG is slow) or its init failed. Last output: ${JSON.stringify(this.recent.slice(-300))}`,
        );
      }
      await this.nextText(Math.min(left, 250));
    }
  }

  /**
   * Runs `command` in the guest's shell and resolves with its exit code and output. Runs are
   * serialized. `exit` ends the shell itself (init starts a new one) and so never returns:
   * use `(exit 3)` or `sh -c '…'` instead.
   */
  run(command: string, options: RunOptions = {}): Promise<RunResult> {
    const result = this.queue.then(() => this.runNow(command, options.timeoutMs ?? 30_000, options.interrupt ?? true));
    this.queue = result.catch(() => {});
    return result;
  }

  /** Raw bytes to the guest (keystrokes of an interactive terminal). */
  write(data: string | Buffer): void {
    if (!this.isClosed) this.socket.write(data);
  }

  /** Every byte the guest prints, as it arrives; returns the unsubscribe. */
  onData(handler: (chunk: Buffer) => void): () => void {
    this.dataHandlers.add(handler);
    return () => {
      this.dataHandlers.delete(handler);
    };
  }

  /** Called once when the console closes (QEMU exited, or `close()`); returns the unsubscribe. */
  onClose(handler: () => void): () => void {
    if (this.isClosed) {
      queueMicrotask(handler);
      return () => {};
    }
    this.closeHandlers.add(handler);
    return () => {
      this.closeHandlers.delete(handler);
    };
  }

  /** Disconnects (the guest keeps running; QEMU keeps logging its output). */
  async close(): Promise<void> {
    if (!this.socket.destroyed) this.socket.destroy();
    await this.closedPromise;
  }

  // ---- internals ------------------------------------------------------------------------

  /**
   * Resolves once a shell answers on this line. A serial port drops what arrives while no
   * program in the guest has it open, so a shell that is still starting would lose a command
   * typed now; each probe has its own markers, so late answers to earlier probes are ignored.
   */
  async waitForShell(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.run(':', { timeoutMs: Math.min(1500, Math.max(100, deadline - Date.now())), interrupt: false });
        return;
      } catch (err) {
        if (this.isClosed || Date.now() >= deadline) {
          throw new Error(`no shell answered on ${this.vm}'s automation channel within ${timeoutMs} ms (${(err as Error).message})`);
        }
      }
    }
  }

  private async runNow(command: string, timeoutMs: number, interrupt: boolean): Promise<RunResult> {
    const nonce = randomBytes(6).toString('hex');
    const input = shellInput(command, nonce);
    const longest = Math.max(...input.split('\n').map((line) => Buffer.byteLength(line)));
    if (longest > this.maxInputLine) {
      throw new Error(
        `command for VM ${this.vm} makes a ${longest}-byte input line (markers and quoting included); ` +
          `the guest shell reads at most ${this.maxInputLine} bytes per line. Split it over several lines or several runs`,
      );
    }
    if (this.isClosed) throw new Error(`serial console of VM ${this.vm} is closed; reconnect (is the VM running?)`);

    const begin = `__WB_${nonce}_B__`;
    const end = new RegExp(`__WB_${nonce}_E_(\\d+)__`);
    return new Promise<RunResult>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.active = null;
      };
      const timer = setTimeout(() => {
        finish();
        // Interrupt the command so the shell is free for the next run.
        if (interrupt) this.write('\x03');
        reject(new Error(`command on VM ${this.vm} did not finish within ${timeoutMs} ms (sent Ctrl-C): ${command.slice(0, 120)}`));
      }, timeoutMs);
      const run: ActiveRun = {
        begin,
        end,
        text: '',
        onText: () => {
          if (this.isClosed) {
            finish();
            reject(new Error(`serial console of VM ${this.vm} closed while running: ${command.slice(0, 120)}`));
            return;
          }
          const parsed = parseRunOutput(run.text, begin, end);
          if (!parsed) return;
          finish();
          resolve(parsed);
        },
      };
      this.active = run;
      this.write(`\x15${input}`);
    });
  }

  private onChunk(chunk: Buffer): void {
    for (const handler of this.dataHandlers) {
      try {
        handler(chunk);
      } catch (error) {
        // A terminal's bug must not stop command runs or readiness checks.
        process.emitWarning(`serial data handler of VM ${this.vm} threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const text = this.decoder.write(chunk);
    this.recent = (this.recent + text).slice(-RECENT_CHARS);
    if (this.active) {
      this.active.text += text;
      this.active.onText();
    }
    for (const watcher of [...this.textWatchers]) watcher();
  }

  /** Resolves when more output arrives, the console closes, or after `ms`. */
  private nextText(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.textWatchers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.textWatchers.add(done);
    });
  }

  private async logHasMarker(): Promise<boolean> {
    if (this.logPath === undefined) return false;
    let file;
    try {
      file = await open(this.logPath, 'r');
    } catch {
      return false; // not created yet
    }
    try {
      const length = Math.min((await file.stat()).size, LOG_SCAN_BYTES);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead).includes(READY_MARKER);
    } finally {
      await file.close();
    }
  }
}

/** What `run` types: the command between a begin and an end marker (see the top of this file). */
export function shellInput(command: string, nonce: string): string {
  const quoted = `'${(command.trim() || ':').replace(/'/g, `'\\''`)}'`;
  return `printf '__WB_%s_B__\\n' ${nonce}; __wb_cmd=${quoted}; sh -nc "$__wb_cmd" && eval "$__wb_cmd"; printf '__WB_%s_E_%d__\\n' ${nonce} $?\n`;
}

/** Output between the begin and end markers, or null while the end marker has not arrived. */
export function parseRunOutput(text: string, begin: string, end: RegExp): RunResult | null {
  const beginAt = text.indexOf(begin);
  if (beginAt < 0) return null;
  const afterBegin = text.indexOf('\n', beginAt + begin.length);
  if (afterBegin < 0) return null;
  const body = text.slice(afterBegin + 1);
  const match = end.exec(body);
  if (!match) return null;
  const output = body
    .slice(0, match.index)
    .replace(/\r\n/g, '\n')
    .replace(/\n$/, '');
  return { exitCode: Number(match[1]), output };
}
