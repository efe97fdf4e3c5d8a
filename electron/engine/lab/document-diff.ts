/**
 * What an edit of the document means for a running lab. Pure: (old, new, which VMs run) →
 * the live actions to take and the changes that need a VM restart. Edits on stopped VMs need
 * nothing: they are read at the next start.
 */
import type { LabDocument, Nic } from '../../../shared/lab.js';

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
    if (before.ip !== nic.ip) change.restartNeeded.push({ vm: nic.vm, reason: `${nic.vm}/${nic.bridge}: IP changed; restart VM "${nic.vm}" to apply` });
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
  }
  return change;
}
