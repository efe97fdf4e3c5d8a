import type { RateSample } from '../store/counter-hub.js';
import { SPARKLINE_WINDOW_MS } from '../store/counter-hub.js';

/** rx and tx over the last 60 s, scaled to the busiest sample in the window. */
export function Sparkline({ samples, now, width = 220, height = 48 }: { samples: readonly RateSample[]; now: number; width?: number; height?: number }) {
  const recent = samples.filter((s) => s.at >= now - SPARKLINE_WINDOW_MS);
  const peak = Math.max(1, ...recent.map((s) => Math.max(s.rxBps, s.txBps)));
  const x = (at: number) => ((at - (now - SPARKLINE_WINDOW_MS)) / SPARKLINE_WINDOW_MS) * width;
  const y = (bps: number) => height - 2 - (bps / peak) * (height - 4);
  const line = (pick: (s: RateSample) => number) => recent.map((s) => `${x(s.at).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
  return (
    <svg className="wb-sparkline" width={width} height={height} role="img" aria-label="traffic over the last 60 seconds">
      <rect x={0} y={0} width={width} height={height} className="wb-sparkline-bg" />
      <polyline points={line((s) => s.rxBps)} className="wb-spark-rx" fill="none" />
      <polyline points={line((s) => s.txBps)} className="wb-spark-tx" fill="none" />
    </svg>
  );
}
