/**
 * Pure planning of a lab's network: which helper calls create it. Kept separate from the I/O
 * so the order (namespace → bridges → TAPs → masters → link state → impairments) is tested
 * without root, and so the exporter and the runtime cannot drift apart on what "up" means.
 */
import type { HelperCall } from '../../../shared/helper-protocol.js';
import type { LabDocument } from '../../../shared/lab.js';
import { hostBridgeName, namespaceName, tapName } from '../../../shared/host-names.js';

export function networkUpPlan(lab: LabDocument): HelperCall[] {
  const ns = namespaceName(lab);
  const calls: HelperCall[] = [{ op: 'ns.create', ns }];
  for (const bridge of lab.bridges) calls.push({ op: 'bridge.create', ns, bridge: hostBridgeName(bridge.name) });
  for (const nic of lab.nics) {
    const tap = tapName(nic.vm, nic.bridge);
    calls.push({ op: 'tap.create', ns, tap });
    // A pulled cable is a TAP that is not on its bridge (and a QEMU link that is down).
    if (nic.link === 'up') calls.push({ op: 'link.attach', ns, tap, bridge: hostBridgeName(nic.bridge) });
    else calls.push({ op: 'link.set', ns, dev: tap, up: true });
    if (nic.impairments && Object.keys(nic.impairments).length > 0) {
      calls.push({ op: 'netem.set', ns, dev: tap, netem: nic.impairments });
    }
  }
  return calls;
}

/** Deleting the namespace removes every bridge and TAP in it and stops whatever runs there. */
export function networkDownPlan(lab: LabDocument): HelperCall[] {
  return [{ op: 'ns.delete', ns: namespaceName(lab) }];
}
