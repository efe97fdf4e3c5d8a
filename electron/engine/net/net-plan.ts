/**
 * Pure planning of a lab's network: which helper calls create it. Kept separate from the I/O
 * so the order is tested without root, and so the CLI, the runtime and the exporter cannot
 * drift apart on what "up" means.
 *
 * The lab's namespace and bridges exist while the lab is up; a VM's TAPs exist only while
 * that VM runs (as in the Provium NIC API: no TAP before boot, zeros for its counters, and a
 * capture on it is refused with "not booted?").
 */
import type { HelperCall } from '../../../shared/helper-protocol.js';
import type { LabDocument, Nic } from '../../../shared/lab.js';
import { hostBridgeName, namespaceName, tapName } from '../../../shared/host-names.js';

/** Namespace and bridges. */
export function labNetworkPlan(lab: LabDocument): HelperCall[] {
  const ns = namespaceName(lab);
  return [{ op: 'ns.create', ns }, ...lab.bridges.map((b): HelperCall => ({ op: 'bridge.create', ns, bridge: hostBridgeName(b.name) }))];
}

/** One NIC's TAP, its bridge membership (none for a pulled cable) and impairments. */
export function nicNetworkPlan(lab: LabDocument, nic: Nic): HelperCall[] {
  const ns = namespaceName(lab);
  const tap = tapName(nic.vm, nic.bridge);
  const calls: HelperCall[] = [{ op: 'tap.create', ns, tap, ...(nic.mtu !== undefined ? { mtu: nic.mtu } : {}) }];
  // A pulled cable is a TAP that is not on its bridge (and a QEMU link that is down).
  if (nic.link === 'up') calls.push({ op: 'link.attach', ns, tap, bridge: hostBridgeName(nic.bridge) });
  else calls.push({ op: 'link.set', ns, dev: tap, up: true });
  if (nic.impairments && Object.keys(nic.impairments).length > 0) {
    calls.push({ op: 'netem.set', ns, dev: tap, netem: nic.impairments });
  }
  return calls;
}

/** Every TAP of one VM, created just before its QEMU starts. */
export function vmNetworkPlan(lab: LabDocument, vm: string): HelperCall[] {
  return lab.nics.filter((n) => n.vm === vm).flatMap((nic) => nicNetworkPlan(lab, nic));
}

export function vmNetworkTeardown(lab: LabDocument, vm: string): HelperCall[] {
  const ns = namespaceName(lab);
  return lab.nics.filter((n) => n.vm === vm).map((n): HelperCall => ({ op: 'tap.delete', ns, tap: tapName(n.vm, n.bridge) }));
}

/** The whole network at once (`wirebench up` of the network part, the exported script). */
export function networkUpPlan(lab: LabDocument): HelperCall[] {
  return [...labNetworkPlan(lab), ...lab.vms.flatMap((vm) => vmNetworkPlan(lab, vm.name))];
}

/** Deleting the namespace removes every bridge and TAP in it and stops whatever runs there. */
export function networkDownPlan(lab: LabDocument): HelperCall[] {
  return [{ op: 'ns.delete', ns: namespaceName(lab) }];
}
