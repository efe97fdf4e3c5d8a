/**
 * Human-readable units for counters and rates, shared by the canvas edges, the inspector and
 * the CLI. Network rates use decimal SI prefixes (1 kbit/s = 1000 bit/s, as `ip -s`, iperf
 * and switch datasheets do); byte totals use binary prefixes (KiB, MiB) like `ip -h -s link`.
 */

const SI_PREFIXES = ['', 'k', 'M', 'G', 'T', 'P'] as const;
const BINARY_PREFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'] as const;

/** Three significant digits at most ("1.23", "12.3", "123"), whole numbers below ten units. */
function compact(value: number): string {
  if (value === 0) return '0';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return trimZeros(value.toFixed(1));
  return trimZeros(value.toFixed(2));
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function scaled(value: number, base: number, prefixes: readonly string[]): { number: string; prefix: string } {
  if (!Number.isFinite(value) || value <= 0) return { number: '0', prefix: '' };
  let index = 0;
  let v = value;
  while (v >= base && index < prefixes.length - 1) {
    v /= base;
    index += 1;
  }
  // Rounding can carry a value to the next unit (999.7 → "1000"): show "1.00 k" instead.
  if (compact(v) === String(base) && index < prefixes.length - 1) {
    v /= base;
    index += 1;
  }
  return { number: compact(v), prefix: prefixes[index]! };
}

/** Bits per second: `0 bit/s`, `950 bit/s`, `1.5 kbit/s`, `12.3 Mbit/s`, `1 Gbit/s`. */
export function formatBitRate(bitsPerSecond: number): string {
  const { number, prefix } = scaled(bitsPerSecond, 1000, SI_PREFIXES);
  return `${number} ${prefix}bit/s`;
}

/** Packets per second: `0 pkt/s`, `12 pkt/s`, `1.2k pkt/s`. Fractions below 10 keep one decimal. */
export function formatPacketRate(packetsPerSecond: number): string {
  if (!Number.isFinite(packetsPerSecond) || packetsPerSecond <= 0) return '0 pkt/s';
  if (packetsPerSecond < 10) return `${trimZeros(packetsPerSecond.toFixed(1))} pkt/s`;
  const { number, prefix } = scaled(packetsPerSecond, 1000, SI_PREFIXES);
  return `${number}${prefix} pkt/s`;
}

/** Byte totals: `0 B`, `512 B`, `1.5 KiB`, `3.21 GiB`. */
export function formatBytes(bytes: number): string {
  const { number, prefix } = scaled(bytes, 1024, BINARY_PREFIXES);
  return `${number} ${prefix}B`;
}

/** Counts with thousands separators that do not depend on the locale: `1 234 567`. */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return '0';
  const whole = Math.round(count);
  const sign = whole < 0 ? '-' : '';
  return sign + String(Math.abs(whole)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** Short label for an edge: "↓1.2 Mbit/s ↑40 kbit/s" (guest perspective: ↓ = received). */
export function formatRxTx(rxBps: number, txBps: number): string {
  return `↓${formatBitRate(rxBps)} ↑${formatBitRate(txBps)}`;
}

/**
 * Share of a link's capacity in use, 0–1, for colouring edges. Links without a rate limit are
 * measured against `fallbackBps` (1 Gbit/s: what a virtio-net link feels like in a lab).
 */
export function utilisation(bitsPerSecond: number, capacityBps: number | null, fallbackBps = 1e9): number {
  const capacity = capacityBps && capacityBps > 0 ? capacityBps : fallbackBps;
  if (!Number.isFinite(bitsPerSecond) || bitsPerSecond <= 0) return 0;
  return Math.min(1, bitsPerSecond / capacity);
}
