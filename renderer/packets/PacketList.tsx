/**
 * The packet list: fixed-height rows, only the visible window rendered and fetched from the
 * worker (a million rows cost a million × 20 px of empty scroll space and ~60 DOM rows).
 * Follows new packets while scrolled to the bottom; scrolling up stops that.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { PacketRow } from '../../packet/page.js';
import { packetClient } from './packet-client.js';
import type { ViewerTab } from './packets-store.js';
import { usePackets } from './packets-store.js';

export const ROW_HEIGHT = 20;
const OVERSCAN = 20;

function colour(value: number): string {
  return `#${value.toString(16).padStart(6, '0')}`;
}

function formatTime(row: PacketRow, absolute: boolean): string {
  if (!absolute) return row.relTime.toFixed(6);
  const date = new Date(Math.floor(row.absTime * 1000));
  const micros = Math.round((row.absTime % 1) * 1e6) % 1e6;
  return `${date.toLocaleTimeString('en-GB', { hour12: false })}.${String(micros).padStart(6, '0')}`;
}

export function PacketList({ tab }: { tab: ViewerTab }) {
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [view, setView] = useState({ top: 0, height: 400 });
  const [rows, setRows] = useState<{ start: number; rows: PacketRow[] }>({ start: 0, rows: [] });
  const update = usePackets((s) => s.update);
  const rowCount = tab.paused ? (tab.frozenRows ?? 0) : (tab.stats?.rows ?? 0);
  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rowCount, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);

  // Fetch the visible window whenever it moves or the worker reports progress. One request in
  // flight per list, later windows coalesced into the newest: a fling scrolls through hundreds
  // of windows, and queueing a request for each (a segment load, ~30–60 ms apiece) left the
  // worker busy for 20 s with windows nobody looks at any more (measured in
  // bench/dissect/viewer-scroll-bench.ts).
  const inFlight = useRef(false);
  const wanted = useRef<{ start: number; count: number } | null>(null);
  const pump = useCallback(() => {
    if (inFlight.current || !wanted.current) return;
    const request = wanted.current;
    wanted.current = null;
    inFlight.current = true;
    packetClient()
      .call('rows', { id: tab.id, start: request.start, count: request.count })
      .then((fetched) => setRows({ start: request.start, rows: fetched }))
      .catch(() => undefined)
      .finally(() => {
        inFlight.current = false;
        pump();
      });
  }, [tab.id]);
  const version = `${tab.stats?.total}:${tab.stats?.pending}:${tab.stats?.filter}:${tab.stats?.evicted}`;
  useEffect(() => {
    if (!tab.stats || last <= first) {
      wanted.current = null;
      setRows({ start: first, rows: [] });
      return;
    }
    wanted.current = { start: first, count: last - first };
    pump();
  }, [tab.id, first, last, version, tab.stats, pump]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [rowCount]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setView({ top: el.scrollTop, height: el.clientHeight }));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    const el = scroller.current!;
    stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 1.5;
    setView({ top: el.scrollTop, height: el.clientHeight });
  }, []);

  const onKey = (e: React.KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const index = rows.rows.findIndex((r) => r.number === tab.selected);
    const next = rows.rows[index + (e.key === 'ArrowDown' ? 1 : -1)];
    if (next) update(tab.id, { selected: next.number });
  };

  return (
    <div className="wb-plist" data-testid="packet-list">
      <div className="wb-prow wb-phead">
        <span>No.</span>
        <span title="click to switch relative / absolute time" onClick={() => update(tab.id, { absoluteTime: !tab.absoluteTime })} data-testid="time-toggle">
          Time ({tab.absoluteTime ? 'abs' : 'rel'})
        </span>
        <span>Source</span>
        <span>Destination</span>
        <span>Protocol</span>
        <span>Length</span>
        <span>Info</span>
      </div>
      <div className="wb-pscroll" ref={scroller} onScroll={onScroll} tabIndex={0} onKeyDown={onKey} data-testid="packet-scroll">
        <div style={{ height: rowCount * ROW_HEIGHT, position: 'relative' }}>
          {rows.rows.map((row, i) => (
            <div
              key={row.number}
              className={`wb-prow${row.number === tab.selected ? ' wb-psel' : ''}`}
              style={{ top: (rows.start + i) * ROW_HEIGHT, background: row.number === tab.selected ? undefined : colour(row.bg), color: row.number === tab.selected ? undefined : colour(row.fg) }}
              onClick={() => update(tab.id, { selected: row.number })}
              data-testid="packet-row"
              data-number={row.number}
              data-protocol={row.protocol}
            >
              <span>{row.number}</span>
              <span>{formatTime(row, tab.absoluteTime)}</span>
              <span>{row.source}</span>
              <span>{row.destination}</span>
              <span>{row.protocol}</span>
              <span>{row.length}</span>
              <span>{row.info}</span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
