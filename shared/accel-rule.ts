/**
 * The one rule for which accelerators QEMU is started with, shared by the app and the exported
 * bash script (which prints the same table as a `case`, see electron/engine/export/bash-export.ts,
 * and a test runs that `case` against this function).
 *
 * `auto` starts QEMU with `-accel kvm -accel tcg` whenever the QEMU user can open /dev/kvm:
 * QEMU then falls back to TCG by itself when KVM opens but does not work (no vmx/svm, nested
 * virtualisation turned off), printing "falling back to tcg". When the QEMU user cannot open
 * the device at all, KVM is not even tried (it would fail the same way, only louder), and the
 * person is told how to get it. `-cpu max` works under both; `host` only under KVM.
 */
export type AccelChoice = 'auto' | 'kvm' | 'tcg';
export const ACCEL_CHOICES: readonly AccelChoice[] = ['auto', 'kvm', 'tcg'];

/** What the QEMU user (not the engine's user) can do with /dev/kvm. */
export type KvmAccess = 'missing' | 'denied' | 'usable';

export type Accelerator = 'kvm' | 'tcg';

export interface AccelDecision {
  /** `-accel` options in the order QEMU tries them. */
  accelerators: Accelerator[];
  cpu: 'host' | 'max';
  /** True when the guest runs under TCG only because the QEMU user may not open /dev/kvm. */
  kvmDenied: boolean;
}

/** Hint shown with a VM that runs under TCG because its QEMU user may not open /dev/kvm. */
export function kvmPermissionHint(qemuRunsAsEngineUser: boolean): string {
  return qemuRunsAsEngineUser
    ? 'running under TCG (slow): /dev/kvm is not usable by you; add yourself to group kvm (sudo adduser $USER kvm) and log in again'
    : 'running under TCG (slow): QEMU runs as an unprivileged user that may not open /dev/kvm; make it usable (chmod 0666 /dev/kvm, as udev does on Debian) or run Wirebench as a member of group kvm';
}

export class AccelRuleError extends Error {}

export function decideAccel(choice: AccelChoice, kvm: KvmAccess): AccelDecision {
  switch (choice) {
    case 'tcg':
      return { accelerators: ['tcg'], cpu: 'max', kvmDenied: false };
    case 'kvm':
      if (kvm !== 'usable') {
        throw new AccelRuleError(
          kvm === 'missing' ? 'KVM was asked for (WIREBENCH_ACCEL=kvm) but /dev/kvm does not exist' : "KVM was asked for (WIREBENCH_ACCEL=kvm) but QEMU's user may not open /dev/kvm",
        );
      }
      return { accelerators: ['kvm'], cpu: 'host', kvmDenied: false };
    case 'auto':
      if (kvm === 'usable') return { accelerators: ['kvm', 'tcg'], cpu: 'max', kvmDenied: false };
      return { accelerators: ['tcg'], cpu: 'max', kvmDenied: kvm === 'denied' };
  }
}
