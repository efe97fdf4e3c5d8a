/**
 * One VM's console tab, without the terminal: subscribing (`console.open`), replaying the
 * history, joining it with the live bytes, following the VM's state (a clear "disconnected"
 * when it stops or crashes, a reconnect with the new boot when it runs again) and sending
 * keystrokes. The terminal (terminal-view.ts) is created lazily and attaches to `output`.
 *
 * Works the same over every transport: it only uses the contract's `console.*` commands.
 */
import { WirebenchError, type LabApi, type VmState } from '../../shared/api.js';
import { afterShown, joinLive, MIN_OVERLAP, TailKeeper } from './history-join.js';
import { InputCoalescer } from './input-coalescer.js';
import { OutputBatcher, type BatcherOptions } from './output-batcher.js';

export type ConsoleStatus =
  | { kind: 'opening' }
  | { kind: 'connected' }
  | { kind: 'disconnected'; vmState: VmState | null; detail: string | null };

/** The words the tab and its banner show (tests look for "connected" / "disconnected"). */
export function statusText(status: ConsoleStatus): string {
  switch (status.kind) {
    case 'opening':
      return 'opening…';
    case 'connected':
      return 'connected';
    case 'disconnected':
      if (status.vmState === 'starting') return 'disconnected — VM starting…';
      if (status.vmState) return `disconnected — VM ${status.vmState}`;
      return `disconnected — ${status.detail ?? 'no console'}`;
  }
}

export type ConsoleApi = Pick<LabApi['console'], 'open' | 'close' | 'write' | 'history'>;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ConsoleSessionOptions {
  /** The VM's state as the runtime store knows it (null: not in the lab, or not known yet). */
  vmState(): VmState | null;
  batcher?: BatcherOptions;
  /** Keystroke scheduling (tests); default a microtask. */
  scheduleInput?: (flush: () => void) => void;
  timers?: Timers;
  /** How long live bytes right after an open are compared with the history's end (default 300 ms). */
  syncWindowMs?: number;
}

/** A dim line between two runs of the VM (not part of the stream, never in the history). */
export function separatorLine(vm: string, what: string): string {
  return `\r\n\x1b[0m\x1b[2m──── ${vm} ${what} · ${new Date().toLocaleTimeString()} ────\x1b[0m\r\n`;
}

interface Opening {
  seq: number;
  live: string;
  stateVersion: number;
}

interface Sync {
  history: string;
  live: string;
  timer: unknown;
}

export class ConsoleSession {
  readonly output: OutputBatcher;
  private readonly input: InputCoalescer;
  private readonly tail = new TailKeeper();
  private previousTail = '';
  private readonly timers: Timers;
  private readonly syncWindowMs: number;
  private readonly listeners = new Set<(status: ConsoleStatus) => void>();
  private statusValue: ConsoleStatus = { kind: 'opening' };
  private seq = 0;
  private opening: Opening | null = null;
  private sync: Sync | null = null;
  /** Bumped on every VM state change, so a stale open answer does not decide the status. */
  private stateVersion = 0;
  private lastState: VmState | null;
  /** Something was shown and the VM went away: the next run starts under a separator line. */
  private runEnded = false;
  /** `console.open` succeeded for the current run: the engine sends this VM's bytes. */
  private subscribed = false;
  private closed = false;

  constructor(
    readonly vm: string,
    private readonly api: ConsoleApi,
    private readonly options: ConsoleSessionOptions,
  ) {
    this.output = new OutputBatcher(options.batcher);
    this.timers = options.timers ?? realTimers;
    this.syncWindowMs = options.syncWindowMs ?? 300;
    this.lastState = options.vmState();
    this.input = new InputCoalescer(async (data) => void (await this.api.write({ vm: this.vm, data })), {
      ...(options.scheduleInput ? { schedule: options.scheduleInput } : {}),
      onError: () => undefined, // the VM stopped under the keystrokes; the state event says so
    });
  }

  get status(): ConsoleStatus {
    return this.statusValue;
  }

  onStatus(listener: (status: ConsoleStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes and replays the history. */
  start(): void {
    void this.open();
  }

  /** Characters received as `console.data` so far (tests and benches follow a flood with it). */
  received = 0;

  /** A `console.data` event for this VM. */
  receive(data: string): void {
    if (this.closed || data.length === 0) return;
    this.received += data.length;
    if (this.opening) {
      this.opening.live += data;
      return;
    }
    if (this.sync) {
      this.sync.live += data;
      this.settleSync(false);
      return;
    }
    this.show(data);
  }

  /** The runtime store's view of the VM changed (`vm.state` events, status answers). */
  vmStateChanged(state: VmState | null, reason: string | null = null): void {
    if (this.closed || state === this.lastState) return;
    this.lastState = state;
    this.stateVersion += 1;
    if (state === 'running') {
      this.beginRun('started again');
      if (this.opening) return; // its answer sees this state change and says connected
      if (this.subscribed) this.setStatus({ kind: 'connected' });
      else void this.open();
    } else if (state === 'starting') {
      // The boot can be followed live: subscribe now (the engine may refuse until QEMU's
      // serial socket is up; then this happens again at running).
      this.beginRun('starting');
      this.setStatus({ kind: 'disconnected', vmState: 'starting', detail: null });
      if (!this.subscribed && !this.opening) void this.open();
    } else {
      // Stopped, stopping, crashed, or gone from the lab: the next run opens anew.
      this.runEnded = true;
      this.subscribed = false;
      this.input.discard();
      this.setStatus({ kind: 'disconnected', vmState: state, detail: state === null ? 'the VM is no longer in the lab' : reason });
    }
  }

  /** Keystrokes from the terminal. */
  type(data: string): void {
    if (this.statusValue.kind !== 'connected') return;
    this.input.push(data);
  }

  /** Ends the subscription and forgets the output; the tab is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.seq += 1;
    this.opening = null;
    this.endSync();
    this.input.close();
    this.output.dispose();
    this.listeners.clear();
    await this.api.close({ vm: this.vm }).catch(() => undefined);
  }

  // ---- internals ------------------------------------------------------------------------

  private beginRun(what: string): void {
    if (!this.runEnded) return;
    this.runEnded = false;
    this.output.push(separatorLine(this.vm, what));
    // Where the new run's output starts in a later history: after what this run showed, or
    // (a log that goes on over restarts) after what the last run showed.
    this.previousTail = this.tail.value;
    this.tail.clear();
  }

  private async open(): Promise<void> {
    const seq = ++this.seq;
    this.endSync();
    this.opening = { seq, live: '', stateVersion: this.stateVersion };
    if (this.statusValue.kind !== 'disconnected') this.setStatus({ kind: 'opening' });
    let history = '';
    let state: VmState | null;
    let subscribed = false;
    try {
      const reply = await this.api.open({ vm: this.vm });
      history = reply.history;
      state = reply.state;
      subscribed = true;
    } catch (error) {
      if (seq !== this.seq) return;
      if (error instanceof WirebenchError && error.code === 'vm-not-running') {
        // Still show what the VM printed before; the state events tell when it runs again.
        history = await this.api.history({ vm: this.vm }).then((reply) => reply.data, () => '');
        if (seq !== this.seq) return;
        state = this.lastState === 'running' ? 'stopped' : this.lastState;
      } else {
        this.opening = null;
        this.setStatus({ kind: 'disconnected', vmState: null, detail: (error as Error).message });
        return;
      }
    }
    if (seq !== this.seq || !this.opening) return;
    const { live, stateVersion } = this.opening;
    this.opening = null;
    // Subscribed for this run, unless the VM went away while the answer travelled.
    this.subscribed = subscribed && (stateVersion === this.stateVersion || this.lastState === 'running' || this.lastState === 'starting');
    // Replay only what this terminal does not show yet (a reopen after a restart).
    const fresh = afterShown(history, this.tail.value) ?? afterShown(history, this.previousTail);
    this.show(fresh ?? history, true);
    if (live.length > 0 || history.length > 0) {
      this.sync = { history, live, timer: this.timers.setTimeout(() => this.settleSync(true), this.syncWindowMs) };
      if (live.length > 0) this.settleSync(false);
    }
    // A state change while the answer travelled is newer than the answer.
    const effective = stateVersion === this.stateVersion ? state : this.lastState;
    if (effective === 'running' && this.subscribed) this.setStatus({ kind: 'connected' });
    else if (effective === 'running') void this.open(); // refused while starting, running now
    else {
      if (effective !== 'starting') this.runEnded = true;
      this.setStatus({ kind: 'disconnected', vmState: effective, detail: effective === null ? 'the VM is not in the lab' : null });
    }
  }

  /** Live bytes right after an open: drop what the history already had, show the rest. */
  private settleSync(windowOver: boolean): void {
    const sync = this.sync;
    if (!sync) return;
    const joined = joinLive(sync.history, sync.live);
    if (joined.kind === 'pending') {
      if (!windowOver) return;
      this.endSync();
      // Long enough to be the history's own end: drop it. A few characters may as well be
      // an echo of the first keystroke: better shown twice than lost.
      if (sync.live.length < MIN_OVERLAP) this.show(sync.live);
      return;
    }
    this.endSync();
    this.show(joined.text);
  }

  private endSync(): void {
    if (this.sync) this.timers.clearTimeout(this.sync.timer);
    this.sync = null;
  }

  private show(text: string, replay = false): void {
    if (text.length === 0) return;
    this.output.push(text, replay);
    this.tail.append(text);
  }

  private setStatus(status: ConsoleStatus): void {
    const same = JSON.stringify(status) === JSON.stringify(this.statusValue);
    this.statusValue = status;
    if (!same) for (const listener of [...this.listeners]) listener(status);
  }
}
