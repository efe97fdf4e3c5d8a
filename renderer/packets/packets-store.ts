/**
 * The packet viewer dock: one tab per viewer (live NIC or bridge capture, or an opened file).
 * View state only; packets live in the worker.
 */
import { create } from 'zustand';
import type { NicRef } from '../../shared/api.js';
import { DEFAULT_RING, type CaptureStats, type RingLimit } from '../../packet/page.js';

export type ViewerSource = { kind: 'nic'; nic: NicRef } | { kind: 'bridge'; bridge: string } | { kind: 'file'; name: string };

export type ViewerStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface ViewerTab {
  /** Worker-side capture id (also the tab key). */
  id: string;
  title: string;
  source: ViewerSource;
  status: ViewerStatus;
  /** Engine capture id while a live capture runs. */
  captureId: string | null;
  /** BPF, set before start. */
  captureFilter: string;
  /** Engine-host path of the complete file, when the person asked for a file-backed capture. */
  saveTo: string;
  keepFile: boolean;
  ring: RingLimit;
  stats: CaptureStats | null;
  /** Display paused: the list keeps showing `frozenRows` while packets keep arriving. */
  paused: boolean;
  frozenRows: number | null;
  displayFilter: string;
  selected: number | null;
  kernelDrops: number | null;
  reportedPackets: number | null;
  absoluteTime: boolean;
  error: string | null;
}

interface PacketsState {
  tabs: ViewerTab[];
  active: string | null;
  add(tab: ViewerTab): void;
  update(id: string, patch: Partial<ViewerTab>): void;
  remove(id: string): void;
  activate(id: string): void;
  setStats(stats: Record<string, CaptureStats>): void;
}

export const usePackets = create<PacketsState>((set, get) => ({
  tabs: [],
  active: null,
  add: (tab) => set({ tabs: [...get().tabs, tab], active: tab.id }),
  update: (id, patch) => set({ tabs: get().tabs.map((t) => (t.id === id ? { ...t, ...patch } : t)) }),
  remove: (id) => {
    const tabs = get().tabs.filter((t) => t.id !== id);
    set({ tabs, active: get().active === id ? (tabs.at(-1)?.id ?? null) : get().active });
  },
  activate: (id) => set({ active: id }),
  setStats: (stats) => {
    if (!get().tabs.some((t) => stats[t.id])) return;
    set({ tabs: get().tabs.map((t) => (stats[t.id] ? { ...t, stats: stats[t.id]! } : t)) });
  },
}));

let counter = 0;

export function newTab(source: ViewerSource, title: string): ViewerTab {
  return {
    id: `viewer-${++counter}`,
    title,
    source,
    status: 'idle',
    captureId: null,
    captureFilter: '',
    saveTo: '',
    keepFile: false,
    ring: DEFAULT_RING,
    stats: null,
    paused: false,
    frozenRows: null,
    displayFilter: '',
    selected: null,
    kernelDrops: null,
    reportedPackets: null,
    absoluteTime: false,
    error: null,
  };
}
