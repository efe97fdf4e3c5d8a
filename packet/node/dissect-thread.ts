/**
 * The packet viewer's Web Worker as a Node worker thread, for system tests and benches: the
 * same steps as renderer/packets/worker/dissect.worker.ts (load wiregasm, warm up, hand every
 * message to WorkerDispatch), so the dissection runs off the engine's thread as it does in the
 * app, where it lives in the renderer and never stalls the engine reading tcpdump's pipe.
 * Start it with `startDissectThread()`.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Correlator } from '../../shared/correlator.js';
import { DissectorHost } from '../core/dissector-host.js';
import { SegmentHelpers } from '../core/segment-helpers.js';
import { spawnNodeHelper } from './segment-thread.js';
import { compileWiregasmNode, loadWiregasmNode } from './wiregasm-node.js';
import type { CaptureStats } from '../core/viewer-types.js';
import type { CallName, WorkerCalls, WorkerMessage, WorkerRequest } from '../core/worker-protocol.js';
import { WorkerDispatch } from '../core/worker-dispatch.js';

interface HelperInfo {
  kind: 'helper-jobs';
  count: number;
  readyMs: number | null;
}

export interface DissectThread {
  call<K extends CallName>(call: K, args: WorkerCalls[K]['args'], transfer?: ArrayBuffer[]): Promise<WorkerCalls[K]['result']>;
  /** Segment jobs the worker's helpers completed (0 without helpers). */
  helperJobs(): Promise<number>;
  /** How long the helpers took to be ready when last started (null: never started). */
  helperReadyMs(): Promise<number | null>;
  /** Latest stats the worker pushed for a capture (what the viewer's status line shows). */
  stats(id: string): CaptureStats | undefined;
  close(): Promise<void>;
}

/**
 * `helpers`: segment helper threads, as the app starts one per spare core (default none);
 * `listingHelpers`: how many of them may do background listing (default all).
 */
export async function startDissectThread(options: { helpers?: number; listingHelpers?: number } = {}): Promise<DissectThread> {
  // Worker threads do not inherit the test runner's TypeScript loader: register tsx's first.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { role: 'wirebench-dissect', helpers: options.helpers ?? 0, listingHelpers: options.listingHelpers ?? Infinity } });
  const latest = new Map<string, CaptureStats>();
  let crashed: Error | null = null;
  // Calls waiting for the worker's reply, by `seq`, as renderer/packets/packet-client.ts does.
  const waiting = new Correlator<CallName, number, Extract<WorkerMessage, { kind: 'reply' }>>();
  const helperJobsWaiting: ((info: HelperInfo) => void)[] = [];
  const helperInfo = () =>
    new Promise<HelperInfo>((resolve) => {
      helperJobsWaiting.push(resolve);
      worker.postMessage({ helperJobs: true });
    });
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage | HelperInfo) => {
      if (message.kind === 'ready') resolve();
      else if (message.kind === 'failed') {
        crashed = new Error(message.error);
        reject(crashed);
      }
      else if (message.kind === 'stats') for (const [id, s] of Object.entries(message.stats)) latest.set(id, s);
      else if (message.kind === 'helper-jobs') helperJobsWaiting.shift()?.(message);
      else
        waiting.answer(message.seq, message, (reply) => {
          if (!reply.ok) throw new Error(reply.error);
          return reply.result;
        });
    });
    worker.on('error', (err) => {
      crashed = err;
      reject(err);
      waiting.failAll(err);
    });
  });
  await ready;
  return {
    call: (call, args, transfer = []) => waiting.request(call, (seq) => worker.postMessage({ seq, call, args } as WorkerRequest, transfer)),
    helperJobs: async () => (await helperInfo()).count,
    helperReadyMs: async () => (await helperInfo()).readyMs,
    stats: (id) => {
      // A worker that died stops pushing stats: say why instead of letting callers wait.
      if (crashed) throw new Error(`the dissection worker crashed: ${crashed.stack ?? crashed.message}`);
      return latest.get(id);
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === 'wirebench-dissect') {
  const port = parentPort;
  const post = (message: WorkerMessage | HelperInfo, transfer: Transferable[] = []) => port.postMessage(message, transfer as ArrayBuffer[]);
  const queue: WorkerRequest[] = [];
  let dispatch: WorkerDispatch | null = null;
  const module = await compileWiregasmNode();
  const helpers = new SegmentHelpers(() => spawnNodeHelper(module), (workerData as { helpers: number }).helpers);
  // An exception in the background dissection loop would otherwise end that loop silently.
  process.on('uncaughtException', (err) => post({ kind: 'failed', error: `dissection failed: ${err.stack ?? err.message}` }));
  port.on('message', (request: WorkerRequest | { helperJobs: true }) => {
    if ('helperJobs' in request) return post({ kind: 'helper-jobs', count: helpers.completed, readyMs: helpers.readyAfterMs });
    if (dispatch) dispatch.handle(request);
    else queue.push(request);
  });
  try {
    const host = new DissectorHost(await loadWiregasmNode(module));
    host.warmUp();
    dispatch = new WorkerDispatch(host, post, helpers, (workerData as { listingHelpers: number }).listingHelpers);
    post({ kind: 'ready' });
    for (const request of queue.splice(0)) dispatch.handle(request);
  } catch (err) {
    post({ kind: 'failed', error: `the packet dissector could not start: ${(err as Error).message}` });
  }
}
