/**
 * Guest-perspective NIC counters with a resettable baseline (as MirageOS netfront's
 * `reset_stats_counters`): what the host TAP transmits, the guest receives.
 */
import type { NicCounters, NicRates } from '../../../shared/api.js';
import type { HostIfStats } from './proc-net-dev.js';

export const ZERO_COUNTERS: NicCounters = Object.freeze({ rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0, errors: 0 });

/** Host TAP stats → guest view: guest rx = TAP tx, guest tx = TAP rx, errors = both directions. */
export function guestView(tap: HostIfStats): NicCounters {
  return {
    rx_bytes: tap.txBytes,
    tx_bytes: tap.rxBytes,
    rx_packets: tap.txPackets,
    tx_packets: tap.rxPackets,
    errors: tap.rxErrors + tap.txErrors,
  };
}

/**
 * Subtracts a baseline. When a counter went backwards the TAP was recreated (VM restart):
 * the baseline no longer applies, so the raw value is the truth.
 */
export function sinceBaseline(raw: NicCounters, baseline: NicCounters): NicCounters {
  if (baseline === ZERO_COUNTERS) return raw;
  const wrapped =
    raw.rx_bytes < baseline.rx_bytes ||
    raw.tx_bytes < baseline.tx_bytes ||
    raw.rx_packets < baseline.rx_packets ||
    raw.tx_packets < baseline.tx_packets ||
    raw.errors < baseline.errors;
  if (wrapped) return raw;
  return {
    rx_bytes: raw.rx_bytes - baseline.rx_bytes,
    tx_bytes: raw.tx_bytes - baseline.tx_bytes,
    rx_packets: raw.rx_packets - baseline.rx_packets,
    tx_packets: raw.tx_packets - baseline.tx_packets,
    errors: raw.errors - baseline.errors,
  };
}

/** Per-second rates between two readings `seconds` apart; a counter that went back gives 0. */
export function ratesBetween(previous: NicCounters, current: NicCounters, seconds: number): NicRates {
  if (seconds <= 0) return { rx_bps: 0, tx_bps: 0, rx_pps: 0, tx_pps: 0 };
  const per = (a: number, b: number) => (b > a ? (b - a) / seconds : 0);
  return {
    rx_bps: per(previous.rx_bytes, current.rx_bytes) * 8,
    tx_bps: per(previous.tx_bytes, current.tx_bytes) * 8,
    rx_pps: per(previous.rx_packets, current.rx_packets),
    tx_pps: per(previous.tx_packets, current.tx_packets),
  };
}
