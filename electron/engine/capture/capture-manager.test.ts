/**
 * The engine's side of a capture pipe, on real FIFOs (made with mkfifo, written the way the
 * helper hands them to tcpdump: opened read-write, so opening never blocks): bytes go to the
 * starting client's sink (nothing before its destination is ready) and the saveTo file; a pipe
 * whose writer is already gone ends at once instead of parking an open on libuv's threadpool; a
 * missing pipe is a clear error.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/api.js';
import { EventBus } from '../event-bus.js';
import { CaptureManager, type CaptureDestination } from './capture-manager.js';

let dir = '';
let events: LabEvent[] = [];
let manager: CaptureManager;
/** What reached the starting client's sink: chunks and end, by capture id, in order. */
let received: Array<{ captureId: string; bytes: Buffer } | { captureId: string; end: true }> = [];
const target = { bridge: 'lan', title: 'a/eth0 (lan)' };

function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', ['-m', '0600', path]);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-capture-manager-'));
  events = [];
  const bus = new EventBus();
  bus.on((e) => events.push(e));
  manager = new CaptureManager(bus);
  received = [];
});

/** A client's destination, ready when `ready` resolves (default: at once). */
function destination(ready: Promise<void> = Promise.resolve()): CaptureDestination {
  return {
    ready,
    open: (captureId) => ({
      write: (bytes) => received.push({ captureId, bytes: Buffer.from(bytes) }),
      end: () => received.push({ captureId, end: true }),
    }),
  };
}

const bytesOf = (captureId: string) => Buffer.concat(received.flatMap((r) => (r.captureId === captureId && 'bytes' in r ? [r.bytes] : [])));

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CaptureManager', () => {
  it('forwards what the writer sends to the starting client\'s sink and into the saveTo file, then ends', async () => {
    const path = fifo('cap-1.pcap');
    const writer = openSync(path, constants.O_RDWR);
    const saveTo = join(dir, 'saved.pcap');
    manager.attach('cap-1', path, target, saveTo, destination());
    writeSync(writer, Buffer.from('pcap-bytes-1,'));
    writeSync(writer, Buffer.from('pcap-bytes-2'));
    closeSync(writer);
    await manager.finish('cap-1', 2, 0);
    expect(bytesOf('cap-1').toString()).toBe('pcap-bytes-1,pcap-bytes-2');
    expect(received.at(-1)).toEqual({ captureId: 'cap-1', end: true });
    // Bytes are no event any more: nothing else on the bus but the end.
    expect(events.map((e) => e.type)).toEqual(['capture.ended']);
    expect(readFileSync(saveTo, 'utf8')).toBe('pcap-bytes-1,pcap-bytes-2');
    expect(events.at(-1)).toEqual({ type: 'capture.ended', captureId: 'cap-1', packets: 2, kernelDrops: 0 });
    expect(manager.has('cap-1')).toBe(false);
  });

  it('never parks an open on the threadpool for pipes whose writer is gone (tcpdump died first)', async () => {
    // A blocking open of such a FIFO waits forever on one of libuv's 4 threadpool threads:
    // five of them and every file operation of the engine hung.
    const ids = ['cap-a', 'cap-b', 'cap-c', 'cap-d', 'cap-e'];
    for (const id of ids) manager.attach(id, fifo(`${id}.pcap`), target, undefined, destination());
    const started = Date.now();
    await writeFile(join(dir, 'probe.txt'), 'still working');
    expect(await readFile(join(dir, 'probe.txt'), 'utf8')).toBe('still working');
    expect(Date.now() - started).toBeLessThan(1000);
    // Their ends are bounded (finish gives up after 5 s) and nothing arrived.
    await Promise.all(ids.map((id) => manager.finish(id, 0, 0)));
    expect(manager.ids()).toEqual([]);
    expect(received.filter((r) => 'bytes' in r)).toEqual([]);
  }, 15_000);

  it('reads nothing before the destination is ready (the reply naming the capture goes first), then everything in order', async () => {
    const path = fifo('cap-4.pcap');
    const writer = openSync(path, constants.O_RDWR);
    let ready = () => {};
    manager.attach('cap-4', path, target, undefined, destination(new Promise<void>((resolve) => (ready = resolve))));
    writeSync(writer, Buffer.from('first,'));
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual([]);
    ready();
    writeSync(writer, Buffer.from('second'));
    closeSync(writer);
    await manager.finish('cap-4', 2, 0);
    expect(bytesOf('cap-4').toString()).toBe('first,second');
    expect(received.at(-1)).toEqual({ captureId: 'cap-4', end: true });
  });

  it('a capture stopped before its destination was ready still drains into it', async () => {
    const path = fifo('cap-5.pcap');
    const writer = openSync(path, constants.O_RDWR);
    manager.attach('cap-5', path, target, undefined, destination(new Promise<void>(() => {})));
    writeSync(writer, Buffer.from('all of it'));
    closeSync(writer);
    await manager.finish('cap-5', 1, 0);
    expect(bytesOf('cap-5').toString()).toBe('all of it');
  });

  it('says which pipe it cannot open and what to do', () => {
    expect(() => manager.attach('cap-3', join(dir, 'missing.pcap'), target, undefined)).toThrow(/cannot open the helper's capture pipe .*missing\.pcap/);
  });
});
