/**
 * Counters poller cost per tick for 1,000 NICs, against the bare cost of reading the same
 * /proc-style file (the floor: one readFileSync per tick). A fake file is fine here: the
 * kernel's own formatting time is not ours to measure. Target: under 2 ms per tick (median;
 * p95 is printed too, and on a loaded 2-core machine it shows GC pauses and neighbours).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountersPoller, type PolledNic } from '../../electron/engine/net/counters-poller.js';
import { percentile, report } from '../report.js';

const NICS = 1000;
const TICKS = 2000;

const nics: PolledNic[] = Array.from({ length: NICS }, (_, i) => ({ vm: `vm${i % 500}`, bridge: `br${Math.floor(i / 500)}`, tap: `t-${i.toString(16).padStart(13, '0')}` }));
const dir = mkdtempSync(join(tmpdir(), 'wb-bench-'));
const file = join(dir, 'dev');
let counter = 0;
function writeProc(): void {
  counter += 1500;
  const lines = nics.map((n, i) => `${n.tap.padStart(16)}: ${counter + i} ${i} 0 0 0 0 0 0 ${counter * 2 + i} ${i * 2} 0 0 0 0 0 0`);
  writeFileSync(file, `Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n${lines.join('\n')}\n`);
}
writeProc();

function time(fn: () => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < TICKS; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

// Warm up both paths so the JIT has settled before measuring.
const poller = new CountersPoller({ nics: () => nics, procNetDevPath: () => file }, () => undefined);
time(() => readFileSync(file, 'utf8')).slice(0, 200);
for (let i = 0; i < 200; i++) poller.tick();

const baseline = time(() => readFileSync(file, 'utf8'));
let now = Date.now();
const ours = time(() => poller.tick((now += 250)));

const result = {
  nics: NICS,
  ticks: TICKS,
  baselineReadMsP50: percentile(baseline, 50),
  baselineReadMsP95: percentile(baseline, 95),
  tickMsP50: percentile(ours, 50),
  tickMsP95: percentile(ours, 95),
  ratioP50: percentile(ours, 50) / percentile(baseline, 50),
  targetMs: 2,
  meetsTarget: percentile(ours, 50) < 2,
};
report('counters', result);
