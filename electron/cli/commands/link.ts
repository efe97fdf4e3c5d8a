/**
 * `wirebench link FILE VM NIC up|down`: plugs or pulls the cable between a VM and a bridge (the
 * TAP leaves the bridge and the guest sees carrier loss), and `wirebench counters FILE [VM
 * [NIC]]`: guest-perspective counters, one line per NIC:
 *
 *   a eth0 lan rx_bytes=1234 tx_bytes=5678 rx_packets=12 tx_packets=34 errors=0
 */
import type { LabConnection } from '../lab-connection.js';
import type { CountersArgs, LinkArgs } from './verb-args.js';
import { nicSelectorFor, requireRunning, requireVmName } from './verb-support.js';

const COUNTER_FIELDS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'errors'] as const;

export async function linkCommand(lab: LabConnection, args: LinkArgs, out: (line: string) => void): Promise<number> {
  const nic = nicSelectorFor(lab.document, args.vm, args.nic);
  await requireRunning(lab, args.file, args.vm);
  const info = await lab.invoke(args.state === 'down' ? 'nic.disconnect' : 'nic.reconnect', nic.selector);
  out(`cable ${info.vm}/${info.guestName} (${info.bridge}): ${info.link}`);
  return 0;
}

export async function countersCommand(lab: LabConnection, args: CountersArgs, out: (line: string) => void): Promise<number> {
  let nics = lab.document.nics.map((n) => ({ vm: n.vm, bridge: n.bridge }));
  if (args.vm !== undefined) {
    requireVmName(lab.document, args.vm);
    if (args.nic !== undefined) {
      const { vm, bridge } = nicSelectorFor(lab.document, args.vm, args.nic);
      nics = [{ vm, bridge }];
    } else nics = nics.filter((n) => n.vm === args.vm);
  }
  await requireRunning(lab, args.file);
  for (const ref of nics) {
    const [info, counters] = await Promise.all([lab.invoke('nic.info', ref), lab.invoke('nic.counters', ref)]);
    const fields = COUNTER_FIELDS.map((name) => `${name}=${counters[name]}`);
    out(`${info.vm} ${info.guestName} ${info.bridge} ${fields.join(' ')}`);
  }
  return 0;
}
