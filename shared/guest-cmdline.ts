/**
 * The kernel command line of the built-in tiny guest, and each NIC's MAC. The guest's
 * configuration (hostname, NICs, routes, hosts, startup commands) no longer travels here: it is
 * a cloud-init seed on a read-only disk (shared/cloud-init-seed.ts), so there is no length limit.
 */
import type { LabDocument } from './lab.js';
import { defaultMac } from './host-names.js';

/** Console on the first serial port, quiet boot, and no reboot loop after a panic. */
export const TINY_GUEST_CMDLINE = 'console=ttyS0 quiet panic=-1';

export function nicMac(lab: LabDocument, nic: { vm: string; bridge: string; mac?: string | undefined }): string {
  return (nic.mac ?? defaultMac(lab, nic.vm, nic.bridge)).toLowerCase();
}

/** The tiny guest's kernel command line: the same for every VM. */
export function guestKernelCmdline(): string {
  return TINY_GUEST_CMDLINE;
}
