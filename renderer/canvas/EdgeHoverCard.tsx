import { useEffect, useReducer } from 'react';
import { formatBitRate, formatBytes, formatCount, formatPacketRate } from '../../shared/format.js';
import { counterHub } from '../store/counter-hub.js';
import { useUi } from '../store/ui-store.js';
import { Sparkline } from './Sparkline.js';

/** Totals and a 60-second sparkline for the hovered cable; only this card re-renders on ticks. */
export function EdgeHoverCard() {
  const hovered = useUi((s) => s.hoveredEdge);
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  useEffect(() => (hovered ? counterHub.subscribeNic(hovered.vm, hovered.bridge, refresh) : undefined), [hovered]);
  if (!hovered) return null;
  const live = counterHub.nic(hovered.vm, hovered.bridge);
  return (
    <div className="wb-hover-card" style={{ left: hovered.x + 14, top: hovered.y + 14 }} data-testid="edge-hover-card">
      <div className="wb-hover-title">
        {hovered.vm} ⟷ {hovered.bridge}
      </div>
      {live ? (
        <>
          <table>
            <tbody>
              <tr>
                <th>received</th>
                <td>{formatBitRate(live.rates.rx_bps)}</td>
                <td>{formatPacketRate(live.rates.rx_pps)}</td>
                <td>{formatBytes(live.counters.rx_bytes)}</td>
                <td>{formatCount(live.counters.rx_packets)} pkts</td>
              </tr>
              <tr>
                <th>sent</th>
                <td>{formatBitRate(live.rates.tx_bps)}</td>
                <td>{formatPacketRate(live.rates.tx_pps)}</td>
                <td>{formatBytes(live.counters.tx_bytes)}</td>
                <td>{formatCount(live.counters.tx_packets)} pkts</td>
              </tr>
              <tr className={live.counters.errors > 0 ? 'wb-errors' : ''}>
                <th>errors</th>
                <td colSpan={4}>{formatCount(live.counters.errors)}</td>
              </tr>
            </tbody>
          </table>
          <Sparkline samples={live.history} now={live.at} />
          <div className="wb-hover-legend">
            <span className="wb-spark-rx-key">rx</span> <span className="wb-spark-tx-key">tx</span> · last 60 s · guest view
          </div>
        </>
      ) : (
        <div className="wb-muted">no counters yet (the VM is not running)</div>
      )}
      <div className="wb-muted">click: pull / re-plug the cable · right-click: more</div>
    </div>
  );
}
