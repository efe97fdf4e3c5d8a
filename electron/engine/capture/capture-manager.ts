/**
 * Live captures: the helper runs tcpdump inside the lab namespace and hands us a FIFO carrying
 * pcap; we read it, forward the bytes to the one client that started the capture (its
 * `CaptureSink`, engine-client.ts: never a broadcast) and, when asked, also write them to a
 * file so a saved capture is complete whatever the viewer keeps in memory.
 *
 * Nothing is read before `destination.ready` (the engine resolves it once the command's reply
 * went out): until then the bytes wait in the pipe (and tcpdump's ring), so the client always
 * knows the capture id before its first byte and needs no buffer of early bytes. The file
 * only ever receives whole packets (PcapFramer): if the engine dies mid-capture, it is still a
 * valid pcap up to the last whole packet.
 *
 * A live capture pins its bridge: `vm.snapshot` refuses while any capture runs on one of the
 * VM's bridges (a snapshot would cut the capture in half).
 */
import { constants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { CaptureInfo } from '../../../shared/api.js';
import { WirebenchError } from '../../../shared/api.js';
import type { EventBus } from '../event-bus.js';
import type { CaptureSink } from '../engine-client.js';
import { PcapFramer } from './pcap-framer.js';

/** Where a capture's bytes go and when they may start. */
export interface CaptureDestination {
  /** The sink of the client that started the capture, once its id is known; null: only the `saveTo` file. */
  open(captureId: string): CaptureSink | null;
  /** Reading starts once this resolves. */
  ready: Promise<void>;
}

/** No client: the bytes go to the `saveTo` file alone, from the start. */
export const NO_DESTINATION: CaptureDestination = { open: () => null, ready: Promise.resolve() };

export interface CaptureTarget {
  /** The lab bridge this capture watches (a NIC capture watches its bridge's traffic too). */
  bridge: string;
  title: string;
}

interface ActiveCapture extends CaptureTarget {
  fifo: Socket;
  file: WriteStream | null;
  sink: CaptureSink | null;
  /** Starts reading (once; also called by `finish`, so a capture stopped early still drains). */
  start(): void;
  finished: Promise<void>;
}

export class CaptureManager {
  private readonly active = new Map<string, ActiveCapture>();

  constructor(private readonly events: EventBus) {}

  /**
   * Starts reading a FIFO the helper opened for `captureId`. Opened non-blocking and read as a
   * socket (epoll), not with fs streams: a blocking open of a FIFO waits for a writer, so an
   * open still pending when tcpdump had already exited (it can die at once: device gone) would
   * wait forever on one of libuv's four threadpool threads — four such captures and every file
   * operation of the engine would hang. Non-blocking, a FIFO without a writer reads as
   * end-of-file at once, which is what that capture is.
   */
  attach(captureId: string, fifoPath: string, target: CaptureTarget, saveTo: string | undefined, destination: CaptureDestination = NO_DESTINATION): CaptureInfo {
    let fd: number;
    try {
      fd = openSync(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new WirebenchError('capture-read', `capture ${target.title}: cannot open the helper's capture pipe ${fifoPath}: ${(err as Error).message}`, 'start the capture again; if it keeps failing, restart the app (the helper may have been replaced)');
    }
    // Paused: nothing is read (the bytes stay in the pipe) until the destination is ready.
    const fifo = new Socket({ fd, readable: true, writable: false, pauseOnCreate: true } as ConstructorParameters<typeof Socket>[0]);
    const file = saveTo ? createWriteStream(saveTo, { flags: 'w', mode: 0o644 }) : null;
    const framer = file ? new PcapFramer() : null;
    const sink = destination.open(captureId);
    // A full disk or a removed folder ends the saved copy, not the engine (an unhandled 'error' would).
    file?.on('error', (err) => this.events.emit({ type: 'error', code: 'capture-write', message: `capture ${target.title}: cannot write ${saveTo}: ${err.message}` }));
    const finished = new Promise<void>((resolve) => {
      fifo.on('error', (err) => {
        this.events.emit({ type: 'error', code: 'capture-read', message: `capture ${target.title}: ${err.message}` });
        resolve();
      });
      fifo.on('close', () => {
        if (file) file.end(() => resolve());
        else resolve();
      });
    });
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      fifo.on('data', (chunk) => {
        const bytes = chunk as Buffer;
        const whole = framer?.push(bytes);
        if (whole?.length) file?.write(whole);
        sink?.write(bytes);
      });
      fifo.resume();
    };
    void destination.ready.then(start, start);
    this.active.set(captureId, { ...target, fifo, file, sink, start, finished });
    return { captureId, title: target.title };
  }

  /** Waits until every byte tcpdump wrote has been forwarded (the FIFO reached EOF). */
  async finish(captureId: string, packets: number | null, kernelDrops: number | null): Promise<void> {
    const capture = this.active.get(captureId);
    if (!capture) return;
    capture.start();
    await Promise.race([capture.finished, new Promise((r) => setTimeout(r, 5000))]);
    capture.fifo.destroy();
    this.active.delete(captureId);
    // The opener's channel ends before the event: on one ordered channel every byte comes first.
    capture.sink?.end();
    this.events.emit({ type: 'capture.ended', captureId, packets, kernelDrops });
  }

  has(captureId: string): boolean {
    return this.active.has(captureId);
  }

  require(captureId: string): void {
    if (!this.active.has(captureId)) {
      throw new WirebenchError('not-found', `no running capture with id "${captureId}"`, 'it may have ended already (its VM stopped or the lab went down)');
    }
  }

  /** Bridges with a live capture on them. */
  pinnedBridges(): Set<string> {
    return new Set([...this.active.values()].map((c) => c.bridge));
  }

  ids(): string[] {
    return [...this.active.keys()];
  }
}
