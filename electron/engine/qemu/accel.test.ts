import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideAccel, kvmPermissionHint } from '../../../shared/accel-rule.js';
import { accelChoice, probeKvm, resolveAccel } from './accel.js';

describe('the accelerator rule (shared/accel-rule.ts)', () => {
  it('auto: KVM first with TCG to fall back on when QEMU may use /dev/kvm, else TCG alone', () => {
    expect(decideAccel('auto', 'usable')).toEqual({ accelerators: ['kvm', 'tcg'], cpu: 'max', kvmDenied: false });
    expect(decideAccel('auto', 'missing')).toEqual({ accelerators: ['tcg'], cpu: 'max', kvmDenied: false });
    // The case of this CI machine: root may open /dev/kvm (0600), QEMU's user may not.
    expect(decideAccel('auto', 'denied')).toEqual({ accelerators: ['tcg'], cpu: 'max', kvmDenied: true });
  });

  it('tcg is always TCG; kvm is KVM alone or a clear refusal', () => {
    for (const access of ['missing', 'denied', 'usable'] as const) expect(decideAccel('tcg', access).accelerators).toEqual(['tcg']);
    expect(decideAccel('kvm', 'usable')).toEqual({ accelerators: ['kvm'], cpu: 'host', kvmDenied: false });
    expect(() => decideAccel('kvm', 'missing')).toThrow('/dev/kvm does not exist');
    expect(() => decideAccel('kvm', 'denied')).toThrow("QEMU's user may not open /dev/kvm");
  });

  it('hints say what to do, for the engine user and for root running QEMU as nobody', () => {
    expect(kvmPermissionHint(true)).toMatch(/add yourself to group kvm/);
    expect(kvmPermissionHint(false)).toMatch(/chmod 0666 \/dev\/kvm/);
  });

  it('reads WIREBENCH_ACCEL, an explicit option winning, and refuses nonsense by name', () => {
    expect(accelChoice(undefined, {})).toBe('auto');
    expect(accelChoice(undefined, { WIREBENCH_ACCEL: 'tcg' })).toBe('tcg');
    expect(accelChoice('kvm', { WIREBENCH_ACCEL: 'tcg' })).toBe('kvm');
    expect(() => accelChoice(undefined, { WIREBENCH_ACCEL: 'fast' })).toThrow('WIREBENCH_ACCEL="fast" is not one of auto, kvm, tcg');
  });
});

describe('asking the kernel as QEMU\'s user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-kvm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nobody = { uid: 65534, gid: 65534 };
  const asRoot = process.getuid?.() === 0;

  it('no device: missing', async () => {
    expect(await probeKvm(nobody, join(dir, 'none'))).toBe('missing');
  });

  it.skipIf(!asRoot)('a device root may open but nobody may not: denied, and auto picks TCG with the hint', async () => {
    const device = join(dir, 'kvm-0600');
    writeFileSync(device, '');
    chmodSync(dir, 0o755);
    chmodSync(device, 0o600);
    expect(await probeKvm(nobody, device)).toBe('denied');
    // Root itself may open it: the engine's own access says nothing about QEMU's.
    expect(await probeKvm({ uid: 0, gid: 0 }, device)).toBe('usable');
    expect(await resolveAccel('auto', nobody, device)).toMatchObject({ accelerators: ['tcg'], kvmDenied: true });
    await expect(resolveAccel('kvm', nobody, device)).rejects.toMatchObject({ code: 'no-kvm' });
  });

  it.skipIf(!asRoot)('a device nobody may open: usable, and auto tries KVM then TCG', async () => {
    const device = join(dir, 'kvm-0666');
    writeFileSync(device, '');
    chmodSync(dir, 0o755);
    chmodSync(device, 0o666);
    expect(await probeKvm(nobody, device)).toBe('usable');
    expect(await resolveAccel('auto', nobody, device)).toMatchObject({ accelerators: ['kvm', 'tcg'], cpu: 'max' });
  });
});
