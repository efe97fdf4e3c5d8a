/**
 * `wirebench console FILE VM`: the VM's serial console in this terminal. Prints the history
 * first (what the guest printed so far), then live bytes; what is typed goes to the guest.
 *
 * On a terminal, stdin is put in raw mode (Ctrl-C, Ctrl-D and arrows reach the guest) and
 * Ctrl-] leaves, as in telnet. With a pipe or file on stdin, its bytes are sent as they come;
 * after it ends the command waits until the guest has been quiet for a moment (so `printf
 * 'uname -a\n' | wirebench console lab.json a` shows the answer), then leaves.
 */
import type { LabEvent } from '../../../shared/api.js';
import type { LabConnection } from '../lab-connection.js';
import type { ConsoleArgs } from './verb-args.js';
import { requireRunning, requireVmName } from './verb-support.js';

const CTRL_RIGHT_BRACKET = 0x1d;
/** Largest `console.write` (the contract's limit is 65,536 characters). */
const WRITE_CHUNK = 16 * 1024;

export interface ConsoleIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** After a non-terminal stdin ends: leave once the guest printed nothing for this long. */
  quietMs?: number;
  /** …but never wait longer than this after stdin ended. */
  lingerMaxMs?: number;
}

export async function consoleCommand(lab: LabConnection, args: ConsoleArgs, io: ConsoleIo): Promise<number> {
  const { vm } = args;
  requireVmName(lab.document, vm);
  await requireRunning(lab, args.file, vm);

  // Bytes that arrive before the history is printed wait, so the output stays in order.
  let early: string[] | null = [];
  let lastOutputAt = Date.now();
  const onEvent = (event: LabEvent) => {
    if (event.type === 'console.data' && event.vm === vm) {
      lastOutputAt = Date.now();
      if (early) early.push(event.data);
      else io.stdout.write(event.data);
    } else if (event.type === 'vm.state' && event.vm === vm && (event.state === 'stopped' || event.state === 'crashed')) {
      io.stderr.write(`\r\nwirebench console: VM ${vm} is ${event.state}${event.reason ? `: ${event.reason.split('\n')[0]}` : ''}\r\n`);
      finish(event.state === 'crashed' ? 1 : 0);
    }
  };
  const unsubscribe = lab.onEvent(onEvent);
  const unlost = lab.onLost((why) => {
    io.stderr.write(`\r\nwirebench console: ${why}\r\n`);
    finish(1);
  });

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  let finished = false;
  const tty = Boolean(io.stdin.isTTY && io.stdin.setRawMode);
  let lingerTimer: NodeJS.Timeout | null = null;
  const signals: Array<[NodeJS.Signals, () => void]> = [];

  function finish(code: number): void {
    if (finished) return;
    finished = true;
    if (lingerTimer) clearTimeout(lingerTimer);
    unsubscribe();
    unlost();
    for (const [signal, handler] of signals) process.off(signal, handler);
    io.stdin.removeListener('data', onInput);
    io.stdin.removeListener('end', onInputEnd);
    if (tty) io.stdin.setRawMode!(false);
    io.stdin.pause();
    void lab
      .invoke('console.close', { vm })
      .catch(() => undefined)
      .then(() => resolveDone(code));
  }

  // Writes keep their order: each waits for the one before.
  let writing: Promise<unknown> = Promise.resolve();
  const send = (text: string) => {
    for (let i = 0; i < text.length; i += WRITE_CHUNK) {
      const part = text.slice(i, i + WRITE_CHUNK);
      writing = writing.then(() =>
        finished
          ? undefined
          : lab.invoke('console.write', { vm, data: part }).catch((err: unknown) => {
              io.stderr.write(`\r\nwirebench console: ${(err as Error).message}\r\n`);
              finish(1);
            }),
      );
    }
  };

  function onInput(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const leave = tty ? bytes.indexOf(CTRL_RIGHT_BRACKET) : -1;
    const keep = leave >= 0 ? bytes.subarray(0, leave) : bytes;
    if (keep.length) send(keep.toString('utf8'));
    if (leave >= 0) void writing.then(() => finish(0));
  }

  function onInputEnd(): void {
    if (tty) return;
    const quietMs = io.quietMs ?? 1_500;
    const deadline = Date.now() + (io.lingerMaxMs ?? 20_000);
    void writing.then(() => {
      lastOutputAt = Math.max(lastOutputAt, Date.now());
      const check = () => {
        if (finished) return;
        const now = Date.now();
        if (now - lastOutputAt >= quietMs || now >= deadline) return finish(0);
        lingerTimer = setTimeout(check, Math.min(quietMs - (now - lastOutputAt), deadline - now) + 10);
      };
      check();
    });
  }

  let opened;
  try {
    opened = await lab.invoke('console.open', { vm });
  } catch (err) {
    unsubscribe();
    unlost();
    throw err;
  }
  if (finished) return done;
  io.stdout.write(opened.history);
  for (const data of early ?? []) io.stdout.write(data);
  early = null;
  if (opened.state !== 'running') {
    io.stderr.write(`wirebench console: VM ${vm} is ${opened.state}, not running: start it with \`wirebench up ${args.file}\`\n`);
    finish(1);
    return done;
  }

  if (tty) {
    io.stdin.setRawMode!(true);
    io.stderr.write(`wirebench: console of ${vm}; Ctrl-] leaves\r\n`);
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => finish(0);
    signals.push([signal, handler]);
    process.on(signal, handler);
  }
  io.stdin.on('data', onInput);
  io.stdin.on('end', onInputEnd);
  io.stdin.resume();
  return done;
}
