/**
 * What an edit of the document means for a running lab. Pure: (old, new, which VMs run) →
 * the live actions to take and the changes that need a VM restart. Edits on stopped VMs need
 * nothing: they are read at the next start.
 */
import type { LabDocument, Nic } from '../../../shared/lab.js';
import { guestConfig, liveGuestChange } from '../../../shared/guest-config.js';

export interface DocumentChange {
  bridgesAdded: string[];
  bridgesRemoved: string[];
  /** VMs that were removed (or renamed away) while running: stop them. */
  vmsRemoved: string[];
  /** NICs to hot-plug into / unplug from running VMs. */
  nicsAdded: Nic[];
  nicsRemoved: Nic[];
  linkChanged: Nic[];
  impairmentsChanged: Nic[];
  /** NICs of running VMs whose MTU changed: the host TAP follows (the guest's is in guestCommands). */
  mtuChanged: Nic[];
  /**
   * Shell commands that apply a running guest's new routes, forwarding, MTU and `/etc/hosts`
   * live, over its automation channel, in order.
   */
  guestCommands: Array<{ vm: string; commands: string[] }>;
  /** What only a restart applies, per VM, in words a person reads. */
  restartNeeded: Array<{ vm: string; reason: string }>;
}

const nicKey = (n: { vm: string; bridge: string }) => `${n.vm}\0${n.bridge}`;

export function planDocumentChange(previous: LabDocument, next: LabDocument, isRunning: (vm: string) => boolean): DocumentChange {
  const prevBridges = new Set(previous.bridges.map((b) => b.name));
  const nextBridges = new Set(next.bridges.map((b) => b.name));
  const prevNics = new Map(previous.nics.map((n) => [nicKey(n), n]));
  const nextNics = new Map(next.nics.map((n) => [nicKey(n), n]));
  const nextVms = new Map(next.vms.map((v) => [v.name, v]));

  const change: DocumentChange = {
    bridgesAdded: [...nextBridges].filter((b) => !prevBridges.has(b)),
    bridgesRemoved: [...prevBridges].filter((b) => !nextBridges.has(b)),
    vmsRemoved: previous.vms.filter((v) => !nextVms.has(v.name) && isRunning(v.name)).map((v) => v.name),
    nicsAdded: [],
    nicsRemoved: [],
    linkChanged: [],
    impairmentsChanged: [],
    mtuChanged: [],
    guestCommands: [],
    restartNeeded: [],
  };

  for (const [key, nic] of nextNics) {
    if (!isRunning(nic.vm)) continue;
    const before = prevNics.get(key);
    if (!before) {
      change.nicsAdded.push(nic);
      continue;
    }
    if (before.mac !== nic.mac) change.restartNeeded.push({ vm: nic.vm, reason: `${nic.vm}/${nic.bridge}: MAC changed; restart VM "${nic.vm}" to apply` });
    if (before.ip !== nic.ip || JSON.stringify(before.ipv6 ?? []) !== JSON.stringify(nic.ipv6 ?? [])) {
      change.restartNeeded.push({ vm: nic.vm, reason: `${nic.vm}/${nic.bridge}: IP changed; restart VM "${nic.vm}" to apply` });
    }
    if (before.mtu !== nic.mtu) change.mtuChanged.push(nic);
    if (before.link !== nic.link) change.linkChanged.push(nic);
    if (JSON.stringify(before.impairments ?? {}) !== JSON.stringify(nic.impairments ?? {})) change.impairmentsChanged.push(nic);
  }
  for (const [key, nic] of prevNics) {
    if (!nextNics.has(key) && isRunning(nic.vm) && nextVms.has(nic.vm)) change.nicsRemoved.push(nic);
  }

  for (const vm of previous.vms) {
    const after = nextVms.get(vm.name);
    if (!after || !isRunning(vm.name)) continue;
    if (after.cpus !== vm.cpus || after.memoryMiB !== vm.memoryMiB || JSON.stringify(after.image) !== JSON.stringify(vm.image)) {
      change.restartNeeded.push({ vm: vm.name, reason: `VM "${vm.name}": image, CPUs or memory changed; restart it to apply` });
    }
    // The guest's own configuration: routes, forwarding, MTU and hosts live; the rest at restart.
    const live = liveGuestChange(guestConfig(previous, vm.name), guestConfig(next, vm.name));
    if (live.commands.length) change.guestCommands.push({ vm: vm.name, commands: live.commands });
    for (const reason of live.restartNeeded) {
      // Address changes are reported per NIC above.
      if (!reason.includes('addresses changed')) change.restartNeeded.push({ vm: vm.name, reason: `VM "${vm.name}": ${reason}; restart it to apply` });
    }
  }
  return change;
}
