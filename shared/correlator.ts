/**
 * Request/response matching, written once for every client that sends numbered requests and
 * waits for answers: the helper client (JSON lines over stdio), QMP (the `id` QEMU echoes),
 * the browser's WebSocket, the CLI's control socket, the packet worker and its segment helpers.
 *
 * A `Correlator` hands out ids, keeps one pending entry per call (with whatever the client
 * needs to read the answer: an op, a channel, a command name), fails a call that gets no answer
 * within its timeout, settles it when its answer arrives, reports answers nobody waits for (a
 * late answer to a call that timed out, an answer with an id it never issued) to a callback
 * instead of throwing, and on `close` fails everything pending and refuses new calls.
 *
 * Every error it makes comes from the client's own factories, so each client keeps its own
 * error types and messages. Pure: no Node or DOM imports; timers are the global
 * setTimeout/clearTimeout both have, looked up at each use (fake timers in tests apply).
 */

/** An answer no call waits for: `late` for a call that timed out, `unknown` for any other id. */
export interface StrayAnswer<Id, A> {
  kind: 'late' | 'unknown';
  id: Id;
  answer: A;
}

export interface CorrelatorOptions<C, Id, A> {
  /** The wire id of the n-th call (n = 1, 2, …); default n itself. Must be one-to-one. */
  makeId?: (n: number) => Id;
  /** Deadline of a call that names none; default: none (the call waits until answered or closed). */
  defaultTimeoutMs?: number;
  /** How a call is named in the default error messages; default `String(call)`. */
  describe?: (call: C) => string;
  /** The error of a call that got no answer within `timeoutMs`; default names the call and the timeout. */
  timeoutError?: (call: C, timeoutMs: number) => Error;
  /** Told about answers no call waits for; default: they are dropped. Never throws through. */
  onStray?: (stray: StrayAnswer<Id, A>) => void;
}

export interface CallOptions {
  /** Overrides the default deadline; `undefined` keeps it, `Infinity` means none. */
  timeoutMs?: number;
}

/** Turns an answer into the call's result; throwing (an Error) rejects the call instead. */
export type Interpret<C, A> = (answer: A, call: C) => unknown;

type ErrorFor<C> = Error | ((call: C) => Error);

interface Pending<C> {
  call: C;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: unknown;
}

interface Timers {
  setTimeout(handler: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
/** Read at each use, not at load: fake timers replace the globals after this module loads. */
const timers = (): Timers => globalThis as unknown as Timers;

/** How many timed-out ids are remembered to tell a late answer from an unknown one. */
export const REMEMBERED_TIMEOUTS = 1024;

const errorFor = <C>(error: ErrorFor<C>, call: C): Error => (typeof error === 'function' ? error(call) : error);

export class Correlator<C, Id = number, A = unknown> {
  private readonly pending = new Map<Id, Pending<C>>();
  /** Ids of calls that timed out, oldest first (a Set keeps insertion order), at most REMEMBERED_TIMEOUTS. */
  private readonly timedOut = new Set<Id>();
  private issued = 0;
  private refusal: ErrorFor<C> | null = null;

  constructor(private readonly options: CorrelatorOptions<C, Id, A> = {}) {}

  /** Calls waiting for their answer. */
  get size(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.refusal !== null;
  }

  /** The calls waiting for their answer, oldest first. */
  calls(): C[] {
    return [...this.pending.values()].map((p) => p.call);
  }

  /** The call waiting for `id`, if any (it stays pending). */
  get(id: Id): C | undefined {
    return this.pending.get(id)?.call;
  }

  /**
   * Issues an id, registers `call` and hands the id to `send`, which puts the request on the
   * wire. Resolves with what the answer's `interpret` returns. If `send` throws, the call fails
   * with that error; after `close` the call is refused without reaching `send`.
   */
  request<R>(call: C, send: (id: Id) => void, options: CallOptions = {}): Promise<R> {
    if (this.refusal) return Promise.reject(errorFor(this.refusal, call));
    const n = ++this.issued;
    const id = this.options.makeId ? this.options.makeId(n) : (n as Id);
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    return new Promise<R>((resolve, reject) => {
      const pending: Pending<C> = { call, resolve: resolve as (value: unknown) => void, reject, timer: undefined };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        pending.timer = timers().setTimeout(() => this.expire(id, timeoutMs), Math.max(0, timeoutMs));
      }
      this.pending.set(id, pending);
      try {
        send(id);
      } catch (error) {
        this.finish(id, pending);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * Settles the call waiting for `id` with `answer`, read by `interpret` (default: the answer
   * is the result). Returns whether a call was waiting; if none was, the answer goes to
   * `onStray` as late (its call timed out) or unknown.
   */
  answer(id: Id, answer: A, interpret?: Interpret<C, A>): boolean {
    const pending = this.pending.get(id);
    if (!pending) {
      const kind = this.timedOut.has(id) ? 'late' : 'unknown';
      try {
        this.options.onStray?.({ kind, id, answer });
      } catch {
        // A reporting bug must not break the client's reader.
      }
      return false;
    }
    this.finish(id, pending);
    let value: unknown;
    try {
      value = interpret ? interpret(answer, pending.call) : answer;
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
      return true;
    }
    pending.resolve(value);
    return true;
  }

  /** Fails the call waiting for `id`; returns whether one was waiting. */
  fail(id: Id, error: ErrorFor<C>): boolean {
    const pending = this.pending.get(id);
    if (!pending) return false;
    this.finish(id, pending);
    pending.reject(errorFor(error, pending.call));
    return true;
  }

  /** Fails every pending call (oldest first) and keeps accepting new ones (a restarted peer). */
  failAll(error: ErrorFor<C>): void {
    for (const [id, pending] of [...this.pending]) {
      this.finish(id, pending);
      pending.reject(errorFor(error, pending.call));
    }
  }

  /**
   * Fails every pending call with `error` and refuses later calls with `refuse` (default the
   * same error). Closing twice keeps the first close's refusal.
   */
  close(error: ErrorFor<C>, refuse: ErrorFor<C> = error): void {
    if (this.refusal) return;
    this.refusal = refuse;
    this.failAll(error);
  }

  private expire(id: Id, timeoutMs: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    this.timedOut.add(id);
    if (this.timedOut.size > REMEMBERED_TIMEOUTS) this.timedOut.delete(this.timedOut.values().next().value as Id);
    const { timeoutError, describe } = this.options;
    pending.reject(
      timeoutError ? timeoutError(pending.call, timeoutMs) : new Error(`"${describe ? describe(pending.call) : String(pending.call)}" got no answer within ${timeoutMs} ms`),
    );
  }

  private finish(id: Id, pending: Pending<C>): void {
    if (pending.timer !== undefined) timers().clearTimeout(pending.timer);
    this.pending.delete(id);
  }
}
