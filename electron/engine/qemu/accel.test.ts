import { describe, expect, it } from 'vitest';
import { resolveAccel } from './accel.js';

describe('accelerator choice', () => {
  it('uses tcg when /dev/kvm is missing, and when forced', () => {
    expect(resolveAccel(undefined, {}, '/nonexistent/kvm')).toBe('tcg');
    expect(resolveAccel('tcg', {}, '/dev/null')).toBe('tcg');
    expect(resolveAccel(undefined, { WIREBENCH_ACCEL: 'tcg' }, '/dev/null')).toBe('tcg');
  });
  it('uses kvm when the device is usable', () => {
    expect(resolveAccel('auto', {}, '/dev/null')).toBe('kvm');
  });
  it('refuses kvm without the device, and unknown values, saying what to do', () => {
    expect(() => resolveAccel('kvm', {}, '/nonexistent/kvm')).toThrow(/use WIREBENCH_ACCEL=tcg|missing or not accessible/);
    expect(() => resolveAccel(undefined, { WIREBENCH_ACCEL: 'fast' }, '/dev/null')).toThrow('WIREBENCH_ACCEL="fast" is not one of auto, kvm, tcg');
  });
});
