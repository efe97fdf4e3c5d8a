/**
 * Dissection bench: one generated 100,000-packet UDP pcap, our pipeline (the same core the Web
 * Worker runs, in Node) against native `tshark -r` on the same file. Prints one JSON line and
 * writes bench/results/dissect.json. Run: npx tsx bench/dissect/dissect-bench.ts
 *
 * The viewer path runs as in the app: the viewer's worker (WorkerDispatch) in a worker thread
 * with one segment helper per spare core (packet/core/segment-helpers.ts), each with
 * its own wiregasm; helpers start at the first big job, so their start-up counts in load_ms.
 *
 * - first_rows_ms: open → first 1,000 rows with columns, median of three opens (target
 *   ≤ 300 ms; a single GC pause shows at this scale; wiregasm's one-off
 *   init and JIT warm-up are reported apart as init_ms/warm_up_ms: they happen once, in the
 *   worker, before it reports ready).
 * - open_ms: open → every packet indexed, any row reachable (rows on screen are dissected at
 *   once, like Wireshark's packet list).
 * - load_ms: open → the columns of every row listed by the background listing (the same work
 *   as `tshark -r` printing every row; ratio target ≤ 3× tshark's full read).
 * - filter_ms: `udp.dstport==53` over all of it, versus `tshark -r -Y`.
 * - *_one_instance_ms: the same with a single wiregasm (no helpers: a one-core machine), in
 *   this thread; jump_rows_p95_ms: 60 rows at a random position of a file not yet listed
 *   (a segment re-load), as a scrollbar drag does.
 * - live: the same packets pushed at 20,000 pps in 50 ms batches; every packet must be indexed
 *   (count exact); the 60 rows at the tail are fetched every 100 ms as the list does on each
 *   stats update, and their cost (the worker's live load) is reported.
 * - real_live: the whole live path for real (root; see electron/engine/test-support/
 *   live-pipeline.ts): BENCH_LIVE_PACKETS (100,000) UDP packets replayed by tcpreplay at 20,000
 *   pps into a lab bridge, captured on a guest's NIC (real_live_bridge_*: on the whole bridge)
 *   through the engine with saveTo, every chunk posted to the
 *   viewer's worker code in its own thread. Fails unless viewer == saved file == sent, or any
 *   gap equals tcpdump's reported kernel drops; reports the pps tcpreplay achieved.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DissectorHost, helperCounts, loadWiregasmNode, startDissectThread, udpRecords, writePcap } from '../../packet/node.js';
import { runLivePipeline } from '../../electron/engine/test-support/live-pipeline.js';
import { waitFor } from '../../electron/engine/test-support/system-lab.js';
import { percentile, report } from '../report.js';

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

  // The app's path: viewer worker + helpers (sized as dissect.worker.ts does), in threads.
  const { helpers, listingHelpers } = helperCounts(availableParallelism());
  const viewer = await startDissectThread({ helpers, listingHelpers });
  const viewerStart = performance.now();
  await viewer.call('openFile', { id: 'bench', bytes: bytes.slice() });
  const viewerOpenMs = performance.now() - viewerStart;
  const viewerFirst = await viewer.call('rows', { id: 'bench', start: 0, count: 1000 });
  const viewerFirstRowsMs = performance.now() - viewerStart;
  if (viewerFirst.length !== 1000 || viewerFirst[999]!.protocol === '…') throw new Error('first rows were not dissected');
  await waitFor('the background listing', () => viewer.stats('bench')?.listing === 0, 600_000, 5);
  const loadMs = performance.now() - viewerStart;
  const filterStart = performance.now();
  await viewer.call('setFilter', { id: 'bench', filter: FILTER });
  await waitFor('the filter', () => viewer.stats('bench')?.filter === FILTER && viewer.stats('bench')?.pending === 0, 600_000, 5);
  const filterMs = performance.now() - filterStart;
  if (viewer.stats('bench')?.rows !== PACKETS / 10) throw new Error(`filter matched ${viewer.stats('bench')?.rows}, expected ${PACKETS / 10}`);
  const helperJobs = await viewer.helperJobs();
  const helperReadyMs = await viewer.helperReadyMs();
  // Two more opens (the first was above): first rows are ~200–300 ms of indexing and one
  // segment's dissection, where a single GC pause shows; report the median of three.
  const opens = [viewerOpenMs];
  const firsts = [viewerFirstRowsMs];
  for (const id of ['again-1', 'again-2']) {
    await viewer.call('close', { id: opens.length === 1 ? 'bench' : 'again-1' });
    const again = performance.now();
    await viewer.call('openFile', { id, bytes: bytes.slice() });
    opens.push(performance.now() - again);
    await viewer.call('rows', { id, start: 0, count: 1000 });
    firsts.push(performance.now() - again);
  }
  await viewer.close();

  const [lib, initMs] = await (async () => {
    const started = performance.now();
    const l = await loadWiregasmNode();
    return [l, performance.now() - started] as const;
  })();
  const host = new DissectorHost(lib);
  // The worker warms up before it reports ready; so does the bench (reported apart).
  const [, warmUpMs] = timed(() => host.warmUp());

  // One instance, in this thread: rows listed on demand, 1,000 at a time.
  const started = performance.now();
  host.openFile('bench', bytes);
  const openMs = performance.now() - started;
  const firstRows = host.rows('bench', 0, 1000);
  const firstRowsMs = performance.now() - started;
  if (firstRows.length !== 1000 || firstRows[999]!.protocol === '…') throw new Error('first rows were not dissected');
  for (let at = 1000; at < PACKETS; at += 1000) host.rows('bench', at, 1000);
  const loadOneMs = performance.now() - started;
  host.close('bench');
  host.openFile('bench', bytes);
  const jumps: number[] = [];
  for (let i = 0; i < 30; i++) {
    const at = Math.floor(Math.random() * (PACKETS - 60));
    jumps.push(timed(() => host.rows('bench', at, 60))[1]);
  }
  const [, filterOneMs] = timed(() => {
    host.setFilter('bench', FILTER);
    host.work(Infinity);
  });
  const matched = host.stats('bench')!.rows;
  if (matched !== PACKETS / 10) throw new Error(`filter matched ${matched}, expected ${PACKETS / 10}`);
  host.close('bench');

  // Live: 20,000 pps in 50 ms batches; the list asks for the tail rows every 100 ms.
  const rate = 20_000;
  const batch = rate / 20;
  host.openLive('live');
  const header = writePcap(1, []);
  host.push('live', header);
  const tailMs: number[] = [];
  const liveStart = performance.now();
  let nextTail = liveStart;
  for (let sent = 0; sent < PACKETS; sent += batch) {
    const due = liveStart + (sent / rate) * 1000;
    while (performance.now() < due) {
      if (performance.now() >= nextTail) {
        const total = host.stats('live')!.total;
        tailMs.push(timed(() => host.rows('live', Math.max(0, total - 60), 60))[1]);
        nextTail += 100;
      }
    }
    host.push('live', writePcap(1, records.slice(sent, sent + batch)).subarray(24));
  }
  const sendMs = performance.now() - liveStart;
  const live = host.stats('live')!;
  if (live.total !== PACKETS) throw new Error(`live path indexed ${live.total} of ${PACKETS} packets`);
  host.close('live');

  // From a NIC, as the issue asks (a guest's TAP), then the whole bridge.
  const real = await runLivePipeline(LIVE_PACKETS, LIVE_PPS, 'nic');
  const realBridge = await runLivePipeline(LIVE_PACKETS, LIVE_PPS, 'bridge');
  for (const run of [real, realBridge]) {
    const explained = run.viewer === run.saved && run.captured === run.saved && run.sent - run.saved === run.kernelDrops;
    if (!explained) throw new Error(`real live path lost packets silently: ${JSON.stringify(run)}`);
  }

  report('dissect', {
    packets: PACKETS,
    init_ms: Math.round(initMs),
    warm_up_ms: Math.round(warmUpMs),
    helpers,
    listing_helpers: listingHelpers,
    helper_jobs: helperJobs,
    helper_ready_ms: helperReadyMs === null ? null : Math.round(helperReadyMs),
    open_ms: Math.round(percentile(opens, 50)),
    first_rows_ms: Math.round(percentile(firsts, 50)),
    first_rows_each_ms: firsts.map(Math.round),
    load_ms: Math.round(loadMs),
    filter_ms: Math.round(filterMs),
    tshark_load_ms: Math.round(tsharkLoad),
    tshark_filter_ms: Math.round(tsharkFilter),
    load_ratio: +(loadMs / tsharkLoad).toFixed(2),
    filter_ratio: +(filterMs / tsharkFilter).toFixed(2),
    open_one_instance_ms: Math.round(openMs),
    first_rows_one_instance_ms: Math.round(firstRowsMs),
    load_one_instance_ms: Math.round(loadOneMs),
    filter_one_instance_ms: Math.round(filterOneMs),
    load_one_instance_ratio: +(loadOneMs / tsharkLoad).toFixed(2),
    filter_one_instance_ratio: +(filterOneMs / tsharkFilter).toFixed(2),
    jump_rows_p95_ms: Math.round(percentile(jumps, 95)),
    live_pps: rate,
    live_indexed: live.total,
    live_missing: PACKETS - live.total,
    live_send_ms: Math.round(sendMs),
    live_tail_rows_p95_ms: Math.round(percentile(tailMs, 95)),
    live_tail_rows_max_ms: Math.round(Math.max(...tailMs)),
    live_worker_busy_share: +(tailMs.reduce((a, b) => a + b, 0) / sendMs).toFixed(2),
    real_live_sent: real.sent,
    real_live_pps: Math.round(real.sentPps),
    real_live_saved: real.saved,
    real_live_viewer: real.viewer,
    real_live_kernel_drops: real.kernelDrops,
    real_live_missing: real.sent - real.viewer,
    real_live_tail_dissected: real.tailDissected,
    real_live_chunks: real.chunks,
    real_live_bridge_saved: realBridge.saved,
    real_live_bridge_kernel_drops: realBridge.kernelDrops,
    real_live_bridge_missing: realBridge.sent - realBridge.viewer,
    load_avg: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  });
}

await main();
