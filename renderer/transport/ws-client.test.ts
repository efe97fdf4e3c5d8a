/**
 * The WebSocket client against a fake of its socket worker: commands numbered and matched to
 * their replies, engine errors and unreadable results as WirebenchErrors, and a closed
 * connection failing what waits and refusing what comes after.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FromWorker, ToWorker } from './ws-worker-protocol.js';
import { connectWebSocket } from './ws-client.js';

class FakeWorker {
  static last: FakeWorker | null = null;
  readonly sent: ToWorker[] = [];
  onmessage: ((e: { data: FromWorker }) => void) | null = null;
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  terminated = false;
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(message: ToWorker): void {
    this.sent.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  deliver(message: FromWorker): void {
    this.onmessage?.({ data: message });
  }
  /** The `{id, channel, params}` requests sent so far. */
  requests(): Array<{ id: number; channel: string }> {
    return this.sent.flatMap((m) => (m.kind === 'send' ? [JSON.parse(m.text) as { id: number; channel: string }] : []));
  }
}

beforeEach(() => {
  vi.stubGlobal('Worker', FakeWorker);
});
afterEach(() => {
  vi.unstubAllGlobals();
});

async function connected() {
  const connecting = connectWebSocket('ws://127.0.0.1:1/api', 'token');
  const worker = FakeWorker.last!;
  expect(worker.sent[0]).toEqual({ kind: 'connect', url: 'ws://127.0.0.1:1/api', token: 'token' });
  worker.deliver({ kind: 'welcome' });
  return { connection: await connecting, worker };
}

describe('connectWebSocket', () => {
  it('numbers commands and settles each with its own reply, in any order', async () => {
    const { connection, worker } = await connected();
    const first = connection.api.lab.current();
    const second = connection.api.lab.current();
    const [a, b] = worker.requests();
    expect([a?.id, b?.id, a?.channel]).toEqual([1, 2, 'lab.current']);
    worker.deliver({ kind: 'reply', id: b!.id, reply: { ok: false, error: { code: 'no-lab', message: 'no lab is open', hint: 'open one' } } });
    worker.deliver({ kind: 'reply', id: a!.id, reply: { ok: true, result: null } });
    await expect(first).resolves.toBeNull();
    await expect(second).rejects.toMatchObject({ code: 'no-lab', message: 'no lab is open', hint: 'open one' });
  });

  it('rejects a result of the wrong shape, and ignores replies nobody waits for', async () => {
    const { connection, worker } = await connected();
    worker.deliver({ kind: 'reply', id: 42, reply: { ok: true, result: null } });
    const call = connection.api.lab.current();
    worker.deliver({ kind: 'reply', id: worker.requests()[0]!.id, reply: { ok: true, result: 5 } });
    await expect(call).rejects.toMatchObject({ code: 'bad-reply' });
  });

  it('fails waiting commands when the connection closes, and refuses later ones', async () => {
    const { connection, worker } = await connected();
    const statuses: unknown[] = [];
    connection.onStatus((s) => statuses.push(s));
    const waiting = connection.api.lab.current();
    worker.deliver({ kind: 'closed', code: 1006, reason: '' });
    await expect(waiting).rejects.toMatchObject({ code: 'disconnected', message: 'lab.current: lost the connection to the engine; is "wirebench serve" still running?' });
    await expect(connection.api.lab.current()).rejects.toMatchObject({ code: 'disconnected', message: 'lab.current: not connected to the engine' });
    expect(statuses).toEqual([{ state: 'closed', reason: 'lost the connection to the engine; is "wirebench serve" still running?' }]);
    expect(worker.terminated).toBe(true);
  });

  it('is refused when the engine closes before welcoming', async () => {
    const connecting = connectWebSocket('ws://127.0.0.1:1/api', 'wrong');
    FakeWorker.last!.deliver({ kind: 'closed', code: 4001, reason: 'bad token' });
    await expect(connecting).rejects.toMatchObject({ code: 'refused', message: expect.stringContaining('refused the token') });
  });
});

describe('connectWebSocket: capture streams', () => {
  it('hands a capture\'s binary frames to its stream only, and ends the stream with capture.ended', async () => {
    const { connection, worker } = await connected();
    const mine: number[][] = [];
    let ended = 0;
    connection.api.capture.stream('cap-1', { data: (bytes) => mine.push([...bytes]), end: () => (ended += 1) });
    worker.deliver({ kind: 'capture', captureId: 'cap-1', bytes: new Uint8Array([1, 2]) });
    // Another capture's bytes (nobody streams it here) are dropped, not kept.
    worker.deliver({ kind: 'capture', captureId: 'cap-2', bytes: new Uint8Array([9]) });
    worker.deliver({ kind: 'capture', captureId: 'cap-1', bytes: new Uint8Array([3]) });
    const events: unknown[] = [];
    connection.api.onEvent((e) => events.push(e.type));
    worker.deliver({ kind: 'event', event: { type: 'capture.ended', captureId: 'cap-1', packets: 2, kernelDrops: 0 } });
    worker.deliver({ kind: 'capture', captureId: 'cap-1', bytes: new Uint8Array([4]) });
    expect(mine).toEqual([[1, 2], [3]]);
    expect(ended).toBe(1);
    expect(events).toEqual(['capture.ended']);
    // A stream subscribed later for cap-2 gets only what comes from then on.
    const later: number[][] = [];
    connection.api.capture.stream('cap-2', { data: (bytes) => later.push([...bytes]), end: () => {} });
    worker.deliver({ kind: 'capture', captureId: 'cap-2', bytes: new Uint8Array([7]) });
    expect(later).toEqual([[7]]);
  });
});
