/**
 * Which console tabs are open, which one is in front, what each says about its connection,
 * and the VM context menu. View state only: the terminals and subscriptions live in
 * consoles.ts, outside React.
 */
import { create } from 'zustand';
import type { ConsoleStatus } from './console-session.js';

export interface VmMenu {
  vm: string;
  x: number;
  y: number;
}

export interface ConsolesState {
  /** VM names, in the order their tabs were opened. */
  tabs: string[];
  /** The console in front of the bottom dock; null when a packet viewer is. */
  active: string | null;
  statuses: Record<string, ConsoleStatus>;
  /** Bumped to ask a console's search box to open (Ctrl+Shift+F in the terminal). */
  searchRequest: { vm: string; at: number } | null;
  vmMenu: VmMenu | null;
  add(vm: string): void;
  remove(vm: string): void;
  activate(vm: string | null): void;
  setStatus(vm: string, status: ConsoleStatus): void;
  requestSearch(vm: string): void;
  setVmMenu(menu: VmMenu | null): void;
}

export const useConsoles = create<ConsolesState>()((set, get) => ({
  tabs: [],
  active: null,
  statuses: {},
  searchRequest: null,
  vmMenu: null,
  add: (vm) => set({ tabs: get().tabs.includes(vm) ? get().tabs : [...get().tabs, vm], active: vm }),
  remove: (vm) => {
    const tabs = get().tabs.filter((t) => t !== vm);
    const { [vm]: _gone, ...statuses } = get().statuses;
    const active = get().active === vm ? (tabs.at(-1) ?? null) : get().active;
    set({ tabs, statuses, active });
  },
  activate: (active) => set({ active }),
  setStatus: (vm, status) => set({ statuses: { ...get().statuses, [vm]: status } }),
  requestSearch: (vm) => set({ searchRequest: { vm, at: Date.now() } }),
  setVmMenu: (vmMenu) => set({ vmMenu }),
}));
