/**
 * The dock under the canvas: one tab per packet viewer, plus "Open capture file…".
 */
import { useState, type ReactNode } from 'react';
import './packets.css';
import type { FollowResult } from '../../packet/page.js';
import { FilterBar } from './FilterBar.js';
import { PacketDetails } from './PacketDetails.js';
import { PacketList } from './PacketList.js';
import { usePackets, type ViewerTab } from './packets-store.js';
import { ViewerControls } from './ViewerControls.js';
import { closeViewer, openCaptureFile } from './viewer-actions.js';
import { prewarmDissector } from './packet-client.js';

/** Other tabs sharing the dock (the VM consoles): their tab buttons, and their body when one is in front. */
export interface DockNeighbours {
  count: number;
  tabs: ReactNode;
  body: ReactNode | null;
  onPacketTab(): void;
}

export function PacketDock({ neighbours }: { neighbours?: DockNeighbours } = {}) {
  const tabs = usePackets((s) => s.tabs);
  const active = usePackets((s) => s.active);
  const activate = usePackets((s) => s.activate);
  const tab = tabs.find((t) => t.id === active) ?? null;
  return (
    <section className={`wb-pdock${tabs.length || neighbours?.count ? '' : ' wb-pdock-empty'}`} data-testid="packet-dock">
      <div className="wb-ptabs" role="tablist">
        <b>Packets</b>
        {tabs.map((t) => (
          <span key={t.id} role="tab" aria-selected={t.id === active && !neighbours?.body} className={`wb-ptab${t.id === active && !neighbours?.body ? ' wb-ptab-on' : ''}`} onClick={() => { activate(t.id); neighbours?.onPacketTab(); }} data-testid="viewer-tab">
            {t.status === 'running' ? '● ' : ''}
            {t.title}
            <button className="wb-pclose" title="close this viewer (stops its capture)" onClick={(e) => { e.stopPropagation(); void closeViewer(t.id); }}>
              ×
            </button>
          </span>
        ))}
        {neighbours?.tabs}
        <label className="wb-popen" onClick={prewarmDissector}>
          Open capture file…
          <input type="file" accept=".pcap,.pcapng,.cap" hidden data-testid="open-capture-file" onChange={(e) => { const f = e.target.files?.[0]; if (f) void openCaptureFile(f); e.target.value = ''; }} />
        </label>
      </div>
      {neighbours?.body ?? (tab && <Viewer key={tab.id} tab={tab} />)}
    </section>
  );
}

function Viewer({ tab }: { tab: ViewerTab }) {
  const [follow, setFollow] = useState<FollowResult | null>(null);
  return (
    <div className="wb-pviewer" data-testid="packet-viewer">
      <ViewerControls tab={tab} onFollow={setFollow} />
      {tab.error && (
        <div className="wb-perror" role="alert" data-testid="viewer-error">
          {tab.error}
        </div>
      )}
      <FilterBar tab={tab} />
      <div className="wb-pbody">
        <PacketList tab={tab} />
        {follow ? <FollowPanel result={follow} onClose={() => setFollow(null)} /> : <PacketDetails tab={tab} />}
      </div>
    </div>
  );
}

function FollowPanel({ result, onClose }: { result: FollowResult; onClose(): void }) {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return (
    <div className="wb-pdetails wb-pfollow" data-testid="follow-panel">
      <div>
        {result.client} ⇄ {result.server} ({result.clientBytes} / {result.serverBytes} bytes) <button onClick={onClose}>Close</button>
      </div>
      <pre>
        {result.payloads.map((p, i) => (
          <span key={i} className={p.fromServer ? 'wb-pfollow-s' : 'wb-pfollow-c'}>
            {decoder.decode(p.data).replace(/[^\n\t\x20-\x7e]/g, '.')}
          </span>
        ))}
      </pre>
    </div>
  );
}
