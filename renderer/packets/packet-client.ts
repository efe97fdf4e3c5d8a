/**
 * The UI side of the dissection worker: typed calls that return promises, and a subscription
 * to the stats the worker pushes. One worker serves every viewer tab.
 */
import type { CallName, CaptureStats, WorkerCalls, WorkerMessage, WorkerRequest } from '../../packet/page.js';
import { Correlator } from '../../shared/correlator.js';

type Reply = Extract<WorkerMessage, { kind: 'reply' }>;

export class PacketClient {
  /** Calls waiting for the worker's reply, by `seq` (no deadline: a big file takes what it takes). */
  private readonly calls = new Correlator<CallName, number, Reply>();
  private readonly statsListeners = new Set<(stats: Record<string, CaptureStats>) => void>();
  readonly ready: Promise<void>;

  constructor(private readonly worker: Worker) {
    let markReady: () => void = () => undefined;
    let markFailed: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    this.ready.catch(() => undefined);
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data;
      if (message.kind === 'ready') markReady();
      else if (message.kind === 'failed') {
        markFailed(new Error(message.error));
        // The worker could not start: what waits fails, and every later call fails the same way.
        this.calls.close(() => new Error(message.error));
      } else if (message.kind === 'stats') for (const listener of this.statsListeners) listener(message.stats);
      else
        this.calls.answer(message.seq, message, (reply) => {
          if (!reply.ok) throw new Error(reply.error);
          return reply.result;
        });
    };
    worker.onerror = (event) => {
      const text = `the packet dissector crashed: ${event.message || 'unknown error'}`;
      markFailed(new Error(text));
      this.calls.failAll(() => new Error(text));
    };
  }

  call<K extends CallName>(call: K, args: WorkerCalls[K]['args'], transfer: Transferable[] = []): Promise<WorkerCalls[K]['result']> {
    return this.calls.request(call, (seq) => this.worker.postMessage({ seq, call, args } as WorkerRequest, transfer));
  }

  onStats(listener: (stats: Record<string, CaptureStats>) => void): () => void {
    this.statsListeners.add(listener);
    return () => this.statsListeners.delete(listener);
  }
}

let shared: PacketClient | null = null;

/** The one worker, started on first use (wiregasm is ~70 MB of WebAssembly: only load it when a viewer opens). */
export function packetClient(): PacketClient {
  shared ??= new PacketClient(new Worker(new URL('./worker/dissect.worker.ts', import.meta.url), { type: 'module' }));
  return shared;
}

/**
 * Starts the worker when a person is about to need it: it takes ~4.5 s to load, compile and
 * warm wiregasm up in Chromium, which the first opened file used to wait for (a 1M-packet
 * file: 6.0 s to first rows cold, 1.7 s warm). Called when the file dialog is opened (the
 * person then spends seconds picking a file) and when a cable's menu opens.
 */
export function prewarmDissector(): void {
  packetClient();
}
