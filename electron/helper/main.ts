/**
 * wirebench-helper: the only privileged part of Wirebench. One long-lived process started by
 * the engine (through pkexec, or directly when the engine already runs as root) that reads JSON
 * request lines on stdin and writes JSON response/event lines on stdout; diagnostics go to
 * stderr. See shared/helper-protocol.ts for the operations.
 *
 * It never outlives its engine: on end of stdin, a dead stdout/stderr (EPIPE, EIO), SIGTERM,
 * SIGINT or SIGHUP it stops its captures and exits, within SHUTDOWN_DEADLINE_MS whatever it
 * was doing (requests in flight are abandoned; their tools finish or time out on their own).
 * A second signal during that shutdown exits at once. It does NOT delete namespaces: guests
 * may outlive the app, and `gc` is the explicit clean-up.
 */
import { MAX_REQUEST_BYTES } from '../../shared/helper-protocol.js';
import type { CaptureEndedEvent, HelperContext } from './context.js';
import { handleLine, type Reply } from './dispatcher.js';
import { resolveInvokingUser } from './invoking-user.js';
import { KeyedQueue } from './keyed-queue.js';
import { LineReader } from './line-reader.js';
import { CaptureManager } from './ops/capture.js';
import { ensureStateDirs } from './ownership.js';
import { ensureRuntimeRoot } from './runtime-dir.js';
import { HelperStdio, isDeadPipeError } from './stdio.js';
import { HELPER_VERSION } from './version.js';
import { withTimeout } from './with-timeout.js';

/**
 * Everything ends within this once the engine is gone or a signal arrived (the engine and the
 * issue allow 2 s). Within it: requests already read may still be answered (stdin closed on
 * purpose, stdout still read) for DRAIN_TIMEOUT_MS, then tcpdump gets SIGINT and, after
 * CAPTURE_GRACE_MS, SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = 1_800;
const DRAIN_TIMEOUT_MS = 800;
const CAPTURE_GRACE_MS = 600;

// Before anything can be logged: a dead stdout/stderr must end the helper, never loop.
const stdio = new HelperStdio((stream, err) => {
  void shutdown(`${stream} closed (${(err as { code?: string } | null)?.code ?? String(err)})`, false);
});
stdio.install();

function log(message: string): void {
  stdio.err(`wirebench-helper: ${message}\n`);
}

function fatal(message: string): never {
  log(message);
  process.exit(1);
}

if (process.getuid?.() !== 0) {
  fatal('must run as root: the engine starts it through pkexec (or directly when the engine is root)');
}

let user;
try {
  user = resolveInvokingUser({ env: process.env, processUid: 0 });
  ensureStateDirs();
  ensureRuntimeRoot(user);
} catch (err) {
  fatal(`cannot start: ${(err as Error).message}`);
}

function send(message: Reply | CaptureEndedEvent): void {
  stdio.out(`${JSON.stringify(message)}\n`);
}

const ctx: HelperContext = {
  user,
  queue: new KeyedQueue(),
  captures: new CaptureManager({ user, emit: send, log }),
  emit: send,
  log,
};

const inFlight = new Set<Promise<void>>();

const reader = new LineReader(MAX_REQUEST_BYTES, {
  line(text) {
    const task = handleLine(ctx, text).then(send);
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  },
  tooLong() {
    send({
      id: null,
      ok: false,
      error: {
        code: 'too-long',
        message: `request line is longer than ${MAX_REQUEST_BYTES} bytes; it was skipped`,
        hint: 'requests are small JSON objects; this looks like a client bug',
      },
    });
  },
});

let shuttingDown = false;

/** Synchronous and final: no tcpdump of ours survives the helper. */
function exitNow(code: number): never {
  ctx.captures.killAll();
  process.exit(code);
}

async function shutdown(reason: string, drain: boolean): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`shutting down: ${reason}`);
  // Ref'd on purpose: whatever the steps below wait for, the process ends by then.
  setTimeout(() => {
    log(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting now`);
    exitNow(1);
  }, SHUTDOWN_DEADLINE_MS);
  try {
    if (drain && stdio.stdoutOpen && inFlight.size > 0) await withTimeout(Promise.allSettled([...inFlight]), DRAIN_TIMEOUT_MS, null);
    await ctx.captures.stopAll(reason, CAPTURE_GRACE_MS);
  } finally {
    exitNow(0);
  }
}

process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
process.stdin.on('end', () => {
  reader.end();
  void shutdown('stdin closed', true);
});
process.stdin.on('error', () => void shutdown('stdin error', false));
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(sig, () => {
    // A signal during a shutdown means "now": SIGTERM always ends the helper.
    if (shuttingDown) exitNow(1);
    void shutdown(sig, false);
  });
}

/**
 * Every request is already wrapped in handleLine's try/catch; this is the last line of defence
 * so that one unforeseen asynchronous error costs a log line, not every running capture. A
 * dead stdio stream is not "unforeseen": it means the engine is gone, so the helper leaves.
 * And a storm of errors (a loop this handler would feed) ends it rather than spinning.
 */
let recentErrors: number[] = [];
function unexpected(kind: string, err: unknown): void {
  if (isDeadPipeError(err)) {
    void shutdown(`${kind}: ${(err as { code?: string }).code}`, false);
    return;
  }
  const now = Date.now();
  recentErrors = recentErrors.filter((t) => now - t < 1_000);
  recentErrors.push(now);
  if (recentErrors.length > 20) {
    log(`more than 20 unexpected errors in a second; exiting`);
    exitNow(1);
  }
  log(`unexpected ${kind} (continuing): ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
}
process.on('uncaughtException', (err) => unexpected('error', err));
process.on('unhandledRejection', (err) => unexpected('rejection', err));

log(`${HELPER_VERSION} ready (user ${user.uid}, QEMU runs as ${user.qemuUid}:${user.qemuGid}, files in ${user.runtimeRoot})`);
