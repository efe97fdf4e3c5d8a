import { describe, expect, it } from 'vitest';
import { WirebenchError, type VmState } from '../../shared/api.js';
import { ConsoleSession, statusText, type ConsoleApi, type Timers } from './console-session.js';
import type { FrameScheduler } from './output-batcher.js';

/** An engine whose answers the test releases, so orderings can be chosen. */
function fakeEngine() {
  const calls: string[] = [];
  const opens: Array<{ resolve(value: { state: VmState; history: string }): void; reject(error: Error): void }> = [];
  let history = '';
  const api: ConsoleApi = {
    open: ({ vm }) => {
      calls.push(`open ${vm}`);
      return new Promise((resolve, reject) => opens.push({ resolve, reject }));
    },
    close: async ({ vm }) => (calls.push(`close ${vm}`), {}),
    write: async ({ vm, data }) => (calls.push(`write ${vm} ${JSON.stringify(data)}`), {}),
    history: async ({ vm }) => {
      calls.push(`history ${vm}`);
      return { data: history };
    },
  };
  return {
    api,
    calls,
    setHistory: (text: string) => (history = text),
    answer: (state: VmState, text: string) => opens.shift()!.resolve({ state, history: text }),
    fail: (error: Error) => opens.shift()!.reject(error),
    get openCount() {
      return opens.length;
    },
  };
}

function harness(initial: VmState | null = 'running') {
  const engine = fakeEngine();
  const frames: Array<() => void> = [];
  const scheduler: FrameScheduler = { request: (cb) => frames.push(cb), cancel: () => undefined };
  const timers: Array<{ cb: () => void; cancelled: boolean }> = [];
  const fakeTimers: Timers = {
    setTimeout: (cb) => {
      const t = { cb, cancelled: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (t) => void ((t as { cancelled: boolean }).cancelled = true),
  };
  let state = initial;
  const session = new ConsoleSession('a', engine.api, { vmState: () => state, batcher: { scheduler }, timers: fakeTimers, scheduleInput: (f) => f() });
  const written: string[] = [];
  session.output.attach({ write: (data, done) => (written.push(data), done()) });
  const statuses: string[] = [];
  session.onStatus((s) => statuses.push(statusText(s)));
  return {
    engine,
    session,
    statuses,
    /** What the terminal shows so far (runs the pending frames). */
    screen() {
      while (frames.length) frames.shift()!();
      return written.join('');
    },
    setState(next: VmState | null, reason: string | null = null) {
      state = next;
      session.vmStateChanged(next, reason);
    },
    windowOver() {
      for (const t of timers.splice(0)) if (!t.cancelled) t.cb();
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ConsoleSession', () => {
  it('opens, replays the history, then shows live bytes; the status says connected', async () => {
    const h = harness();
    h.session.start();
    expect(h.engine.calls).toEqual(['open a']);
    expect(statusText(h.session.status)).toBe('opening…');
    h.engine.answer('running', 'WIREBENCH-READY a\r\na# ');
    await settle();
    expect(statusText(h.session.status)).toBe('connected');
    h.windowOver();
    h.session.receive('ls\r\n');
    expect(h.screen()).toBe('WIREBENCH-READY a\r\na# ls\r\n');
  });

  it('drops live bytes that arrived around the open and were already in the history', async () => {
    const h = harness();
    h.session.start();
    h.session.receive('booting line 7\r\n'); // before the answer: part of the history below
    h.engine.answer('running', 'booting line 6\r\nbooting line 7\r\nbooting line 8\r\n');
    await settle();
    // After the answer: the engine had not read these from the socket yet; the log had them.
    h.session.receive('booting line 8\r\n');
    h.session.receive('WIREBENCH-READY a\r\n');
    expect(h.screen()).toBe('booting line 6\r\nbooting line 7\r\nbooting line 8\r\nWIREBENCH-READY a\r\n');
  });

  it('after the sync window, live bytes are shown as they come, even when they repeat the end', async () => {
    const h = harness();
    h.session.start();
    h.engine.answer('running', 'a# echo same\r\nsame\r\na# ');
    await settle();
    h.windowOver();
    h.session.receive('echo same\r\nsame\r\na# ');
    expect(h.screen()).toBe('a# echo same\r\nsame\r\na# echo same\r\nsame\r\na# ');
  });

  it('sends keystrokes only while connected', async () => {
    const h = harness();
    h.session.start();
    h.session.type('x');
    h.engine.answer('running', '');
    await settle();
    h.session.type('ls\r');
    await settle();
    expect(h.engine.calls).toEqual(['open a', 'write a "ls\\r"']);
    h.setState('stopping');
    h.session.type('y');
    await settle();
    expect(h.engine.calls).toHaveLength(2);
  });

  it('says disconnected when the VM stops or crashes, and reconnects with a separator when it starts again', async () => {
    const h = harness();
    h.session.start();
    const oldRun = Array.from({ length: 30 }, (_, i) => `old ${i}\r\n`).join('') + 'a# ';
    h.engine.answer('running', oldRun);
    await settle();
    h.windowOver();
    h.setState('stopping');
    h.setState('stopped');
    expect(statusText(h.session.status)).toBe('disconnected — VM stopped');
    h.setState('starting');
    expect(statusText(h.session.status)).toBe('disconnected — VM starting…');
    // Subscribes again at once, to follow the boot live.
    expect(h.engine.calls).toEqual(['open a', 'open a']);
    h.session.receive('[    0.000000] Linux version\r\n'); // while the open travels: also in its history
    // The engine's log starts anew with each boot.
    h.engine.answer('starting', '[    0.000000] Linux version\r\n');
    await settle();
    h.windowOver();
    h.session.receive('WIREBENCH-READY a\r\na# ');
    h.setState('running');
    expect(h.engine.calls).toHaveLength(2);
    expect(statusText(h.session.status)).toBe('connected');
    const screen = h.screen();
    expect(screen.startsWith(oldRun)).toBe(true);
    expect(screen).toMatch(/──── a starting · .* ────/);
    expect(screen.split('Linux version').length).toBe(2);
    expect(screen.endsWith('[    0.000000] Linux version\r\nWIREBENCH-READY a\r\na# ')).toBe(true);
    expect(h.statuses).toContain('disconnected — VM stopped');
  });

  it('opens again at running when the engine refused while the VM was starting', async () => {
    const h = harness('stopped');
    h.session.start();
    h.engine.fail(new WirebenchError('vm-not-running', 'not running'));
    await settle();
    await settle();
    expect(statusText(h.session.status)).toBe('disconnected — VM stopped');
    h.setState('starting');
    h.engine.fail(new WirebenchError('vm-not-running', 'serial console not up yet'));
    await settle();
    await settle();
    expect(statusText(h.session.status)).toBe('disconnected — VM starting…');
    h.setState('running');
    expect(h.engine.calls.filter((c) => c === 'open a')).toHaveLength(3);
    h.engine.answer('running', 'WIREBENCH-READY a\r\na# ');
    await settle();
    expect(statusText(h.session.status)).toBe('connected');
  });

  it('does not show the boot twice when it came live and the reopened history has it too', async () => {
    const h = harness();
    h.session.start();
    h.engine.answer('running', 'a# ');
    await settle();
    h.windowOver();
    h.setState('crashed', 'QEMU exited unexpectedly');
    expect(statusText(h.session.status)).toBe('disconnected — VM crashed');
    // The engine refuses while QEMU's serial socket is not up, but keeps this client
    // subscribed from the last run: the boot comes live anyway.
    h.setState('starting');
    h.engine.fail(new WirebenchError('vm-not-running', 'serial console not up yet'));
    await settle();
    await settle();
    const boot = Array.from({ length: 20 }, (_, i) => `[boot] step ${i}\r\n`).join('');
    h.session.receive(boot);
    h.setState('running');
    h.engine.answer('running', boot + 'WIREBENCH-READY a\r\n');
    await settle();
    h.windowOver();
    const screen = h.screen();
    expect(screen.split('[boot] step 0').length).toBe(2);
    expect(screen.endsWith(boot + 'WIREBENCH-READY a\r\n')).toBe(true);
  });

  it('shows the history and the disconnected state when the VM is not running (either way the engine says so)', async () => {
    const stopped = harness('stopped');
    stopped.session.start();
    stopped.engine.answer('stopped', 'last words\r\n');
    await settle();
    expect(statusText(stopped.session.status)).toBe('disconnected — VM stopped');
    expect(stopped.screen()).toBe('last words\r\n');

    const refused = harness('crashed');
    refused.engine.setHistory('kernel panic\r\n');
    refused.session.start();
    refused.engine.fail(new WirebenchError('vm-not-running', 'console.open: VM "a" is crashed, not running'));
    await settle();
    await settle();
    expect(refused.engine.calls).toEqual(['open a', 'history a']);
    expect(statusText(refused.session.status)).toBe('disconnected — VM crashed');
    expect(refused.screen()).toBe('kernel panic\r\n');
  });

  it('a state change while the open travels wins over its answer', async () => {
    const h = harness();
    h.session.start();
    h.setState('stopping');
    h.engine.answer('running', 'x');
    await settle();
    expect(statusText(h.session.status)).toBe('disconnected — VM stopping');
  });

  it('closing unsubscribes and ignores late answers and bytes', async () => {
    const h = harness();
    h.session.start();
    await h.session.close();
    h.engine.answer('running', 'late');
    h.session.receive('late too');
    await settle();
    expect(h.engine.calls).toEqual(['open a', 'close a']);
    expect(h.screen()).toBe('');
  });

  it('reports other open failures in the status', async () => {
    const h = harness();
    h.session.start();
    h.engine.fail(new WirebenchError('unknown-vm', 'no VM named "a"'));
    await settle();
    expect(statusText(h.session.status)).toBe('disconnected — no VM named "a"');
  });
});
