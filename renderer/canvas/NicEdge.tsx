import { memo, useEffect, useRef } from 'react';
import { EdgeLabelRenderer, getStraightPath, type EdgeProps } from '@xyflow/react';
import { formatBitRate, formatPacketRate } from '../../shared/format.js';
import { counterHub } from '../store/counter-hub.js';
import { edgeColour } from './edge-look.js';
import { edgeLabelsVisible, labelOnScreen, onLevelOfDetailChange } from './level-of-detail.js';
import type { NicFlowEdge } from './flow-model.js';

/** Zoomed out, strokes follow every 4th tick (1 Hz at 4 Hz ticks): an overview does not need more, and repainting 1,000 cables costs a frame. */
const LOW_DETAIL_EVERY = 4;

/**
 * One NIC's cable. Live counters never pass through React: the edge subscribes to its own key
 * in the counter hub and writes the label text and stroke straight into the DOM through refs,
 * touching only what changed, so a tick costs a few DOM writes per visible edge and no render
 * (see docs/platform-facts.md: re-rendering edges through React state costs 150 ms frames).
 *
 * The label is HTML (EdgeLabelRenderer) in a fixed-size box with `contain: strict`: changing
 * its text re-lays out that box alone, where SVG <text> re-lays out the shared edges <svg>.
 */
export const NicEdge = memo(function NicEdge({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<NicFlowEdge>) {
  const pathRef = useRef<SVGPathElement>(null);
  const rateRef = useRef<HTMLSpanElement>(null);
  const labelRef = useRef<HTMLDivElement>(null);
  const nic = data!.nic;
  const capacity = data!.capacityBps;
  const down = nic.link === 'down';
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  // Labels sit nearer the VM than the bridge: cables converge on a bridge, and midpoints collide there.
  const labelX = sourceX + (targetX - sourceX) * 0.4;
  const labelY = sourceY + (targetY - sourceY) * 0.4;
  // Read by the counter subscription, which outlives renders.
  const labelAt = useRef({ x: labelX, y: labelY });
  labelAt.current = { x: labelX, y: labelY };

  useEffect(() => {
    // Last values written, so an unchanged tick touches no DOM at all (no style recalc, no paint).
    const written = { text: '', stroke: '', errors: false };
    const update = (force: boolean) => {
      const live = counterHub.nic(nic.vm, nic.bridge);
      const path = pathRef.current;
      const labels = edgeLabelsVisible();
      if (!force && !labels && counterHub.seq % LOW_DETAIL_EVERY !== 0) return;
      const rates = live?.rates;
      // Off-screen labels keep their old text until they come into view (next tick or view
      // change); checking first also saves formatting numbers nobody sees.
      const showText = !!rates && labels;
      if (rateRef.current && (!showText || labelOnScreen(labelAt.current.x, labelAt.current.y))) {
        // One text node for both lines (white-space: pre): one write, one text layout per tick.
        const text = showText ? `↓${formatBitRate(rates.rx_bps)} ↑${formatBitRate(rates.tx_bps)}\n${formatPacketRate(rates.rx_pps)} / ${formatPacketRate(rates.tx_pps)}` : '';
        if (text !== written.text) rateRef.current.textContent = written.text = text;
      }
      if (!path) return;
      // Utilisation shows as colour only: a stroke-width change re-lays out the edges' <svg>
      // (measured ~6 ms per tick for 370 cables), a colour change only restyles and repaints.
      const stroke = down || !rates ? '' : edgeColour(rates.rx_bps, rates.tx_bps, capacity);
      if (stroke !== written.stroke) path.style.stroke = written.stroke = stroke;
      const errors = (live?.counters.errors ?? 0) > 0;
      if (errors !== written.errors) {
        written.errors = errors;
        path.classList.toggle('has-counter-errors', errors);
        labelRef.current?.classList.toggle('has-counter-errors', errors);
      }
    };
    update(true);
    const offCounters = counterHub.subscribeNic(nic.vm, nic.bridge, () => update(false));
    const offDetail = onLevelOfDetailChange(() => update(true));
    return () => {
      offCounters();
      offDetail();
    };
  }, [nic.vm, nic.bridge, capacity, down]);

  const classes = ['wb-nic', down ? 'link-down' : 'link-up', selected ? 'selected' : '', data!.problems ? `has-${data!.problems.severity}` : ''].join(' ');
  return (
    <>
      <g className={classes} data-testid={`edge-${id}`} data-link={nic.link}>
        {data!.problems && <title>{data!.problems.text}</title>}
        <path ref={pathRef} className="wb-nic-path" d={path} fill="none" />
        {/* A wide transparent twin makes a 2 px cable easy to click and hover. */}
        <path className="react-flow__edge-interaction wb-nic-hit" d={path} fill="none" strokeOpacity={0} strokeWidth={18} data-testid={`hit-${id}`} />
      </g>
      <EdgeLabelRenderer>
        <div
          ref={labelRef}
          className={`wb-edge-label ${down ? 'link-down' : ''}`}
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
        >
          {down && <span className="wb-edge-unplugged">unplugged</span>}
          <span ref={rateRef} className="wb-edge-rates" data-testid={`rate-${id}`} />
        </div>
      </EdgeLabelRenderer>
    </>
  );
});
