/**
 * Which accelerator each running VM really uses (`VmStatus.accel`, from QMP), and the
 * engine's one-line hint when it runs slower than it could, for the VM inspector. `vm.state`
 * events do not carry it, so the engine is asked (`lab.status`) when a VM starts running.
 */
import { create } from 'zustand';
import type { AccelInUse, LabApi, VmStatus } from '../../shared/api.js';
import { runtimeStore } from '../store/runtime-store.js';

export interface VmAccel {
  accel: AccelInUse | null;
  hint: string | null;
}

export const useVmAccel = create<{ vms: Record<string, VmAccel> }>()(() => ({ vms: {} }));

/** The part of a status answer kept here (tolerates an engine that does not send it yet). */
export function accelOf(status: Pick<VmStatus, 'name' | 'state'> & Partial<Pick<VmStatus, 'accel' | 'accelHint'>>): VmAccel {
  return { accel: status.state === 'running' ? (status.accel ?? null) : null, hint: status.accelHint ?? null };
}

export function installVmAccel(api: Pick<LabApi, 'lab'>, debounceMs = 300): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const refresh = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      timer = null;
      const status = await api.lab.status().catch(() => null);
      if (!status || stopped) return;
      useVmAccel.setState({ vms: Object.fromEntries(status.vms.map((v) => [v.name, accelOf(v)])) });
    }, debounceMs);
  };
  const off = runtimeStore.subscribe((state, previous) => {
    if (state.vms === previous.vms) return;
    const started = Object.entries(state.vms).some(([vm, r]) => r.state === 'running' && previous.vms[vm]?.state !== 'running');
    if (started) refresh();
    // A VM that stopped runs on nothing; its hint may still apply to the next start.
    const current = useVmAccel.getState().vms;
    let changed = false;
    const next: Record<string, VmAccel> = {};
    for (const [vm, accel] of Object.entries(current)) {
      const stillRunning = state.vms[vm]?.state === 'running';
      next[vm] = stillRunning || accel.accel === null ? accel : { ...accel, accel: null };
      if (next[vm] !== accel) changed = true;
    }
    if (changed) useVmAccel.setState({ vms: next });
  });
  if (Object.values(runtimeStore.getState().vms).some((r) => r.state === 'running')) refresh();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    off();
  };
}
