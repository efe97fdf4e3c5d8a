import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Correlator, REMEMBERED_TIMEOUTS, type StrayAnswer } from './correlator.js';

/** A settled-or-not probe: what a promise has done so far, without awaiting it. */
function watch<T>(promise: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const probe: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(probe, { state: 'resolved', value }),
    (error: unknown) => Object.assign(probe, { state: 'rejected', error }),
  );
  return probe;
}

/** Lets promise callbacks run (fake timers leave microtasks alone). */
const flush = () => Promise.resolve().then(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Correlator ids and answers', () => {
  it('issues 1, 2, 3… by default, or the wire ids makeId builds', () => {
    const plain = new Correlator<string>();
    const ids: number[] = [];
    for (const name of ['a', 'b', 'c']) void plain.request(name, (id) => ids.push(id));
    expect(ids).toEqual([1, 2, 3]);

    const qmp = new Correlator<string, string>({ makeId: (n) => `wb-${n}` });
    const wire: string[] = [];
    void qmp.request('query-status', (id) => wire.push(id));
    void qmp.request('stop', (id) => wire.push(id));
    expect(wire).toEqual(['wb-1', 'wb-2']);
    expect(qmp.get('wb-2')).toBe('stop');
  });

  it('settles each call with its own answer, in any order', async () => {
    const c = new Correlator<string>();
    const sent: number[] = [];
    const first = c.request<string>('first', (id) => sent.push(id));
    const second = c.request<string>('second', (id) => sent.push(id));
    expect(c.size).toBe(2);
    expect(c.calls()).toEqual(['first', 'second']);
    expect(c.answer(sent[1]!, 'two')).toBe(true);
    expect(c.answer(sent[0]!, 'one')).toBe(true);
    await expect(first).resolves.toBe('one');
    await expect(second).resolves.toBe('two');
    expect(c.size).toBe(0);
  });

  it('reads an answer with the call it answers; a throwing reader rejects the call', async () => {
    const c = new Correlator<{ channel: string }, number, { ok: boolean; value: number }>();
    let id = 0;
    const read = (answer: { ok: boolean; value: number }, call: { channel: string }) => {
      if (!answer.ok) throw new Error(`${call.channel} refused`);
      return `${call.channel}=${answer.value}`;
    };
    const good = c.request<string>({ channel: 'lab.status' }, (i) => (id = i));
    c.answer(id, { ok: true, value: 7 }, read);
    await expect(good).resolves.toBe('lab.status=7');
    const bad = c.request<string>({ channel: 'vm.start' }, (i) => (id = i));
    c.answer(id, { ok: false, value: 0 }, read);
    await expect(bad).rejects.toThrow('vm.start refused');
    // A thrown non-Error becomes an Error.
    const odd = c.request({ channel: 'odd' }, (i) => (id = i));
    c.answer(id, { ok: true, value: 1 }, () => {
      throw 'plain string';
    });
    await expect(odd).rejects.toThrow('plain string');
  });

  it('fails one call by id, with an error or an error made from its call', async () => {
    const c = new Correlator<string>();
    let id = 0;
    const a = c.request('a', (i) => (id = i));
    expect(c.fail(id, (call) => new Error(`bad answer to ${call}`))).toBe(true);
    await expect(a).rejects.toThrow('bad answer to a');
    expect(c.fail(id, new Error('again'))).toBe(false);
  });

  it('answers that arrive while send runs still find their call', async () => {
    const c = new Correlator<string>();
    const echoed = c.request('sync', (id) => c.answer(id, 'at once'));
    await expect(echoed).resolves.toBe('at once');
  });

  it('fails the call with what send throws, and forgets it', async () => {
    const c = new Correlator<string>({ defaultTimeoutMs: 1_000 });
    const call = c.request('write', () => {
      throw new Error('EPIPE');
    });
    await expect(call).rejects.toThrow('EPIPE');
    expect(c.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Correlator timeouts', () => {
  it('rejects a call unanswered within its timeout, naming the call and the timeout', async () => {
    const c = new Correlator<string>({ defaultTimeoutMs: 500 });
    const call = watch(c.request('query-status', () => undefined));
    vi.advanceTimersByTime(499);
    await flush();
    expect(call.state).toBe('pending');
    vi.advanceTimersByTime(1);
    await flush();
    expect(call.state).toBe('rejected');
    expect((call.error as Error).message).toBe('"query-status" got no answer within 500 ms');
    expect(c.size).toBe(0);
  });

  it('takes each call its own timeout, and none when there is no default', async () => {
    const c = new Correlator<{ op: string }>({ describe: (call) => call.op });
    const short = watch(c.request({ op: 'info' }, () => undefined, { timeoutMs: 100 }));
    const forever = watch(c.request({ op: 'gc' }, () => undefined));
    const infinite = watch(c.request({ op: 'qemu.start' }, () => undefined, { timeoutMs: Infinity }));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    await flush();
    expect(short.state).toBe('rejected');
    expect((short.error as Error).message).toBe('"info" got no answer within 100 ms');
    vi.advanceTimersByTime(3_600_000);
    await flush();
    expect([forever.state, infinite.state]).toEqual(['pending', 'pending']);
    expect(c.size).toBe(2);
  });

  it('makes timeout errors with the client factory', async () => {
    class TimeoutError extends Error {}
    const c = new Correlator<string>({ defaultTimeoutMs: 50, timeoutError: (call, ms) => new TimeoutError(`${call} silent for ${ms} ms`) });
    const call = c.request('link.set', () => undefined);
    vi.advanceTimersByTime(50);
    await expect(call).rejects.toBeInstanceOf(TimeoutError);
    await expect(call).rejects.toThrow('link.set silent for 50 ms');
  });

  it('clears the timer of an answered call', async () => {
    const c = new Correlator<string>({ defaultTimeoutMs: 50 });
    let id = 0;
    const call = c.request('a', (i) => (id = i));
    expect(vi.getTimerCount()).toBe(1);
    c.answer(id, 'done');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    await expect(call).resolves.toBe('done');
  });
});

describe('Correlator stray answers', () => {
  it('reports a late answer to a call that timed out, and an unknown id, without throwing', async () => {
    const strays: StrayAnswer<number, string>[] = [];
    const c = new Correlator<string, number, string>({ defaultTimeoutMs: 10, onStray: (s) => strays.push(s) });
    let id = 0;
    const call = c.request('slow', (i) => (id = i));
    call.catch(() => undefined);
    vi.advanceTimersByTime(10);
    expect(c.answer(id, 'too late')).toBe(false);
    expect(c.answer(99, 'who?')).toBe(false);
    expect(strays).toEqual([
      { kind: 'late', id, answer: 'too late' },
      { kind: 'unknown', id: 99, answer: 'who?' },
    ]);
    // A second answer to a call already answered is not a late one.
    let next = 0;
    const answered = c.request('quick', (i) => (next = i));
    c.answer(next, 'first');
    c.answer(next, 'second');
    await expect(answered).resolves.toBe('first');
    expect(strays[2]).toEqual({ kind: 'unknown', id: next, answer: 'second' });
  });

  it('drops stray answers silently without a callback, and survives a callback that throws', () => {
    expect(new Correlator<string>().answer(1, 'x')).toBe(false);
    const c = new Correlator<string>({
      onStray: () => {
        throw new Error('listener bug');
      },
    });
    expect(c.answer(5, 'x')).toBe(false);
  });

  it('remembers a bounded number of timed-out ids', async () => {
    const kinds: string[] = [];
    const c = new Correlator<string>({ defaultTimeoutMs: 1, onStray: (s) => kinds.push(s.kind) });
    for (let i = 0; i < REMEMBERED_TIMEOUTS + 1; i++) c.request('x', () => undefined).catch(() => undefined);
    vi.advanceTimersByTime(1);
    await flush();
    c.answer(1, 'oldest'); // forgotten: reported, but as unknown
    c.answer(2, 'kept');
    c.answer(REMEMBERED_TIMEOUTS + 1, 'newest');
    expect(kinds).toEqual(['unknown', 'late', 'late']);
  });
});

describe('Correlator close', () => {
  it('fails everything pending with the given error, then refuses new calls', async () => {
    const c = new Correlator<string>({ defaultTimeoutMs: 1_000 });
    const a = c.request('a', () => undefined);
    const b = c.request('b', () => undefined);
    c.close((call) => new Error(`${call}: connection closed`));
    await expect(a).rejects.toThrow('a: connection closed');
    await expect(b).rejects.toThrow('b: connection closed');
    expect(c.closed).toBe(true);
    expect(c.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const send = vi.fn();
    await expect(c.request('c', send)).rejects.toThrow('c: connection closed');
    expect(send).not.toHaveBeenCalled();
  });

  it('refuses with its own error when given one; a second close changes nothing', async () => {
    const c = new Correlator<string>();
    const a = c.request('a', () => undefined);
    c.close(
      (call) => new Error(`"${call}" was cancelled`),
      (call) => new Error(`cannot call "${call}": closed`),
    );
    await expect(a).rejects.toThrow('"a" was cancelled');
    c.close(new Error('second close'));
    await expect(c.request('b', () => undefined)).rejects.toThrow('cannot call "b": closed');
  });

  it('answers after close are strays, and a closed call does not time out later', async () => {
    const strays: string[] = [];
    const c = new Correlator<string>({ defaultTimeoutMs: 10, onStray: (s) => strays.push(s.kind) });
    let id = 0;
    const a = c.request('a', (i) => (id = i));
    const closedError = new Error('gone');
    c.close(closedError);
    await expect(a).rejects.toBe(closedError);
    vi.advanceTimersByTime(100);
    expect(c.answer(id, 'after close')).toBe(false);
    expect(strays).toEqual(['unknown']);
  });

  it('failAll fails what is pending and keeps serving (a restarted peer)', async () => {
    const c = new Correlator<string>();
    const a = c.request('a', () => undefined);
    c.failAll((call) => new Error(`${call}: peer restarted`));
    await expect(a).rejects.toThrow('a: peer restarted');
    expect(c.closed).toBe(false);
    let id = 0;
    const b = c.request('b', (i) => (id = i));
    expect(id).toBe(2); // ids are never reused
    c.answer(id, 'ok');
    await expect(b).resolves.toBe('ok');
  });
});
