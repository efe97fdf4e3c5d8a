/**
 * The live packet path end to end, for the system test and bench/dissect: a lab namespace
 * brought up through the engine, `tcpreplay` injecting a generated UDP pcap into its bridge at
 * a fixed rate, a `bridge.capture` (or `nic.capture` on a guest's NIC) with `saveTo` through the
 * engine (helper → tcpdump → FIFO →
 * the capture's stream to the client that started it), and every chunk posted to the packet viewer's worker code running
 * in its own thread (packet/node/dissect-thread.ts), exactly as the renderer forwards it. Counts are then compared
 * three ways: packets sent (tcpreplay), packets in the saved file (capinfos), packets in the
 * viewer; tcpdump's kernel drop count must explain any difference.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namespaceName } from '../../../shared/host-names.js';
import { startDissectThread, udpRecords, writePcap } from '../../../packet/node.js';
import { addInjector, replay } from './traffic-injector.js';
import { namespaces, openEngine, twoVmLab, waitFor } from './system-lab.js';
import { captureRecorder } from './capture-recorder.js';

export interface LivePipelineResult {
  sent: number;
  /** Rate tcpreplay achieved. */
  sentPps: number;
  /** tcpdump's own counts at stop. */
  captured: number | null;
  kernelDrops: number | null;
  /** Packets in the `saveTo` file (capinfos). */
  saved: number;
  /** Packets the viewer indexed. */
  viewer: number;
  /** The last 50 rows came back with Wireshark's columns (UDP/DNS), not placeholders. */
  tailDissected: boolean;
  /** Packets the viewer still had to dissect when the last one arrived (its worst backlog). */
  maxBacklog: number;
  /** From the last packet arriving to every packet dissected. */
  drainMs: number;
  chunks: number;
}

/** Only packets from the generator's MAC: the bridge's own chatter must not blur the counts. */
const CAPTURE_FILTER = 'ether src 52:54:00:00:00:01 and udp';

/**
 * `target` 'bridge' captures the whole bridge; 'nic' boots one tiny guest on it and captures
 * its NIC (the TAP), which the replayed frames reach by flooding (their MAC is nobody's).
 */
export async function runLivePipeline(packets: number, pps: number, target: 'bridge' | 'nic' = 'bridge'): Promise<LivePipelineResult> {
  const lab = target === 'nic' ? twoVmLab({ name: 'livepipe', vms: [{ name: 'a' }], nics: [{ vm: 'a', bridge: 'lan' }] }) : twoVmLab({ name: 'livepipe', vms: [], nics: [] });
  const ns = namespaceName(lab);
  const dir = mkdtempSync(join(tmpdir(), 'wb-live-'));
  const pcap = join(dir, 'sent.pcap');
  const saved = join(dir, 'saved.pcap');
  writeFileSync(pcap, writePcap(1, udpRecords(packets)));

  const viewer = await startDissectThread();
  const { engine } = await openEngine(lab);
  try {
    await engine.invoke(target === 'nic' ? 'lab.up' : 'lab.upNetwork', {});
    const injector = addInjector(ns, 'br-lan');
    await viewer.call('openLive', { id: 'live' });
    const failures: Error[] = [];
    let chunks = 0;
    let maxBacklog = 0;
    // The client that starts the capture: its bytes come to it alone, none before the reply.
    const recorder = captureRecorder({ keep: false });
    recorder.onData((_id, data) => {
      chunks++;
      const bytes = new Uint8Array(data);
      viewer.call('push', { id: 'live', bytes }, [bytes.buffer as ArrayBuffer]).catch((err: Error) => failures.push(err));
      maxBacklog = Math.max(maxBacklog, viewer.stats('live')?.pending ?? 0);
    });
    const options = { filter: CAPTURE_FILTER, saveTo: saved };
    const { captureId } = target === 'nic' ? await engine.invoke('nic.capture', { nic: { vm: 'a', bridge: 'lan' }, options }, recorder.client) : await engine.invoke('bridge.capture', { bridge: 'lan', options }, recorder.client);

    const sent = await replay(ns, injector.dev, pcap, pps);
    // tcpdump processes packets still in its kernel ring only while it runs: wait for the last
    // one to reach the viewer (or give up after 15 s and let the counts below show the gap).
    await waitFor('every sent packet to reach the viewer', () => (viewer.stats('live')?.total ?? 0) >= sent.sent, 15_000, 20).catch(() => undefined);
    const arrived = performance.now();
    const stopped = await engine.invoke('capture.stop', { captureId });
    await waitFor('the viewer to dissect every packet', () => viewer.stats('live')?.pending === 0, 120_000, 20).catch((err: Error) => {
      throw new Error(`${err.message} (last stats the worker pushed: ${JSON.stringify(viewer.stats('live'))})`);
    });
    const drainMs = performance.now() - arrived;
    const indexed = viewer.stats('live')!.total;
    // What the list shows at the bottom once the capture stopped: dissected, not placeholders.
    const tail = await viewer.call('rows', { id: 'live', start: Math.max(0, indexed - 50), count: 50 });
    const tailDissected = tail.length > 0 && tail.every((r) => r.protocol === 'UDP' || r.protocol === 'DNS');
    await viewer.call('close', { id: 'live' });
    if (failures.length > 0) throw failures[0]!;
    injector.remove();
    return {
      sent: sent.sent,
      sentPps: sent.pps,
      captured: stopped.packets,
      kernelDrops: stopped.kernelDrops,
      saved: capinfosCount(saved),
      viewer: indexed,
      tailDissected,
      maxBacklog,
      drainMs,
      chunks,
    };
  } finally {
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    await viewer.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function capinfosCount(file: string): number {
  const out = execFileSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' });
  const match = /Number of packets:\s+(\d+)/.exec(out);
  if (!match) throw new Error(`capinfos printed no packet count for ${file}:\n${out}`);
  return Number(match[1]);
}
