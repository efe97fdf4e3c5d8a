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


export class CountersPoller {
  private timer: NodeJS.Timeout | null = null;
  /** Keyed by TAP name: unique per NIC, and already a string (no key building per tick). */
  private readonly baselines = new Map<string, NicCounters>();
  private previous = new Map<string, NicCounters>();
  /** The TAP names of the last NIC list seen, rebuilt only when the list itself changes. */
  private wantedFor: readonly PolledNic[] | null = null;
  private wanted: ReadonlySet<string> = new Set();
  private previousAt = 0;

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

  /** Raw (not baselined) guest-perspective counters of the given NICs right now: one file read. */
  private readRaw(nics: readonly PolledNic[]): Map<string, NicCounters> {
    const path = this.source.procNetDevPath();
    const raw = new Map<string, NicCounters>();
    if (!path) return raw;
    let stats;
    try {
      if (nics !== this.wantedFor) {
        this.wanted = new Set(nics.map((n) => n.tap));
        this.wantedFor = nics;
      }
      stats = parseProcNetDev(this.readFile(path), this.wanted);
    } catch {
      // The process may have exited between the path lookup and the read: report zeros this tick.
      return raw;
    }
    for (const nic of nics) {
      const tap = stats.get(nic.tap);
      if (tap) raw.set(nic.tap, guestView(tap));
    }
    return raw;
  }

  /** One poll: read once, compute every NIC, emit. Public so tests and benches can drive it. */
  tick(now = Date.now()): CountersTickNic[] {
    const polled = this.source.nics();
    const raw = this.readRaw(polled);
    const seconds = this.previousAt ? (now - this.previousAt) / 1000 : 0;
    const nics: CountersTickNic[] = [];
    const current = new Map<string, NicCounters>();
    for (const nic of polled) {
      const k = nic.tap;
      const counters = sinceBaseline(raw.get(k) ?? ZERO_COUNTERS, this.baselines.get(k) ?? ZERO_COUNTERS);
      current.set(k, counters);
      const before = this.previous.get(k);
      nics.push({ vm: nic.vm, bridge: nic.bridge, counters, rates: ratesBetween(before ?? counters, counters, before ? seconds : 0) });
    }
    this.previous = current;
    this.previousAt = now;
    this.onTick({ at: now, nics });
    return nics;
  }

  /** Counters of one NIC read now (not waiting for a tick); zeros when its TAP does not exist. */
  read(nic: NicRef): NicCounters {
    const polled = this.find(nic);
    if (!polled) return ZERO_COUNTERS;
    const raw = this.readRaw([polled]).get(polled.tap) ?? ZERO_COUNTERS;
    return sinceBaseline(raw, this.baselines.get(polled.tap) ?? ZERO_COUNTERS);
  }

  /** Makes the current values the new zero for this NIC. */
  reset(nic: NicRef): void {
    const polled = this.find(nic);
    if (!polled) return;
    this.baselines.set(polled.tap, this.readRaw([polled]).get(polled.tap) ?? ZERO_COUNTERS);
    this.previous.delete(polled.tap);
  }

  private find(nic: NicRef): PolledNic | undefined {
    return this.source.nics().find((n) => n.vm === nic.vm && n.bridge === nic.bridge);
  }

  /** Forget baselines (the lab went down; TAPs will be new). */
  clear(): void {
    this.baselines.clear();
    this.previous.clear();
  }
}
