/**
 * wirebench-helper: the only privileged part of Wirebench. One long-lived process started by
 * the engine (through pkexec, or directly when the engine already runs as root) that reads JSON
 * request lines on stdin and writes JSON response/event lines on stdout; diagnostics go to
 * stderr. See shared/helper-protocol.ts for the operations.
 *
 * On SIGTERM or end of stdin it stops its captures and exits. It does NOT delete namespaces:
 * guests may outlive the app, and `gc` is the explicit clean-up.
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
import { HELPER_VERSION } from './version.js';
import { withTimeout } from './with-timeout.js';

/** After stdin closes, requests already read still get their answers, within reason. */
const DRAIN_TIMEOUT_MS = 10_000;

function log(message: string): void {
  process.stderr.write(`wirebench-helper: ${message}\n`);
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

let stdoutOpen = true;
function send(message: Reply | CaptureEndedEvent): void {
  if (!stdoutOpen) return;
  process.stdout.write(`${JSON.stringify(message)}\n`);
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
async function shutdown(reason: string, drain: boolean): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (drain && inFlight.size > 0) await withTimeout(Promise.allSettled([...inFlight]), DRAIN_TIMEOUT_MS, null);
  try {
    await ctx.captures.stopAll(reason);
  } finally {
    process.exit(0);
  }
}

process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
process.stdin.on('end', () => {
  reader.end();
  void shutdown('stdin closed', true);
});
process.stdin.on('error', () => void shutdown('stdin error', false));
process.stdout.on('error', () => {
  // The engine is gone (EPIPE): nobody to answer; stop captures and leave.
  stdoutOpen = false;
  void shutdown('stdout closed', false);
});
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void shutdown(sig, false));

// Every request is already wrapped in handleLine's try/catch; this is the last line of defence
// so that one unforeseen asynchronous error costs a log line, not every running capture.
process.on('uncaughtException', (err) => log(`unexpected error (continuing): ${err.stack ?? err.message}`));
process.on('unhandledRejection', (err) => log(`unexpected rejection (continuing): ${err instanceof Error ? err.stack ?? err.message : String(err)}`));

log(`${HELPER_VERSION} ready (user ${user.uid}, QEMU runs as ${user.qemuUid}:${user.qemuGid}, files in ${user.runtimeRoot})`);
