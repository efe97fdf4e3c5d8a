/**
 * What the packet viewer's buttons do: start/stop live captures through `LabApi`, route each
 * capture's byte stream (`capture.stream`: only this client's captures, none before the reply
 * that names them) into the worker, open files, save, Open in Wireshark.
 */
import type { LabApi, LabEvent, NicRef } from '../../shared/api.js';
import { packetClient } from './packet-client.js';
import { newTab, usePackets, type ViewerTab } from './packets-store.js';
import type { RingLimit } from '../../packet/page.js';

let api: LabApi | null = null;
/** Engine capture id → viewer id. */
const routes = new Map<string, string>();

/** Called once at boot with the same LabApi the rest of the UI uses. */
export function installPacketViewer(labApi: LabApi): () => void {
  api = labApi;
  const off = labApi.onEvent(onEngineEvent);
  return () => {
    off();
    statsOff?.();
    statsOff = null;
  };
}

let statsOff: (() => void) | null = null;

/** Subscribes the dock to worker stats on first use (the worker itself starts lazily). */
function ensureStats(): void {
  statsOff ??= packetClient().onStats((stats) => usePackets.getState().setStats(stats));
}

function onEngineEvent(event: LabEvent): void {
  if (event.type !== 'capture.ended') return;
  const viewer = routes.get(event.captureId);
  if (!viewer) return;
  // The route stays until the stream itself ends: in Electron the bytes travel on their own
  // MessagePort and may still be arriving.
  usePackets.getState().update(viewer, { status: 'stopped', captureId: null, kernelDrops: event.kernelDrops, reportedPackets: event.packets });
}

/** Streams a capture's bytes into its viewer's worker until the stream ends. */
function streamInto(captureId: string, viewer: string): void {
  routes.set(captureId, viewer);
  let off: (() => void) | null = null;
  off = requireApi().capture.stream(captureId, {
    data: (bytes) => {
      ensureStats();
      void packetClient().call('push', { id: viewer, bytes }, [bytes.buffer as ArrayBuffer]);
    },
    end: () => {
      routes.delete(captureId);
      off?.();
    },
  });
}

function requireApi(): LabApi {
  if (!api) throw new Error('the packet viewer is not connected to the engine yet');
  return api;
}

export function openNicViewer(nic: NicRef): string {
  const tab = newTab({ kind: 'nic', nic }, `${nic.vm} – ${nic.bridge}`);
  usePackets.getState().add(tab);
  return tab.id;
}

export function openBridgeViewer(bridge: string): string {
  const tab = newTab({ kind: 'bridge', bridge }, `bridge ${bridge}`);
  usePackets.getState().add(tab);
  return tab.id;
}

/** Opens a .pcap/.pcapng chosen by the person (read in the page, dissected in the worker). */
export async function openCaptureFile(file: File): Promise<void> {
  const tab = { ...newTab({ kind: 'file', name: file.name }, file.name), status: 'stopped' as const };
  usePackets.getState().add(tab);
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const client = packetClient();
    ensureStats();
    const stats = await client.call('openFile', { id: tab.id, bytes, ring: tab.ring }, [bytes.buffer as ArrayBuffer]);
    usePackets.getState().update(tab.id, { stats });
  } catch (err) {
    usePackets.getState().update(tab.id, { error: (err as Error).message });
  }
}

export async function startCapture(id: string): Promise<void> {
  const tab = find(id);
  if (!tab || tab.source.kind === 'file') return;
  const store = usePackets.getState();
  store.update(id, { status: 'starting', error: null, kernelDrops: null, reportedPackets: null, stats: null, selected: null });
  const options = { ...(tab.captureFilter.trim() ? { filter: tab.captureFilter.trim() } : {}), ...(tab.keepFile && tab.saveTo.trim() ? { saveTo: tab.saveTo.trim() } : {}) };
  try {
    const client = packetClient();
    ensureStats();
    await client.call('openLive', { id, ring: tab.ring });
    const info = tab.source.kind === 'nic' ? await requireApi().nic.capture({ nic: tab.source.nic, options }) : await requireApi().bridge.capture({ bridge: tab.source.bridge, options });
    // Attached in the same task as the reply: the engine sends no byte before it.
    streamInto(info.captureId, id);
    store.update(id, { status: 'running', captureId: info.captureId, title: info.title });
  } catch (err) {
    const e = err as Error & { hint?: string };
    // The engine refuses a bad BPF filter before tcpdump runs: show its message as is.
    store.update(id, { status: 'idle', error: `${e.message}${e.hint ? ` — ${e.hint}` : ''}` });
  }
}

export async function stopCapture(id: string): Promise<void> {
  const tab = find(id);
  if (!tab?.captureId) return;
  usePackets.getState().update(id, { status: 'stopping' });
  try {
    const result = await requireApi().capture.stop({ captureId: tab.captureId });
    usePackets.getState().update(id, { status: 'stopped', kernelDrops: result.kernelDrops, reportedPackets: result.packets });
  } catch (err) {
    usePackets.getState().update(id, { status: 'stopped', error: (err as Error).message });
  }
}

export function togglePause(id: string): void {
  const tab = find(id);
  if (!tab) return;
  usePackets.getState().update(id, tab.paused ? { paused: false, frozenRows: null } : { paused: true, frozenRows: tab.stats?.rows ?? 0 });
}

export async function clearCapture(id: string): Promise<void> {
  await packetClient().call('clear', { id });
  usePackets.getState().update(id, { selected: null });
}

export async function setRing(id: string, ring: RingLimit): Promise<void> {
  usePackets.getState().update(id, { ring });
  if (find(id)?.stats) await packetClient().call('setRing', { id, ring });
}

/** Saves what the viewer holds as pcapng through the browser's download (both modes). */
export async function saveCapture(id: string): Promise<void> {
  const tab = find(id);
  if (!tab) return;
  try {
    const bytes = await packetClient().call('exportPcapng', { id });
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/x-pcapng' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${tab.title.replace(/[^\w.-]+/g, '_').replace(/_+$/, '')}.pcapng`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    usePackets.getState().update(id, { error: `saving failed: ${(err as Error).message}` });
  }
}

export async function openInWireshark(id: string): Promise<void> {
  const tab = find(id);
  if (!tab) return;
  try {
    if (!tab.keepFile || !tab.saveTo) throw new Error('Wireshark opens the complete file on the engine host: start the capture with "Keep a complete file"');
    await requireApi().wireshark.open({ path: tab.saveTo });
  } catch (err) {
    const e = err as Error & { hint?: string };
    usePackets.getState().update(id, { error: `${e.message}${e.hint ? ` — ${e.hint}` : ''}` });
  }
}

export async function closeViewer(id: string): Promise<void> {
  const tab = find(id);
  if (tab?.captureId) await stopCapture(id);
  usePackets.getState().remove(id);
  await packetClient().call('close', { id }).catch(() => undefined);
}

function find(id: string): ViewerTab | undefined {
  return usePackets.getState().tabs.find((t) => t.id === id);
}

let wiresharkCheck: Promise<boolean> | null = null;

/** Asked once per page: whether the engine host has Wireshark. */
export function wiresharkAvailable(): Promise<boolean> {
  wiresharkCheck ??= (api ? api.wireshark.status().then((s) => s.available) : Promise.resolve(false)).catch(() => false);
  return wiresharkCheck;
}
