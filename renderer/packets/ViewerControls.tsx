/**
 * Capture controls of one viewer: capture filter and file options before start; start/stop,
 * pause display, clear, save, Open in Wireshark, follow stream; and the numbers that prove
 * nothing was lost silently (evicted by the ring, kernel drops reported by tcpdump).
 */
import { useEffect, useState } from 'react';
import { packetClient } from './packet-client.js';
import { usePackets, type ViewerTab } from './packets-store.js';
import { clearCapture, openInWireshark, saveCapture, setRing, startCapture, stopCapture, togglePause, wiresharkAvailable } from './viewer-actions.js';
import type { FollowResult } from './core/viewer-types.js';

export function ViewerControls({ tab, onFollow }: { tab: ViewerTab; onFollow(result: FollowResult): void }) {
  const update = usePackets((s) => s.update);
  const [wireshark, setWireshark] = useState(false);
  useEffect(() => {
    void wiresharkAvailable().then(setWireshark);
  }, []);
  const live = tab.source.kind !== 'file';
  const running = tab.status === 'running';
  const editable = live && (tab.status === 'idle' || tab.status === 'stopped');
  const s = tab.stats;

  const follow = async (protocol: 'TCP' | 'UDP') => {
    if (tab.selected === null) return;
    try {
      onFollow(await packetClient().call('follow', { id: tab.id, protocol, number: tab.selected }));
    } catch (err) {
      update(tab.id, { error: (err as Error).message });
    }
  };

  return (
    <div className="wb-pcontrols">
      {live && (
        <>
          <input
            className="wb-pbpf"
            placeholder="Capture filter (BPF), e.g. icmp or port 53"
            value={tab.captureFilter}
            disabled={!editable}
            onChange={(e) => update(tab.id, { captureFilter: e.target.value })}
            onKeyDown={(e) => e.key === 'Enter' && editable && void startCapture(tab.id)}
            data-testid="capture-filter"
          />
          <label title="tcpdump writes every packet to this file on the engine host, whatever the viewer evicts">
            <input type="checkbox" checked={tab.keepFile} disabled={!editable} onChange={(e) => update(tab.id, { keepFile: e.target.checked, saveTo: tab.saveTo || `/tmp/wirebench-${tab.id}.pcap` })} /> Keep a complete file
          </label>
          {tab.keepFile && <input className="wb-ppath" value={tab.saveTo} disabled={!editable} onChange={(e) => update(tab.id, { saveTo: e.target.value })} />}
          {running || tab.status === 'stopping' ? (
            <button onClick={() => void stopCapture(tab.id)} disabled={!running} data-testid="capture-stop">
              ■ Stop
            </button>
          ) : (
            <button onClick={() => void startCapture(tab.id)} disabled={!editable} data-testid="capture-start">
              ▶ Start
            </button>
          )}
        </>
      )}
      <button onClick={() => togglePause(tab.id)} data-testid="capture-pause">
        {tab.paused ? 'Resume display' : 'Pause display'}
      </button>
      <button onClick={() => void clearCapture(tab.id)} disabled={!s}>
        Clear
      </button>
      <button onClick={() => void saveCapture(tab.id)} disabled={!s || s.retained === 0} data-testid="capture-save">
        Save pcapng
      </button>
      {wireshark && (
        <button onClick={() => void openInWireshark(tab.id)} disabled={!tab.keepFile}>
          Open in Wireshark
        </button>
      )}
      <button onClick={() => void follow('TCP')} disabled={tab.selected === null}>
        Follow TCP
      </button>
      <button onClick={() => void follow('UDP')} disabled={tab.selected === null}>
        Follow UDP
      </button>
      <label title="packets kept in memory; older ones are evicted (and counted)">
        Ring
        <input
          type="number"
          className="wb-pring"
          min={1000}
          step={1000}
          value={tab.ring.maxPackets}
          onChange={(e) => void setRing(tab.id, { ...tab.ring, maxPackets: Math.max(1000, Number(e.target.value) || 1000) })}
        />
        pkts
      </label>
      <span className="wb-pstatus" data-testid="capture-status">
        {tab.status === 'starting' ? 'starting… ' : running ? '● capturing ' : ''}
        {s ? `${s.total} packets · ${s.rows} shown` : 'no packets yet'}
        {s && s.evicted > 0 ? ` · ${s.evicted} evicted by the ring` : ''}
        {s && s.pending > 0 ? ` · ${s.pending} dissecting` : ''}
        {tab.paused ? ' · display paused' : ''}
        {tab.kernelDrops !== null ? ` · kernel drops: ${tab.kernelDrops}` : ''}
      </span>
    </div>
  );
}
