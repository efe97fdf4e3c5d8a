/**
 * The engine's side of the privileged helper: starts it (directly when the engine is root,
 * through pkexec otherwise), sends typed requests as JSON lines, parses every line it answers
 * with the protocol schema, and turns `{ok:false}` answers into real `Error`s (WirebenchError,
 * with the helper's code and hint, so they reach the UI unchanged).
 *
 * If the helper dies, calls in flight fail with a clear error and the helper is restarted once;
 * a second death is final (a helper that keeps dying needs a person, and under pkexec every
 * restart is another password prompt).
 *
 * Started with execa, as every program the engine and the CLI start: one long-lived process
 * with piped stdio, no output buffering (the protocol reader consumes it line by line), its
 * exit reported through `onHelperGone` rather than as a rejected promise, and no kill on our
 * exit (closing its stdin is how it is told to stop; under pkexec we could not signal it).
 * The CLI bundle (scripts/build-node.mjs) bundles execa; the helper itself does not use it.
 */
import { execa, type Subprocess } from 'execa';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { WirebenchError } from '../../../shared/api.js';
import { Correlator } from '../../../shared/correlator.js';
import { helperResponseSchema, type HelperCall, type HelperOp, type HelperResults } from '../../../shared/helper-protocol.js';

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** QEMU set-up under TCG on a loaded machine is slow; the helper itself allows it 50 s. */
export const QEMU_START_TIMEOUT_MS = 60_000;
/** Where a packaged install puts the helper launcher (the polkit policy names the same path). */
export const INSTALLED_HELPER_PATH = '/usr/lib/wirebench/wirebench-helper';
const BUNDLE_NAME = 'wirebench-helper.mjs';

/** Error codes the client itself produces (the helper's own codes are in electron/helper/errors.ts). */
export type ClientErrorCode = 'helper-exited' | 'timeout' | 'bad-response' | 'client-closed' | 'start-failed';

/** A failed helper call: `code` is the helper's error code (or one of ClientErrorCode). */
export class HelperCallError extends WirebenchError {
  constructor(
    code: string,
    message: string,
    readonly op: HelperOp | null,
    hint?: string,
  ) {
    super(code, message, hint);
    this.name = 'HelperCallError';
  }
}

export interface CaptureEnded {
  captureId: string;
  packetsCaptured: number | null;
  kernelDrops: number | null;
}

export interface HelperClientEvents {
  /** A capture's tcpdump ended without capture.stop (device gone, namespace deleted, helper died). */
  'capture.ended': CaptureEnded;
  /** The helper died and was started again; `reason` says how it died. */
  restarted: { reason: string };
  /** One line of the helper's stderr (its diagnostics). */
  log: string;
}
type EventName = keyof HelperClientEvents;
type Listener<E extends EventName> = (payload: HelperClientEvents[E]) => void;

export interface HelperClientOptions {
  /** The bundled helper (`out/helper/wirebench-helper.mjs`); default found from this file's location. */
  helperPath?: string;
  /** Node binary that runs the bundle; default `process.execPath` (Electron runs it as Node). */
  nodePath?: string;
  /** Start the helper directly instead of through pkexec; default: whether this process is root. */
  asRoot?: boolean;
  pkexecPath?: string;
  /** Used with pkexec when it exists, so polkit shows Wirebench's own action (see assets/polkit). */
  installedHelperPath?: string;
  /** Extra `WIREBENCH_*` variables for the helper (pkexec passes no environment through). */
  env?: Record<string, string>;
  defaultTimeoutMs?: number;
  /** Time allowed for the first `info` answer: includes the password prompt under pkexec. */
  startTimeoutMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
}

/** The command that starts the helper; pure, so the pkexec form is testable without pkexec. */
export function helperCommand(
  options: HelperClientOptions,
  context: { isRoot: boolean; isElectron: boolean; env: NodeJS.ProcessEnv; installedHelperExists: boolean },
): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const nodePath = options.nodePath ?? process.execPath;
  const helperPath = resolve(options.helperPath ?? defaultHelperPath());
  const forwarded: Record<string, string> = {};
  for (const [key, value] of Object.entries(context.env)) if (key.startsWith('WIREBENCH_') && value !== undefined) forwarded[key] = value;
  Object.assign(forwarded, options.env ?? {});
  // Electron's binary behaves as plain Node only with this set.
  if (context.isElectron) forwarded.ELECTRON_RUN_AS_NODE = '1';

  if (options.asRoot ?? context.isRoot) {
    return { file: nodePath, args: [helperPath], env: { ...context.env, ...forwarded } };
  }
  const pkexec = options.pkexecPath ?? 'pkexec';
  if (context.installedHelperExists && options.helperPath === undefined) {
    return { file: pkexec, args: [options.installedHelperPath ?? INSTALLED_HELPER_PATH], env: context.env };
  }
  // Development: pkexec scrubs the environment, so variables travel as `env NAME=value` argv.
  const assignments = Object.entries(forwarded).map(([key, value]) => `${key}=${value}`);
  return { file: pkexec, args: ['/usr/bin/env', ...assignments, nodePath, helperPath], env: context.env };
}

/**
 * The helper bundle next to the code: from the source tree (electron/engine/net/) or from a
 * bundle under out/ (out/cli/, out/main/), the first ancestor holding out/helper/ or helper/.
 */
export function defaultHelperPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let depth = 0; depth < 6; depth++) {
    for (const candidate of [join(dir, 'out', 'helper', BUNDLE_NAME), join(dir, 'helper', BUNDLE_NAME)]) {
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(here, '../../../out/helper', BUNDLE_NAME);
}

const anyEmpty = z.record(z.string(), z.never());
const counts = { packetsCaptured: z.number().int().nullable(), kernelDrops: z.number().int().nullable() };
/** What each op must answer; a mismatch means helper and engine are from different versions. */
const resultSchemas: { [K in HelperOp]: z.ZodType<HelperResults[K]> } = {
  info: z.object({
    version: z.string(),
    uid: z.number().int(),
    qemuUid: z.number().int(),
    qemuGid: z.number().int(),
    runtimeRoot: z.string(),
    namespaces: z.array(z.string()),
  }),
  'ns.create': z.object({ ns: z.string() }),
  'ns.delete': z.object({ ns: z.string() }),
  'ns.adopt': z.object({ ns: z.string(), pids: z.array(z.number().int()) }),
  'bridge.create': anyEmpty,
  'bridge.delete': anyEmpty,
  'tap.create': anyEmpty,
  'tap.delete': anyEmpty,
  'link.attach': anyEmpty,
  'link.detach': anyEmpty,
  'link.set': anyEmpty,
  'netem.set': z.object({ qdisc: z.enum(['netem', 'tbf']), notApplied: z.array(z.enum(['delay', 'jitter', 'loss'])) }),
  'netem.clear': anyEmpty,
  'link.mtu': anyEmpty,
  'capture.start': z.object({ captureId: z.string(), fifo: z.string() }),
  'capture.stop': z.object(counts),
  'qemu.start': z.object({ pid: z.number().int().positive() }),
  gc: z.object({ removed: z.array(z.string()) }),
};

/** What the client remembers of a call while it waits for the answer. */
interface PendingCall {
  op: HelperOp;
  /** For capture.stop: which capture it ends (the answer does not say). */
  captureId?: string;
}

/** An answer line that passed the protocol schema (events excluded). */
type HelperAnswer = Extract<z.infer<typeof helperResponseSchema>, { id: unknown }>;

/** The request id when a line that failed the schema still carries one. */
function idOf(value: unknown): number | null {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'id')) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null, viaPkexec: boolean): string {
  if (signal) return `signal ${signal}`;
  if (viaPkexec && code === 126) return 'code 126: the authorization was dismissed or refused';
  if (viaPkexec && code === 127) return 'code 127: pkexec could not authenticate you or could not run the helper';
  return `code ${code}`;
}

const STDERR_TAIL_LINES = 20;

export class HelperClient {
  private child: Subprocess | null = null;
  private viaPkexec = false;
  private readonly calls = new Correlator<PendingCall, number, HelperAnswer>({
    timeoutError: ({ op }, timeoutMs) =>
      new HelperCallError('timeout', `the privileged helper did not answer "${op}" within ${timeoutMs} ms`, op, 'it may still finish in the background; check the lab state before retrying'),
    onStray: ({ answer }) => this.onStrayAnswer(answer),
  });
  private readonly listeners: { [E in EventName]: Set<Listener<E>> } = { 'capture.ended': new Set(), restarted: new Set(), log: new Set() };
  /** Captures started through this client and not yet ended: reported ended if the helper dies. */
  private readonly activeCaptures = new Set<string>();
  private stderrTail: string[] = [];
  private started = false;
  private closing = false;
  private restartCount = 0;
  private exitWaiters: Array<() => void> = [];

  private constructor(private readonly options: HelperClientOptions) {}

  /** Starts the helper and waits for its first `info` answer (after the password prompt, if any). */
  static async start(options: HelperClientOptions = {}): Promise<HelperClient> {
    const client = new HelperClient(options);
    client.spawnHelper();
    const isRoot = options.asRoot ?? process.getuid?.() === 0;
    const startTimeoutMs = options.startTimeoutMs ?? (isRoot ? 15_000 : 120_000);
    try {
      await client.call({ op: 'info' }, { timeoutMs: startTimeoutMs });
    } catch (err) {
      await client.close();
      const why = err instanceof Error ? err.message : String(err);
      const bundle = resolve(options.helperPath ?? defaultHelperPath());
      const hint = !isRoot
        ? 'Wirebench needs administrator rights to create lab networks; accept the authorization prompt'
        : existsSync(bundle)
          ? 'the helper log (stderr) says why'
          : `build it first (npm run build): ${bundle} is missing`;
      throw new HelperCallError('start-failed', `could not start the privileged helper: ${why}`, null, hint);
    }
    client.started = true;
    return client;
  }

  /** Pid of the current helper process (under pkexec: of pkexec, which execs the helper). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times the helper was restarted (0 or 1). */
  get restarts(): number {
    return this.restartCount;
  }

  call<O extends HelperOp>(request: Extract<HelperCall, { op: O }>, options: CallOptions = {}): Promise<HelperResults[O]> {
    const op = request.op as O;
    // Widened to the union so the capture.stop branch below can read its captureId.
    const plain: HelperCall = request;
    const child = this.child;
    const timeoutMs = options.timeoutMs ?? (op === 'qemu.start' ? QEMU_START_TIMEOUT_MS : this.options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    // After close (or once the helper is gone for good) the correlator refuses the call.
    return this.calls.request<HelperResults[O]>(
      { op, ...(plain.op === 'capture.stop' ? { captureId: plain.captureId } : {}) },
      (id) => {
        if (!child?.stdin?.writable) throw new HelperCallError('helper-exited', `cannot call "${op}": the privileged helper is not running`, op);
        child.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
      },
      { timeoutMs },
    );
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    const set = this.listeners[event] as Set<Listener<E>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Ends the helper (it stops its captures; namespaces and guests stay) and fails pending calls. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.calls.close(
      ({ op }) => new HelperCallError('client-closed', `"${op}" was cancelled: the helper client was closed`, op),
      ({ op }) => new HelperCallError('client-closed', `cannot call "${op}": the helper client is closed`, op),
    );
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => this.exitWaiters.push(resolveExit));
    child.stdin?.end();
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5_000).unref())]);
    // Under pkexec the helper is root and this process cannot signal it; closing stdin is the way.
    if (timedOut && (this.options.asRoot ?? process.getuid?.() === 0)) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
    }
  }

  private emit<E extends EventName>(event: E, payload: HelperClientEvents[E]): void {
    for (const listener of this.listeners[event] as Set<Listener<E>>) {
      try {
        listener(payload);
      } catch {
        // A listener's bug must not break the protocol reader.
      }
    }
  }

  private spawnHelper(): void {
    const command = helperCommand(this.options, {
      isRoot: process.getuid?.() === 0,
      isElectron: process.versions.electron !== undefined,
      env: process.env,
      installedHelperExists: existsSync(this.options.installedHelperPath ?? INSTALLED_HELPER_PATH),
    });
    this.viaPkexec = command.file !== (this.options.nodePath ?? process.execPath);
    const child = execa(command.file, command.args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      env: command.env,
      extendEnv: false,
      buffer: false,
      reject: false,
      cleanup: false,
      forceKillAfterDelay: false,
    });
    // Its end is reported by the 'exit' and 'error' events below; the promise must not go unhandled.
    void child.catch(() => undefined);
    this.child = child;
    this.stderrTail = [];
    child.stdin?.on('error', () => undefined); // EPIPE when it died: the exit handler reports it.
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.emit('log', line);
    });
    let reported = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      if (reported) return;
      reported = true;
      if (this.child === child) this.onHelperGone(code, signal, spawnError);
    };
    child.on('error', (err) => onGone(null, null, err));
    child.on('exit', (code, signal) => onGone(code, signal));
  }

  private onLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.emit('log', `protocol: ignored a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const parsed = helperResponseSchema.safeParse(value);
    if (!parsed.success) {
      const id = idOf(value);
      const failed =
        id !== null &&
        this.calls.fail(
          id,
          ({ op }) => new HelperCallError('bad-response', `the privileged helper sent a malformed answer to "${op}": ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`, op, 'the helper and the app are probably from different versions; reinstall or rebuild'),
        );
      if (!failed) this.emit('log', `protocol: ignored a malformed line: ${line.slice(0, 200)}`);
      return;
    }
    const message = parsed.data;
    if ('event' in message) {
      this.activeCaptures.delete(message.captureId);
      this.emit('capture.ended', { captureId: message.captureId, packetsCaptured: message.packetsCaptured, kernelDrops: message.kernelDrops });
      return;
    }
    if (message.id === null) return this.onStrayAnswer(message);
    this.calls.answer(message.id, message, (answer, pending) => {
      if (!answer.ok) throw new HelperCallError(answer.error.code, answer.error.message, pending.op, answer.error.hint);
      const result = resultSchemas[pending.op].safeParse(answer.result);
      if (!result.success) {
        throw new HelperCallError('bad-response', `the privileged helper's answer to "${pending.op}" has an unexpected shape: ${result.error.issues[0]?.message ?? 'schema mismatch'}`, pending.op, 'the helper and the app are probably from different versions; reinstall or rebuild');
      }
      if (pending.op === 'capture.start') this.activeCaptures.add((result.data as HelperResults['capture.start']).captureId);
      // A requested stop gets no capture.ended event from the helper: forget the capture here.
      if (pending.captureId !== undefined) this.activeCaptures.delete(pending.captureId);
      return result.data;
    });
  }

  /** A late answer to a call that timed out, or an error about an unreadable line. */
  private onStrayAnswer(answer: HelperAnswer): void {
    if (!answer.ok) this.emit('log', `protocol: helper error without a waiting call: ${answer.error.code}: ${answer.error.message}`);
  }

  private onHelperGone(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    for (const waiter of this.exitWaiters.splice(0)) waiter();
    this.child = null;
    // Its captures died with it (tcpdump is its child): tell subscribers, as if each ended.
    for (const captureId of [...this.activeCaptures]) this.emit('capture.ended', { captureId, packetsCaptured: null, kernelDrops: null });
    this.activeCaptures.clear();
    if (this.closing) return;

    const how = spawnError ? `could not be started: ${spawnError.message}` : describeExit(code, signal, this.viaPkexec);
    const lastWords = this.stderrTail.filter((l) => l.trim()).slice(-1)[0];
    const detail = lastWords ? ` (last log line: ${lastWords.slice(0, 300)})` : '';

    if (!this.started) {
      // Gone for good: pending and every later call fail with this.
      this.calls.close(new HelperCallError('helper-exited', `privileged helper exited (${how}) while starting${detail}`, null));
      return;
    }
    if (this.restartCount === 0) {
      this.restartCount = 1;
      this.calls.failAll(
        ({ op }) => new HelperCallError('helper-exited', `privileged helper exited (${how}) before answering "${op}"${detail}; it has been restarted — retry the operation`, op, 'if it keeps happening, the helper log (stderr) says why'),
      );
      this.spawnHelper();
      this.emit('restarted', { reason: how });
      return;
    }
    // Gone for good: pending and every later call fail with this.
    this.calls.close(
      new HelperCallError(
        'helper-exited',
        `privileged helper exited again (${how})${detail}; it was already restarted once and is not restarted again`,
        null,
        'restart Wirebench; if it keeps happening, report the helper log',
      ),
    );
  }
}
