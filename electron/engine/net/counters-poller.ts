/**
 * Polls a lab's NIC counters: ONE read of `/proc/<pid>/net/dev` per tick (any process inside
 * the lab namespace sees every TAP there), turned into guest-perspective counters and rates
 * for every NIC, emitted as one `counters.tick` event.
 */
import { readFileSync } from 'node:fs';
import type { CountersTickNic, NicCounters, NicRef } from '../../../shared/api.js';
import { guestView, ratesBetween, sinceBaseline, ZERO_COUNTERS } from './nic-counters.js';
import { parseProcNetDev } from './proc-net-dev.js';

export interface PolledNic extends NicRef {
  tap: string;
}

export interface CountersSource {
  /** NICs to report, with their host TAP names. */
  nics(): PolledNic[];
  /** The file to read (`/proc/<pid>/net/dev` of a process in the lab namespace), or null when nothing runs. */
  procNetDevPath(): string | null;
}

const key = (vm: string, bridge: string) => `${vm}\0${bridge}`;

export class CountersPoller {
  private timer: NodeJS.Timeout | null = null;
  private readonly baselines = new Map<string, NicCounters>();
  private previous = new Map<string, NicCounters>();
  private previousAt = 0;
  private latest = new Map<string, NicCounters>();

  constructor(
    private readonly source: CountersSource,
    private readonly onTick: (tick: { at: number; nics: CountersTickNic[] }) => void,
    private readonly intervalMs = 250,
    private readonly readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Raw (not baselined) guest-perspective counters of every TAP right now. */
  private readRaw(): Map<string, NicCounters> {
    const path = this.source.procNetDevPath();
    const raw = new Map<string, NicCounters>();
    if (!path) return raw;
    let stats;
    try {
      stats = parseProcNetDev(this.readFile(path));
    } catch {
      // The process may have exited between the path lookup and the read: report zeros this tick.
      return raw;
    }
    for (const nic of this.source.nics()) {
      const tap = stats.get(nic.tap);
      if (tap) raw.set(key(nic.vm, nic.bridge), guestView(tap));
    }
    return raw;
  }

  /** One poll: read once, compute every NIC, emit. Public so tests and benches can drive it. */
  tick(now = Date.now()): CountersTickNic[] {
    const raw = this.readRaw();
    const seconds = this.previousAt ? (now - this.previousAt) / 1000 : 0;
    const nics: CountersTickNic[] = [];
    const current = new Map<string, NicCounters>();
    for (const nic of this.source.nics()) {
      const k = key(nic.vm, nic.bridge);
      const counters = sinceBaseline(raw.get(k) ?? ZERO_COUNTERS, this.baselines.get(k) ?? ZERO_COUNTERS);
      current.set(k, counters);
      const before = this.previous.get(k);
      nics.push({ vm: nic.vm, bridge: nic.bridge, counters, rates: ratesBetween(before ?? counters, counters, before ? seconds : 0) });
    }
    this.previous = current;
    this.previousAt = now;
    this.latest = current;
    this.onTick({ at: now, nics });
    return nics;
  }

  /** Counters of one NIC read now (not waiting for a tick); zeros when its TAP does not exist. */
  read(nic: NicRef): NicCounters {
    const k = key(nic.vm, nic.bridge);
    const raw = this.readRaw().get(k) ?? ZERO_COUNTERS;
    return sinceBaseline(raw, this.baselines.get(k) ?? ZERO_COUNTERS);
  }

  /** Makes the current values the new zero for this NIC. */
  reset(nic: NicRef): void {
    const k = key(nic.vm, nic.bridge);
    this.baselines.set(k, this.readRaw().get(k) ?? ZERO_COUNTERS);
    this.previous.delete(k);
  }

  /** Forget baselines (the lab went down; TAPs will be new). */
  clear(): void {
    this.baselines.clear();
    this.previous.clear();
    this.latest.clear();
  }
}
