import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LabStatus } from '../../shared/api.js';
import { runtimeStore } from '../store/runtime-store.js';
import { accelOf, installVmAccel, useVmAccel } from './vm-accel.js';

const status = (vms: LabStatus['vms']): LabStatus => ({ namespace: 'wb-test', running: true, vms, restartNeeded: [] });
const vm = (name: string, state: LabStatus['vms'][number]['state'], accel: 'kvm' | 'tcg' | null, accelHint: string | null = null) => ({ name, state, pid: 1, reason: null, accel, accelHint });

describe('vm-accel', () => {
  afterEach(() => {
    vi.useRealTimers();
    runtimeStore.getState().reset();
    useVmAccel.setState({ vms: {} });
  });

  it('keeps the accelerator only while the VM runs, and the hint either way', () => {
    expect(accelOf(vm('a', 'running', 'tcg', 'use KVM: add your user to group kvm'))).toEqual({ accel: 'tcg', hint: 'use KVM: add your user to group kvm' });
    expect(accelOf(vm('a', 'stopped', 'tcg'))).toEqual({ accel: null, hint: null });
  });

  it('asks the engine once a VM starts running, and forgets the accelerator when it stops', async () => {
    vi.useFakeTimers();
    const answer = status([vm('a', 'running', 'tcg', '/dev/kvm is not usable by QEMU')]);
    const api = { lab: { status: vi.fn(async () => answer) } } as unknown as Parameters<typeof installVmAccel>[0];
    const off = installVmAccel(api, 100);
    runtimeStore.getState().setVmState('a', 'starting', null);
    runtimeStore.getState().setVmState('a', 'running', null);
    await vi.advanceTimersByTimeAsync(150);
    expect(api.lab.status).toHaveBeenCalledTimes(1);
    expect(useVmAccel.getState().vms.a).toEqual({ accel: 'tcg', hint: '/dev/kvm is not usable by QEMU' });
    runtimeStore.getState().setVmState('a', 'stopped', null);
    expect(useVmAccel.getState().vms.a).toEqual({ accel: null, hint: '/dev/kvm is not usable by QEMU' });
    off();
  });
});
