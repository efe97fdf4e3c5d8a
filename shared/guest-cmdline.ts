/**
 * Each NIC's MAC, as the guest sees it. The tiny guest's kernel command line is part of its boot
 * disk (assets/guest/cmdline, built by assets/guest/build.sh); its configuration (hostname,
 * NICs, routes, hosts, startup commands) is a cloud-init seed on a read-only disk
 * (shared/cloud-init-seed.ts), so there is no length limit.
 */
import type { LabDocument } from './lab.js';
import { defaultMac } from './host-names.js';

export function nicMac(lab: LabDocument, nic: { vm: string; bridge: string; mac?: string | undefined }): string {
  return (nic.mac ?? defaultMac(lab, nic.vm, nic.bridge)).toLowerCase();
}
