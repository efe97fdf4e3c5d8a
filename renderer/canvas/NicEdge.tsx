import { memo, useEffect, useRef } from 'react';
import { getStraightPath, type EdgeProps } from '@xyflow/react';
import { formatBitRate, formatPacketRate } from '../../shared/format.js';
import { counterHub } from '../store/counter-hub.js';
import { edgeLook, IDLE_COLOUR } from './edge-look.js';
import type { NicFlowEdge } from './flow-model.js';

/**
 * One NIC's cable. Live counters never pass through React: the edge subscribes to its own key
 * in the counter hub and writes the label text and stroke straight into its SVG elements, so a
 * tick costs a few DOM writes per visible edge and no render (see platform-facts: 150 ms → 17 ms).
 */
export const NicEdge = memo(function NicEdge({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<NicFlowEdge>) {
  const pathRef = useRef<SVGPathElement>(null);
  const rateRef = useRef<SVGTSpanElement>(null);
  const packetRef = useRef<SVGTSpanElement>(null);
  const groupRef = useRef<SVGGElement>(null);
  const nic = data!.nic;
  const capacity = data!.capacityBps;
  const down = nic.link === 'down';
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  // Labels sit nearer the VM than the bridge: cables converge on a bridge, and midpoints collide there.
  const labelX = sourceX + (targetX - sourceX) * 0.4;
  const labelY = sourceY + (targetY - sourceY) * 0.4;

  useEffect(() => {
    const update = () => {
      const live = counterHub.nic(nic.vm, nic.bridge);
      const path = pathRef.current;
      if (!path || !rateRef.current || !packetRef.current || !groupRef.current) return;
      if (!live) {
        rateRef.current.textContent = '';
        packetRef.current.textContent = '';
        path.style.stroke = down ? '' : IDLE_COLOUR;
        path.style.strokeWidth = '2';
        groupRef.current.classList.remove('has-counter-errors');
        return;
      }
      const { rx_bps, tx_bps, rx_pps, tx_pps } = live.rates;
      rateRef.current.textContent = `↓${formatBitRate(rx_bps)} ↑${formatBitRate(tx_bps)}`;
      packetRef.current.textContent = `${formatPacketRate(rx_pps)} / ${formatPacketRate(tx_pps)}`;
      const look = edgeLook(rx_bps, tx_bps, capacity);
      // A pulled cable keeps its dashed red look from CSS whatever the counters say.
      path.style.stroke = down ? '' : look.colour;
      path.style.strokeWidth = String(look.width);
      groupRef.current.classList.toggle('has-counter-errors', live.counters.errors > 0);
    };
    update();
    return counterHub.subscribeNic(nic.vm, nic.bridge, update);
  }, [nic.vm, nic.bridge, capacity, down]);

  const classes = ['wb-nic', down ? 'link-down' : 'link-up', selected ? 'selected' : '', data!.problems ? `has-${data!.problems.severity}` : ''].join(' ');
  return (
    <g className={classes} ref={groupRef} data-testid={`edge-${id}`} data-link={nic.link}>
      {data!.problems && <title>{data!.problems.text}</title>}
      <path ref={pathRef} className="wb-nic-path" d={path} fill="none" />
      {/* A wide transparent twin makes a 2 px cable easy to click and hover. */}
      <path className="react-flow__edge-interaction wb-nic-hit" d={path} fill="none" strokeOpacity={0} strokeWidth={18} data-testid={`hit-${id}`} />
      <text className="wb-edge-label" x={labelX} y={labelY} textAnchor="middle">
        <tspan ref={rateRef} x={labelX} dy="-0.3em" data-testid={`rate-${id}`} />
        <tspan ref={packetRef} x={labelX} dy="1.2em" className="wb-edge-pps" />
      </text>
      {down && (
        <text className="wb-edge-unplugged" x={labelX} y={labelY - 18} textAnchor="middle">
          unplugged
        </text>
      )}
    </g>
  );
});
