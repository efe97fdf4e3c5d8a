/**
 * The page's client of the dissection worker against a fake worker: calls numbered and matched
 * to replies, worker errors as Errors, a worker that fails to start failing every call, and a
 * crash failing what waits.
 */
import { describe, expect, it } from 'vitest';
import type { WorkerMessage, WorkerRequest } from '../../packet/page.js';
import { PacketClient } from './packet-client.js';

function fakeWorker() {
  const worker = {
    posted: [] as WorkerRequest[],
    onmessage: null as ((e: MessageEvent<WorkerMessage>) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage(message: WorkerRequest) {
      worker.posted.push(message);
    },
    deliver(message: WorkerMessage) {
      worker.onmessage?.({ data: message } as MessageEvent<WorkerMessage>);
    },
    crash(message: string) {
      worker.onerror?.({ message } as ErrorEvent);
    },
  };
  return worker;
}

const client = (worker: ReturnType<typeof fakeWorker>) => new PacketClient(worker as unknown as Worker);

describe('PacketClient', () => {
  it('numbers calls and settles each with its own reply, in any order', async () => {
    const worker = fakeWorker();
    const packets = client(worker);
    worker.deliver({ kind: 'ready' });
    await packets.ready;
    const rowOf = packets.call('rowOf', { id: 'c', number: 7 });
    const frame = packets.call('frame', { id: 'c', number: 99 });
    const [a, b] = worker.posted;
    expect([a?.seq, a?.call, b?.seq, b?.call]).toEqual([1, 'rowOf', 2, 'frame']);
    worker.deliver({ kind: 'reply', seq: 2, ok: false, error: 'no frame 99' });
    worker.deliver({ kind: 'reply', seq: 1, ok: true, result: 6 });
    worker.deliver({ kind: 'reply', seq: 1, ok: true, result: 'a second answer is ignored' });
    await expect(rowOf).resolves.toBe(6);
    await expect(frame).rejects.toThrow('no frame 99');
  });

  it('fails what waits and every later call when the worker cannot start', async () => {
    const worker = fakeWorker();
    const packets = client(worker);
    const waiting = packets.call('checkFilter', { filter: 'tcp' });
    worker.deliver({ kind: 'failed', error: 'wiregasm did not load' });
    await expect(packets.ready).rejects.toThrow('wiregasm did not load');
    await expect(waiting).rejects.toThrow('wiregasm did not load');
    await expect(packets.call('checkFilter', { filter: 'udp' })).rejects.toThrow('wiregasm did not load');
    expect(worker.posted).toHaveLength(1);
  });

  it('fails what waits when the worker crashes', async () => {
    const worker = fakeWorker();
    const packets = client(worker);
    worker.deliver({ kind: 'ready' });
    const waiting = packets.call('complete', { text: 'ip.' });
    worker.crash('out of memory');
    await expect(waiting).rejects.toThrow('the packet dissector crashed: out of memory');
  });
});
