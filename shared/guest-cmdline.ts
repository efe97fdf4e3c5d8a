/**
 * The kernel command line of the built-in tiny guest, and each NIC's MAC. The guest's
 * configuration (hostname, NICs, routes, hosts, startup commands) no longer travels here: it is
 * a cloud-init seed on a read-only disk (shared/cloud-init-seed.ts), so there is no length limit.
 */
import type { LabDocument } from './lab.js';
import { defaultMac } from './host-names.js';

/**
 * Console on the first serial port, quiet boot, and no reboot loop after a panic. The rest keeps
 * an idle guest asleep: under TCG every wake-up of the guest's kernel is emulated, and an idle
 * tiny guest woke ~10 times a second for housekeeping nobody in a lab needs, which cost 0.25–0.4%
 * of a host core per VM; without these, 0.016% (bench/scale, docs/platform-notes.md):
 *   tsc=reliable                 no clocksource watchdog (2 wake-ups a second)
 *   nowatchdog                   no soft-lockup watchdog timer
 *   psi=0                        no pressure-stall averaging (every 2 s)
 *   cgroup_disable=memory        no memory-cgroup statistics flush (every 2 s); the guest has no cgroups
 *   vm.compaction_proactiveness=0  kcompactd stops waking every 500 ms
 *   vm.stat_interval=10          per-CPU memory statistics folded every 10 s, not every second
 */
export const TINY_GUEST_CMDLINE = [
  'console=ttyS0 quiet panic=-1',
  'tsc=reliable nowatchdog psi=0 cgroup_disable=memory',
  'sysctl.vm.compaction_proactiveness=0 sysctl.vm.stat_interval=10',
].join(' ');

export function nicMac(lab: LabDocument, nic: { vm: string; bridge: string; mac?: string | undefined }): string {
  return (nic.mac ?? defaultMac(lab, nic.vm, nic.bridge)).toLowerCase();
}

/** The tiny guest's kernel command line: the same for every VM. */
export function guestKernelCmdline(): string {
  return TINY_GUEST_CMDLINE;
}
