/** Each NIC's MAC as the guest sees it: the document's own, or one derived from the lab, VM and bridge. */
import type { LabDocument } from './lab.js';
import { defaultMac } from './host-names.js';

export function nicMac(lab: LabDocument, nic: { vm: string; bridge: string; mac?: string | undefined }): string {
  return (nic.mac ?? defaultMac(lab, nic.vm, nic.bridge)).toLowerCase();
}
