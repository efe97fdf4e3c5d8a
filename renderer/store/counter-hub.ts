/**
 * Live NIC counters, outside React and outside zustand. A `counters.tick` arrives up to a few
 * times per second for every NIC of a lab; pushing that through React state re-renders every
 * edge (p95 150 ms at 1,000 edges, see docs/platform-facts.md). Instead each edge subscribes to its
 * own key here and writes the new numbers straight into its SVG through refs.
 */
import type { CountersTickNic, NicCounters, NicRates } from '../../shared/api.js';

/** 60 s of samples at up to 4 Hz. */
const HISTORY_SAMPLES = 256;
export const SPARKLINE_WINDOW_MS = 60_000;

export interface RateSample {
  at: number;
  rxBps: number;
  txBps: number;
}

export interface NicLive {
  counters: NicCounters;
  rates: NicRates;
  at: number;
  /** Oldest first; bounded to HISTORY_SAMPLES. */
  history: RateSample[];
}

export interface BridgeTotals {
  rxBps: number;
  txBps: number;
  rxPps: number;
  txPps: number;
  errors: number;
  nics: number;
}

export const nicKey = (vm: string, bridge: string) => `${vm}\u0000${bridge}`;

type Listener = () => void;

/**
 * How notifications reach subscribers. `sync`: at once (tests, Node). `frame`: all together in
 * the next animation frame, so ticks that arrive between two frames coalesce and every DOM
 * write of a tick lands in one style/layout/paint pass. (Spreading a tick over several frames
 * was measured and is worse: each frame then repaints the whole edge layer.)
 */
export type Delivery = { kind: 'sync' } | { kind: 'frame'; requestFrame: (run: () => void) => void };

export class CounterHub {
  private readonly nics = new Map<string, NicLive>();
  private readonly bridges = new Map<string, BridgeTotals>();
  /** NIC keys per bridge, so a bridge's totals cost O(its NICs), not O(all NICs). */
  private readonly bridgeNics = new Map<string, Set<string>>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Keys whose subscribers have not heard of the latest values yet, oldest first. */
  private readonly pending = new Set<string>();
  private frameRequested = false;
  /** Ticks received so far; views that update less often than every tick key off it. */
  seq = 0;

  constructor(private readonly delivery: Delivery = { kind: 'sync' }) {}

  /** Folds one `counters.tick` event in and notifies only the NICs and bridges it names. */
  ingest(at: number, nics: readonly CountersTickNic[]): void {
    this.seq += 1;
    const touchedBridges = new Set<string>();
    for (const tick of nics) {
      const key = nicKey(tick.vm, tick.bridge);
      const previous = this.nics.get(key);
      const history = previous ? previous.history : [];
      history.push({ at, rxBps: tick.rates.rx_bps, txBps: tick.rates.tx_bps });
      if (history.length > HISTORY_SAMPLES) history.splice(0, history.length - HISTORY_SAMPLES);
      this.nics.set(key, { counters: tick.counters, rates: tick.rates, at, history });
      if (!previous) {
        let keys = this.bridgeNics.get(tick.bridge);
        if (!keys) this.bridgeNics.set(tick.bridge, (keys = new Set()));
        keys.add(key);
      }
      touchedBridges.add(tick.bridge);
    }
    for (const bridge of touchedBridges) this.bridges.set(bridge, this.sumBridge(bridge));
    for (const tick of nics) this.pending.add(nicKey(tick.vm, tick.bridge));
    for (const bridge of touchedBridges) this.pending.add(`bridge:${bridge}`);
    this.deliver();
  }

  private deliver(): void {
    if (this.delivery.kind === 'sync') {
      this.flush();
      return;
    }
    if (this.frameRequested) return;
    this.frameRequested = true;
    this.delivery.requestFrame(() => {
      this.frameRequested = false;
      this.flush();
    });
  }

  private flush(): void {
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) this.notify(key);
  }

  nic(vm: string, bridge: string): NicLive | undefined {
    return this.nics.get(nicKey(vm, bridge));
  }

  bridge(name: string): BridgeTotals | undefined {
    return this.bridges.get(name);
  }

  subscribeNic(vm: string, bridge: string, listener: Listener): () => void {
    return this.subscribe(nicKey(vm, bridge), listener);
  }

  subscribeBridge(bridge: string, listener: Listener): () => void {
    return this.subscribe(`bridge:${bridge}`, listener);
  }

  /** Forgets everything (lab closed or stopped): edges fall back to their idle look. */
  clear(): void {
    const keys = [...this.nics.keys()];
    const bridges = [...this.bridges.keys()];
    this.nics.clear();
    this.bridges.clear();
    this.bridgeNics.clear();
    this.pending.clear();
    for (const key of keys) this.notify(key);
    for (const bridge of bridges) this.notify(`bridge:${bridge}`);
  }

  private sumBridge(bridge: string): BridgeTotals {
    const totals: BridgeTotals = { rxBps: 0, txBps: 0, rxPps: 0, txPps: 0, errors: 0, nics: 0 };
    for (const key of this.bridgeNics.get(bridge) ?? []) {
      const live = this.nics.get(key);
      if (!live) continue;
      totals.rxBps += live.rates.rx_bps;
      totals.txBps += live.rates.tx_bps;
      totals.rxPps += live.rates.rx_pps;
      totals.txPps += live.rates.tx_pps;
      totals.errors += live.counters.errors;
      totals.nics += 1;
    }
    return totals;
  }

  private subscribe(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  private notify(key: string): void {
    const set = this.listeners.get(key);
    if (set) for (const listener of set) listener();
  }
}

export const counterHub = new CounterHub(
  typeof requestAnimationFrame === 'function' ? { kind: 'frame', requestFrame: (run) => requestAnimationFrame(() => run()) } : { kind: 'sync' },
);
