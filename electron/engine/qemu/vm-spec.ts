/**
 * The QemuSpec of one VM of a lab: the single place that decides a VM's QEMU command line.
 * The app's VM runtime and the bash exporter both call it, so a lab started by an exported
 * script runs exactly the command line the app would have run (and can be adopted by it).
 */
import type { LabDocument } from '../../../shared/lab.js';
import { formatPath } from '../../../shared/lab.js';
import { netdevId, nicDeviceId, tapName, vmBridgesSorted } from '../../../shared/host-names.js';
import { nicMac } from '../../../shared/nic-mac.js';
import { qemuSpecSchema, type QemuSpec } from '../../../shared/qemu-spec.js';
import { vmRuntimePaths } from '../../../shared/runtime-paths.js';
import type { AccelDecision } from '../../../shared/accel-rule.js';

export interface VmSpecOptions {
  accel: Pick<AccelDecision, 'accelerators' | 'cpu'>;
  /** The lab's runtime folder (`labRuntimeDir(...)`): sockets, logs and pid files go there. */
  labDir: string;
  /** Absolute path of the built-in tiny guest's boot disk (assets/guest/build.sh). */
  tinyGuest: { bootDisk: string };
  /**
   * Absolute disk path per VM name, used instead of the document's `image.path` for qcow2 VMs.
   * The app passes paths resolved against the lab file's folder; the exporter passes
   * placeholders it turns into shell variables.
   */
  disks?: Readonly<Record<string, string>>;
}

/** How a VM boots: the tiny guest from its shared boot disk, any other image from its own disk. */
export function bootKindOf(image: LabDocument['vms'][number]['image']): QemuSpec['boot']['kind'] {
  return image.kind === 'tiny' ? 'tiny' : 'disk';
}

export function vmQemuSpec(lab: LabDocument, vmName: string, opts: VmSpecOptions): QemuSpec {
  const vm = lab.vms.find((v) => v.name === vmName);
  if (!vm) {
    const known = lab.vms.map((v) => `"${v.name}"`).join(', ') || 'none';
    throw new Error(`vm-spec: lab "${lab.name}" has no VM named "${vmName}" (VMs: ${known})`);
  }

  const nicsByBridge = new Map(lab.nics.filter((n) => n.vm === vmName).map((n) => [n.bridge, n]));
  // Position in the sorted bridge list is the guest's eth<N>, and with it the PCI slot.
  const nics = vmBridgesSorted(lab.nics, vmName).map((bridge) => {
    const nic = nicsByBridge.get(bridge)!;
    return {
      netdevId: netdevId(bridge),
      deviceId: nicDeviceId(bridge),
      tap: tapName(vmName, bridge),
      mac: nicMac(lab, nic),
      linkUp: nic.link === 'up',
    };
  });

  let boot: QemuSpec['boot'];
  if (vm.image.kind === 'tiny') {
    boot = { kind: 'tiny', bootDisk: opts.tinyGuest.bootDisk };
  } else {
    boot = { kind: 'disk', disk: opts.disks?.[vmName] ?? vm.image.path };
  }

  const spec: QemuSpec = {
    name: vmName,
    accel: opts.accel.accelerators,
    cpu: opts.accel.cpu,
    cpus: vm.cpus,
    memoryMiB: vm.memoryMiB,
    boot,
    ...vmRuntimePaths(opts.labDir, vmName),
    nics,
  };
  // Checked here, not only in the helper, so a bad path (relative disk, comma in the cache
  // folder) is reported with the VM it belongs to before anything is created.
  const checked = qemuSpecSchema.safeParse(spec);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${formatPath(i.path) || 'spec'}: ${i.message}`).join('; ');
    throw new Error(
      `vm-spec: cannot build the QEMU command line of VM "${vmName}": ${problems}. ` +
        'Use absolute paths without commas or spaces for disk images, the guest cache and the runtime folder.',
    );
  }
  return checked.data;
}
