/**
 * The kernel command line of the built-in tiny guest: the guest's init reads its hostname,
 * NICs and `/etc/hosts` from here (see assets/guest/init). Pure, shared by engine and exporter.
 *
 *   wb.host=<vm>                         hostname
 *   wb.nic=<ifname>,<mac>,<ip/prefix|->  one per NIC; init renames the NIC with that MAC to <ifname>
 *   wb.hosts=<ip>=<name>[+<name>],...    /etc/hosts lines for every VM of the lab
 */
import type { LabDocument } from './lab.js';
import { defaultMac, guestNicName } from './host-names.js';

/** Linux's x86 COMMAND_LINE_SIZE is 2048; QEMU adds nothing, we keep a margin. */
export const MAX_CMDLINE = 2000;

export function nicMac(lab: LabDocument, nic: { vm: string; bridge: string; mac?: string | undefined }): string {
  return (nic.mac ?? defaultMac(lab, nic.vm, nic.bridge)).toLowerCase();
}

/** `/etc/hosts` entries: `<vm>.<bridge>` for every NIC with an IP, plus `<vm>` for its first one. */
export function hostsEntries(lab: LabDocument, onlyBridges?: ReadonlySet<string>): string[] {
  const entries: string[] = [];
  const named = new Set<string>();
  const sorted = [...lab.nics].sort((a, b) => (a.vm === b.vm ? a.bridge.localeCompare(b.bridge) : a.vm.localeCompare(b.vm)));
  for (const nic of sorted) {
    if (!nic.ip || (onlyBridges && !onlyBridges.has(nic.bridge))) continue;
    const ip = nic.ip.split('/')[0];
    const names = [`${nic.vm}.${nic.bridge}`];
    if (!named.has(nic.vm)) {
      names.push(nic.vm);
      named.add(nic.vm);
    }
    entries.push(`${ip}=${names.join('+')}`);
  }
  return entries;
}

export function guestKernelCmdline(lab: LabDocument, vm: string): string {
  const parts = ['console=ttyS0', 'quiet', 'panic=-1', `wb.host=${vm}`];
  for (const nic of lab.nics.filter((n) => n.vm === vm)) {
    parts.push(`wb.nic=${guestNicName(lab.nics, vm, nic.bridge)},${nicMac(lab, nic)},${nic.ip ?? '-'}`);
  }
  const base = parts.join(' ');
  let hosts = hostsEntries(lab);
  // Big labs: keep the names this VM can reach directly when every name does not fit.
  if (base.length + 10 + hosts.join(',').length > MAX_CMDLINE) {
    const own = new Set(lab.nics.filter((n) => n.vm === vm).map((n) => n.bridge));
    hosts = hostsEntries(lab, own);
  }
  const line = hosts.length ? `${base} wb.hosts=${hosts.join(',')}` : base;
  if (line.length > MAX_CMDLINE) {
    throw new Error(`kernel command line for VM "${vm}" is ${line.length} characters (limit ${MAX_CMDLINE}); give it fewer NICs or fewer neighbours with IPs`);
  }
  return line;
}
