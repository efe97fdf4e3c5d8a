/**
 * Dissection bench: one generated 100,000-packet UDP pcap, our pipeline (the same core the Web
 * Worker runs, in Node) against native `tshark -r` on the same file. Prints one JSON line and
 * writes bench/results/dissect.json. Run: npx tsx bench/dissect/dissect-bench.ts
 *
 * - first_rows_ms: open → first 1,000 rows with columns (target ≤ 300 ms; wiregasm's one-off
 *   init and JIT warm-up are reported apart as init_ms/warm_up_ms: they happen once, in the
 *   worker, before it reports ready).
 * - load_ms: open → every packet dissected once (ratio target ≤ 3× tshark's full read).
 * - filter_ms: `udp.dstport==53` over all of it, versus `tshark -r -Y`.
 * - live: the same packets pushed at 20,000 pps in 50 ms batches; every packet must be indexed
 *   (count exact) and the dissection backlog must drain; max backlog and catch-up are reported.
 * - real_live: the whole live path for real (root; see electron/engine/test-support/
 *   live-pipeline.ts): BENCH_LIVE_PACKETS (100,000) UDP packets replayed by tcpreplay at 20,000
 *   pps into a lab bridge, captured through the engine with saveTo, every chunk posted to the
 *   viewer's worker code in its own thread. Fails unless viewer == saved file == sent, or any
 *   gap equals tcpdump's reported kernel drops; reports the pps tcpreplay achieved.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DissectorHost } from '../../renderer/packets/core/dissector-host.js';
import { writePcap } from '../../renderer/packets/core/pcap-format.js';
import { loadWiregasmNode } from '../../renderer/packets/core/wiregasm-node.js';
import { runLivePipeline } from '../../electron/engine/test-support/live-pipeline.js';
import { report } from '../report.js';
import { udpRecords } from '../../renderer/packets/core/synthetic-udp.js';

const PACKETS = Number(process.env.BENCH_PACKETS ?? 100_000);
const LIVE_PACKETS = Number(process.env.BENCH_LIVE_PACKETS ?? 100_000);
const LIVE_PPS = 20_000;
const FILTER = 'udp.dstport==53';

function timed<T>(work: () => T): [T, number] {
  const started = performance.now();
  const value = work();
  return [value, performance.now() - started];
}

function tshark(args: string[]): number {
  const started = performance.now();
  execFileSync('tshark', args, { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'wb-bench-dissect-')), 'udp.pcap');
  const records = udpRecords(PACKETS);
  writeFileSync(file, writePcap(1, records));
  const bytes = readFileSync(file);

  const tsharkLoad = tshark(['-r', file]);
  const tsharkFilter = tshark(['-r', file, '-Y', FILTER]);

  const [lib, initMs] = await (async () => {
    const started = performance.now();
    const l = await loadWiregasmNode();
    return [l, performance.now() - started] as const;
  })();
  const host = new DissectorHost(lib);
  // The worker warms up before it reports ready; so does the bench (reported apart).
  const [, warmUpMs] = timed(() => host.warmUp());

  const started = performance.now();
  host.openFile('bench', bytes);
  const firstRows = host.rows('bench', 0, 1000);
  const firstRowsMs = performance.now() - started;
  if (firstRows.length !== 1000 || firstRows[999]!.protocol === '…') throw new Error('first rows were not dissected');
  host.work(Infinity);
  const loadMs = performance.now() - started;
  const [, filterMs] = timed(() => {
    host.setFilter('bench', FILTER);
    return host.stats('bench')!.rows;
  });
  const matched = host.stats('bench')!.rows;
  if (matched !== PACKETS / 10) throw new Error(`filter matched ${matched}, expected ${PACKETS / 10}`);
  host.close('bench');

  // Live: 20,000 pps in 50 ms batches, dissecting between batches as the worker does.
  const rate = 20_000;
  const batch = rate / 20;
  host.openLive('live');
  const header = writePcap(1, []);
  host.push('live', header);
  let maxBacklog = 0;
  const liveStart = performance.now();
  for (let sent = 0; sent < PACKETS; sent += batch) {
    const due = liveStart + (sent / rate) * 1000;
    while (performance.now() < due) host.work(5);
    host.push('live', writePcap(1, records.slice(sent, sent + batch)).subarray(24));
    maxBacklog = Math.max(maxBacklog, host.stats('live')!.pending);
  }
  const sendMs = performance.now() - liveStart;
  while (host.stats('live')!.pending > 0) host.work(50);
  const drainedMs = performance.now() - liveStart;
  const live = host.stats('live')!;
  if (live.total !== PACKETS) throw new Error(`live path indexed ${live.total} of ${PACKETS} packets`);
  host.close('live');

  const real = await runLivePipeline(LIVE_PACKETS, LIVE_PPS);
  const explained = real.viewer === real.saved && real.captured === real.saved && real.sent - real.saved === real.kernelDrops;
  if (!explained) throw new Error(`real live path lost packets silently: ${JSON.stringify(real)}`);

  report('dissect', {
    packets: PACKETS,
    init_ms: Math.round(initMs),
    warm_up_ms: Math.round(warmUpMs),
    first_rows_ms: Math.round(firstRowsMs),
    load_ms: Math.round(loadMs),
    filter_ms: Math.round(filterMs),
    tshark_load_ms: Math.round(tsharkLoad),
    tshark_filter_ms: Math.round(tsharkFilter),
    load_ratio: +(loadMs / tsharkLoad).toFixed(2),
    filter_ratio: +(filterMs / tsharkFilter).toFixed(2),
    live_pps: rate,
    live_indexed: live.total,
    live_missing: PACKETS - live.total,
    live_send_ms: Math.round(sendMs),
    live_drained_ms: Math.round(drainedMs),
    live_max_backlog: maxBacklog,
    live_dissect_pps: Math.round(PACKETS / (drainedMs / 1000)),
    real_live_sent: real.sent,
    real_live_pps: Math.round(real.sentPps),
    real_live_saved: real.saved,
    real_live_viewer: real.viewer,
    real_live_kernel_drops: real.kernelDrops,
    real_live_missing: real.sent - real.viewer,
    real_live_max_backlog: real.maxBacklog,
    real_live_drain_ms: Math.round(real.drainMs),
    real_live_chunks: real.chunks,
    load_avg: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  });
}

await main();
