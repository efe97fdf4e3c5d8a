/**
 * Capture controls of one viewer: capture filter and file options before start; start/stop,
 * pause display, clear, save, Open in Wireshark, follow stream; and the numbers that prove
 * nothing was lost silently (evicted by the ring, kernel drops reported by tcpdump).
 */
import { useEffect, useState } from 'react';
import { packetClient } from './packet-client.js';
import { usePackets, type ViewerTab } from './packets-store.js';
import { ringMiB, ringUsage, ringWithMiB, ringWithPackets } from './ring-limit.js';
import { clearCapture, openInWireshark, saveCapture, setRing, startCapture, stopCapture, togglePause, wiresharkAvailable } from './viewer-actions.js';
import type { FollowResult } from '../../packet/page.js';

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
        <CommitInput value={tab.ring.maxPackets} step={1000} onCommit={(text) => void setRing(tab.id, ringWithPackets(tab.ring, text))} testId="ring-packets" />
        pkts
      </label>
      <label title="bytes of packets kept in memory; whichever limit is reached first evicts the oldest packets">
        or
        <CommitInput value={ringMiB(tab.ring)} step={16} onCommit={(text) => void setRing(tab.id, ringWithMiB(tab.ring, text))} testId="ring-mib" />
        MiB
      </label>
      <span className="wb-pring-usage" title="memory the ring holds now, and packets it has evicted so far" data-testid="ring-usage">
        {ringUsage(s, tab.ring)}
      </span>
      <span
        className="wb-pstatus"
        data-testid="capture-status"
        data-helped={s?.helped ?? 0}
        title={s && s.helped > 0 ? `${s.helped} segments of 1,024 packets were dissected by helper workers on other cores` : undefined}
      >
        {tab.status === 'starting' ? 'starting… ' : running ? '● capturing ' : ''}
        {s ? `${s.total} packets · ${s.rows} shown` : 'no packets yet'}
        {s && s.evicted > 0 ? ` · ${s.evicted} evicted by the ring` : ''}
        {s && s.pending > 0 ? ` · ${s.pending} dissecting` : ''}
        {s && s.pending === 0 && s.listing > 0 ? ` · listing ${s.listing}` : ''}
        {tab.paused ? ' · display paused' : ''}
        {tab.kernelDrops !== null ? ` · kernel drops: ${tab.kernelDrops}` : ''}
      </span>
    </div>
  );
}

/**
 * A number input applied on Enter or blur: applying on every keystroke would clamp "6" to the
 * minimum before "64" is typed, and each change evicts packets for good.
 */
function CommitInput({ value, step, onCommit, testId }: { value: number; step: number; onCommit(text: string): void; testId: string }) {
  const [draft, setDraft] = useState<string | null>(null);
  const commit = () => {
    if (draft !== null && draft !== String(value)) onCommit(draft);
    setDraft(null);
  };
  return (
    <input
      type="number"
      className="wb-pring"
      step={step}
      value={draft ?? value}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
      data-testid={testId}
    />
  );
}
