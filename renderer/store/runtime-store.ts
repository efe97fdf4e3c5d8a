/**
 * Runtime state reported by the engine: VM states, whether the lab runs, problems found in the
 * document, notices. Separate from the document store so none of it can be undone.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { VmState } from '../../shared/api.js';
import type { LabDocument, LabProblem } from '../../shared/lab.js';
import { problemTarget, type ProblemTarget } from './problem-targets.js';

export interface VmRuntime {
  state: VmState;
  reason: string | null;
  /** What went wrong inside this boot of the VM (a failed startup command); cleared when it starts again. */
  alerts?: string[];
}

export interface LocatedProblem extends LabProblem {
  target: ProblemTarget;
}

export interface Notice {
  id: number;
  level: 'info' | 'error';
  text: string;
}

export interface RuntimeState {
  vms: Record<string, VmRuntime>;
  labRunning: boolean;
  restartNeeded: string[];
  problems: LocatedProblem[];
  notices: Notice[];
  /** A command in flight that blocks the run controls ("Starting lab…"). */
  busy: string | null;

  setVmState(vm: string, state: VmState, reason: string | null): void;
  addVmAlert(vm: string, text: string): void;
  setLabStatus(status: { running: boolean; vms: Array<{ name: string; state: VmState; reason: string | null }>; restartNeeded: string[] }): void;
  /** Problems are resolved against the document they were found in (paths are indexes into it). */
  setProblems(document: LabDocument, problems: readonly LabProblem[]): void;
  notify(level: Notice['level'], text: string): void;
  dismiss(id: number): void;
  setBusy(busy: string | null): void;
  reset(): void;
}

let nextNoticeId = 1;

export function createRuntimeStore(): StoreApi<RuntimeState> {
  return createStore<RuntimeState>()((set, get) => ({
    vms: {},
    labRunning: false,
    restartNeeded: [],
    problems: [],
    notices: [],
    busy: null,

    setVmState: (vm, state, reason) => {
      // A new boot starts without the last one's alerts.
      const alerts = state === 'starting' ? undefined : get().vms[vm]?.alerts;
      set({ vms: { ...get().vms, [vm]: { state, reason, ...(alerts ? { alerts } : {}) } } });
    },
    addVmAlert: (vm, text) => {
      const current = get().vms[vm] ?? { state: 'stopped' as const, reason: null };
      set({ vms: { ...get().vms, [vm]: { ...current, alerts: [...(current.alerts ?? []), text].slice(-8) } } });
    },
    setLabStatus: (status) =>
      set({
        labRunning: status.running,
        restartNeeded: status.restartNeeded,
        vms: Object.fromEntries(status.vms.map((v) => [v.name, { state: v.state, reason: v.reason }])),
      }),
    setProblems: (document, problems) => set({ problems: problems.map((p) => ({ ...p, target: problemTarget(document, p.path) })) }),
    notify: (level, text) => {
      const notice = { id: nextNoticeId++, level, text };
      // Keep the last few: a flood of errors must not bury the canvas.
      set({ notices: [...get().notices, notice].slice(-4) });
    },
    dismiss: (id) => set({ notices: get().notices.filter((n) => n.id !== id) }),
    setBusy: (busy) => set({ busy }),
    reset: () => set({ vms: {}, labRunning: false, restartNeeded: [], problems: [], busy: null }),
  }));
}

export const runtimeStore = createRuntimeStore();

export function useRuntime<T>(selector: (state: RuntimeState) => T): T {
  return useStore(runtimeStore, selector);
}

export const hasErrors = (s: RuntimeState) => s.problems.some((p) => p.severity === 'error');
