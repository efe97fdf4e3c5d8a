/**
 * Which accelerators the engine starts QEMU with (the rule is shared/accel-rule.ts). What
 * matters is whether the user QEMU runs as can open /dev/kvm, not the engine's user: as root
 * the helper runs QEMU as `nobody` with no groups, and root opening a 0600 /dev/kvm says
 * nothing about that. So when QEMU runs as someone else the kernel is asked as that user
 * (`setpriv … test -r -w`, the same probe the exported script makes).
 * `WIREBENCH_ACCEL=auto|kvm|tcg` (or the runtime's `accel` option) overrides `auto`.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { execa } from 'execa';
import { WirebenchError } from '../../../shared/api.js';
import { ACCEL_CHOICES, AccelRuleError, decideAccel, type AccelChoice, type AccelDecision, type KvmAccess } from '../../../shared/accel-rule.js';

export type { AccelChoice } from '../../../shared/accel-rule.js';

export const KVM_DEVICE = '/dev/kvm';

/** The accelerator wish: the explicit option, else WIREBENCH_ACCEL, else auto. */
export function accelChoice(option: AccelChoice | undefined, env: NodeJS.ProcessEnv = process.env): AccelChoice {
  const wanted = option ?? env.WIREBENCH_ACCEL ?? 'auto';
  if (!(ACCEL_CHOICES as readonly string[]).includes(wanted)) {
    throw new WirebenchError('bad-config', `WIREBENCH_ACCEL="${wanted}" is not one of ${ACCEL_CHOICES.join(', ')}`, 'unset it (auto picks KVM when QEMU can use it) or set it to tcg');
  }
  return wanted as AccelChoice;
}

export interface QemuUser {
  uid: number;
  gid: number;
}

/** What the QEMU user can do with the KVM device, asked of the kernel as that user. */
export async function probeKvm(qemuUser: QemuUser, device = KVM_DEVICE, engineUid = process.getuid?.() ?? -1): Promise<KvmAccess> {
  if (!existsSync(device)) return 'missing';
  if (qemuUser.uid === engineUid) {
    try {
      accessSync(device, constants.R_OK | constants.W_OK);
      return 'usable';
    } catch {
      return 'denied';
    }
  }
  // Only root gets here (QEMU runs as another user only when the engine is root).
  const probe = await execa('setpriv', [`--reuid=${qemuUser.uid}`, `--regid=${qemuUser.gid}`, '--clear-groups', 'test', '-r', device, '-a', '-w', device], { reject: false, timeout: 5000 });
  return probe.exitCode === 0 ? 'usable' : 'denied';
}

/** The rule applied to this host; a forced `kvm` that cannot work is a clear error. */
export async function resolveAccel(choice: AccelChoice, qemuUser: QemuUser, device = KVM_DEVICE): Promise<AccelDecision> {
  const access = choice === 'tcg' ? 'missing' : await probeKvm(qemuUser, device);
  try {
    return decideAccel(choice, access);
  } catch (err) {
    if (!(err instanceof AccelRuleError)) throw err;
    throw new WirebenchError('no-kvm', err.message, 'load the kvm module and make /dev/kvm usable by QEMU\'s user (group kvm, or mode 0666), or use WIREBENCH_ACCEL=tcg / auto');
  }
}
