/**
 * Which accelerator QEMU uses: `kvm` when `/dev/kvm` is usable, `tcg` (software) otherwise.
 * `WIREBENCH_ACCEL=tcg|kvm|auto` overrides (nested virtualisation can expose a /dev/kvm whose
 * guests hang, so CI forces tcg).
 */
import { accessSync, constants } from 'node:fs';
import { WirebenchError } from '../../../shared/api.js';

export type AccelChoice = 'auto' | 'kvm' | 'tcg';

export function resolveAccel(choice: AccelChoice | undefined = undefined, env: NodeJS.ProcessEnv = process.env, kvmPath = '/dev/kvm'): 'kvm' | 'tcg' {
  const wanted = choice ?? env.WIREBENCH_ACCEL ?? 'auto';
  if (wanted !== 'auto' && wanted !== 'kvm' && wanted !== 'tcg') {
    throw new WirebenchError('bad-config', `WIREBENCH_ACCEL="${wanted}" is not one of auto, kvm, tcg`, 'unset it or set it to tcg');
  }
  if (wanted === 'tcg') return 'tcg';
  let kvmUsable = true;
  try {
    accessSync(kvmPath, constants.R_OK | constants.W_OK);
  } catch {
    kvmUsable = false;
  }
  if (wanted === 'kvm' && !kvmUsable) {
    throw new WirebenchError('no-kvm', `KVM was asked for (WIREBENCH_ACCEL=kvm) but ${kvmPath} is missing or not accessible`, 'load the kvm module and join the kvm group, or use WIREBENCH_ACCEL=tcg');
  }
  return kvmUsable ? 'kvm' : 'tcg';
}
