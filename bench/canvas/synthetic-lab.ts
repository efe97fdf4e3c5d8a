/** A big lab for the canvas benchmark: VMs in a grid, bridges in rows between them, every VM on two bridges. */
import { LAB_FORMAT, type LabDocument } from '../../shared/lab.js';
import type { CountersTickNic } from '../../shared/api.js';

export function syntheticLab(vmCount = 500, bridgeCount = 100, nicsPerVm = 2): LabDocument {
  const bridges = Array.from({ length: bridgeCount }, (_, i) => ({
    name: `br${i + 1}`,
    position: { x: (i % 20) * 400, y: Math.floor(i / 20) * 600 + 300 },
  }));
  const vms = Array.from({ length: vmCount }, (_, i) => ({
    name: `vm${i + 1}`,
    image: { kind: 'tiny' as const },
    cpus: 1,
    memoryMiB: 128,
    position: { x: (i % 50) * 160, y: Math.floor(i / 50) * 300 },
  }));
  const nics = vms.flatMap((vm, i) =>
    Array.from({ length: nicsPerVm }, (_, k) => ({ vm: vm.name, bridge: bridges[(Math.floor(i / 5) + k * 37) % bridgeCount]!.name, link: 'up' as const })),
  );
  return { format: LAB_FORMAT, id: 'be0c4a11be0c4a11', name: 'canvas-bench', bridges, vms, nics };
}

/** One tick for every NIC with rates that change each time (so every label and stroke really updates). */
export function syntheticTick(lab: LabDocument, seq: number): CountersTickNic[] {
  return lab.nics.map((nic, i) => {
    const rate = ((seq * 7919 + i * 104729) % 1_000_000) * 10;
    return {
      vm: nic.vm,
      bridge: nic.bridge,
      counters: { rx_bytes: seq * 1000 + i, tx_bytes: seq * 900 + i, rx_packets: seq * 10, tx_packets: seq * 9, errors: i % 97 === 0 ? 1 : 0 },
      rates: { rx_bps: rate, tx_bps: rate / 2, rx_pps: rate / 12_000, tx_pps: rate / 24_000 },
    };
  });
}
