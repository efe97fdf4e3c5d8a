/**
 * What a QEMU guest is, as data, and the one function that turns it into a command line.
 * The engine builds a spec, the privileged helper validates it and runs `qemu-system-x86_64`
 * with exactly `qemuArgs(spec)` (never an argv from the caller), and the bash exporter prints
 * the same argv, so a lab started by an exported script looks identical to the app.
 */
import { z } from 'zod';
import { isValidInterfaceName } from './name-rules.js';

/**
 * QEMU splits option values on commas and the guest kernel splits its command line on
 * spaces; paths are refused when they contain either, or anything unprintable.
 */
const safePath = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .refine((p) => !/[,\s\0-\x1f\x7f]/.test(p), 'must not contain commas, spaces or control characters')
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".."');

/**
 * PCI layout of the `pc` machine (`pc`, not `q35`: q35's root bus refuses hot-plug without
 * pre-created root ports, see docs/platform-facts.md). Slots are fixed per NIC position so a
 * hot-plugged NIC never shifts the others:
 *
 *   0x00 host bridge, 0x01 PIIX (ISA, IDE, ACPI)       (the machine's own)
 *   0x02 the boot disk: the tiny guest's boot.img, or a disk image (QEMU's first free slot)
 *   0x03–0x1c NICs 0–25 on the root bus
 *   0x1d a PCI bridge (`nicbr`), only when a VM has more NICs: NICs 26–56 in its slots 1–31
 *   0x1e the cloud-init seed disk (read-only virtio-blk); function 1: the memory balloon
 *   0x1f a disk image's guest-agent bus (virtio-serial)
 */
/** Where the tiny guest's boot disk sits (a disk image's boot disk takes the same, first free, slot). */
export const BOOT_DISK_SLOT = 2;
export const FIRST_NIC_SLOT = 3;
/** Last root-bus slot for a NIC (hot-plugged NICs go to free slots up to here). */
export const LAST_ROOT_NIC_SLOT = 0x1c;
export const NIC_BRIDGE_SLOT = 0x1d;
export const SEED_DISK_SLOT = 0x1e;
/** The balloon shares the seed disk's slot as its second function, so no NIC slot is given up. */
export const BALLOON_FUNCTION = 1;
export const AGENT_BUS_SLOT = 0x1f;
/** QEMU id of the PCI bridge behind which NICs beyond the root bus's go. */
export const NIC_BRIDGE_ID = 'nicbr';
const ROOT_BUS_NICS = LAST_ROOT_NIC_SLOT - FIRST_NIC_SLOT + 1;
/** Slots 1–31 of the bridge (slot 0 is left alone, as libvirt does). */
const BRIDGE_NICS = 31;
/** The most NICs one VM boots with: 26 on the root bus, 31 behind the bridge. */
export const MAX_NICS_PER_VM = ROOT_BUS_NICS + BRIDGE_NICS;

/** Where the NIC at `index` (its eth<N>) sits: a root-bus slot, or a slot of the NIC bridge. */
export function nicPlacement(index: number): { bus: 'pci.0' | typeof NIC_BRIDGE_ID; slot: number } {
  if (index < ROOT_BUS_NICS) return { bus: 'pci.0', slot: FIRST_NIC_SLOT + index };
  return { bus: NIC_BRIDGE_ID, slot: 1 + index - ROOT_BUS_NICS };
}

/** Whether a VM with `count` NICs needs the PCI bridge. */
export function needsNicBridge(count: number): boolean {
  return count > ROOT_BUS_NICS;
}

export const qemuNicSpecSchema = z.strictObject({
  netdevId: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
  deviceId: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
  tap: z.string().refine(isValidInterfaceName, 'not a valid interface name'),
  mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/),
  /** Start with the cable pulled (document `link: "down"`). */
  linkUp: z.boolean(),
});
export type QemuNicSpec = z.infer<typeof qemuNicSpecSchema>;

export const qemuSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
  /** `-accel` options in the order QEMU tries them (shared/accel-rule.ts decides). */
  accel: z.array(z.enum(['kvm', 'tcg'])).min(1).max(2),
  cpu: z.enum(['host', 'max']),
  cpus: z.number().int().min(1).max(64),
  memoryMiB: z.number().int().min(64).max(65_536),
  /**
   * Tiny guest: its boot disk (assets/guest/build.sh: syslinux, kernel, initramfs and command
   * line), shared read-only by every VM. A disk image: the VM's own qcow2.
   */
  boot: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('tiny'), bootDisk: safePath }), z.strictObject({ kind: z.literal('disk'), disk: safePath })]),
  qmpSocket: safePath,
  serialSocket: safePath,
  serialLog: safePath,
  /**
   * The automation channel, so automation and a person typing in the console (ttyS0) never see
   * each other's bytes: for the tiny guest a second serial port (ttyS1) where it keeps a shell
   * without echo; for a disk image the QEMU guest agent's virtio-serial port.
   */
  agentSocket: safePath,
  pidFile: safePath,
  /**
   * The VM's cloud-init NoCloud seed (an ISO 9660 image labelled `cidata`, built from
   * shared/cloud-init-seed.ts), attached read-only: hostname, NICs, routes, hosts, startup.
   */
  seedImage: safePath,
  nics: z.array(qemuNicSpecSchema).max(MAX_NICS_PER_VM),
});
export type QemuSpec = z.infer<typeof qemuSpecSchema>;

/**
 * virtio-net offloads, all off, so every frame on a lab cable is one a real wire could carry.
 *
 * With QEMU's defaults the guest hands the TAP 64 KiB TSO/GSO "super-frames" with partial
 * checksums: captures show impossible lengths and "checksum incorrect [maybe caused by
 * offload]" on every TCP segment, and libpcap, seeing offloads, sizes each capture-ring slot
 * for 64 KiB, so a 32 MiB ring holds ~500 packets and a burst overflows it (bench/dissect:
 * 6,444 of 100,000 dropped at 20,000 pps). Off, the guest segments and checksums itself (cheap
 * at lab rates), frames stay ≤ MTU and captures look like a switch's mirror port.
 * `csum` off alone already stops the guest's TSO; the rest are spelled out so no QEMU default
 * can turn one back on. Used by the command line, QMP hot-plug and the libvirt export alike.
 */
export const NIC_OFFLOADS_OFF = {
  csum: false,
  gso: false,
  host_tso4: false,
  host_tso6: false,
  host_ecn: false,
  host_ufo: false,
  guest_csum: false,
  guest_tso4: false,
  guest_tso6: false,
  guest_ecn: false,
  guest_ufo: false,
} as const;

export function nicDeviceArg(nic: QemuNicSpec, index: number): string {
  const offloads = Object.keys(NIC_OFFLOADS_OFF).map((property) => `${property}=off`).join(',');
  const { bus, slot } = nicPlacement(index);
  const onBridge = bus === NIC_BRIDGE_ID ? `bus=${NIC_BRIDGE_ID},` : '';
  return `virtio-net-pci,netdev=${nic.netdevId},id=${nic.deviceId},mac=${nic.mac},${onBridge}addr=0x${slot.toString(16)},${offloads}`;
}

export function netdevArg(nic: QemuNicSpec): string {
  return `tap,id=${nic.netdevId},ifname=${nic.tap},script=no,downscript=no`;
}

/**
 * TCG's translation cache, in MiB (`-accel tcg,tb-size=`), by how the VM boots. QEMU 7.2's
 * default is 1 GiB per VM, mapped lazily but filled as the guest runs: a tiny guest's QEMU grew
 * to ~218 MiB RSS under TCG, most of it translated code it never reuses. A lab runs many small
 * guests on one host, so the tiny guest (`tiny`) gets 16 MiB. Less has a cliff: at 8 MiB the
 * cache no longer holds the guest's working set once its init has real work to do (a 57-NIC
 * guest took 131 s to be ready instead of 29 s; one NIC, 5.6 s instead of 3.5 s), while 12 and
 * 16 boot alike; 16 leaves room for the lab's own startup commands. A disk image runs a whole
 * distribution and keeps 32. Measured in bench/scale, see docs/platform-notes.md. Only on the
 * `tcg` accelerator: KVM has no translation cache.
 */
export const TCG_CACHE_MIB = { tiny: 16, disk: 32 } as const satisfies Record<QemuSpec['boot']['kind'], number>;

/** TCG's `-accel` value with the cache size for a VM that boots this way. */
export function tcgAccelOption(bootKind: QemuSpec['boot']['kind']): string {
  return `tcg,tb-size=${TCG_CACHE_MIB[bootKind]}`;
}

/**
 * The `-accel` options, in the order QEMU tries them; TCG's carries the VM's cache size
 * (`tcgOption`). The exported script's accelerator table prints them with a bare `tcg`, and
 * each VM's command line puts its own cache size in (electron/engine/export/bash-export.ts).
 */
export function accelArgs(accelerators: readonly ('kvm' | 'tcg')[], tcgOption = 'tcg'): string[] {
  return accelerators.flatMap((accel) => ['-accel', accel === 'tcg' ? tcgOption : accel]);
}

/**
 * Guest RAM comes from a memfd, not QEMU's default anonymous memory: QEMU asks for transparent
 * huge pages on anonymous guest RAM, and the host's khugepaged then refills the 4 KiB pages the
 * guest handed back through the balloon (RSS crept 120 → 126 MiB in 150 s); shared memory has
 * no huge pages unless the host enables them for shmem.
 */
const GUEST_RAM_ID = 'ram0';

/** The argv after `qemu-system-x86_64`. Pure; the same in app, helper and exported script. */
export function qemuArgs(spec: QemuSpec): string[] {
  const args = [
    '-name', `guest=${spec.name},process=wb-${spec.name}`,
    '-machine', `pc,memory-backend=${GUEST_RAM_ID}`,
    ...accelArgs(spec.accel, tcgAccelOption(spec.boot.kind)),
    '-cpu', spec.cpu,
    '-smp', String(spec.cpus),
    '-m', String(spec.memoryMiB),
    '-object', `memory-backend-memfd,id=${GUEST_RAM_ID},size=${spec.memoryMiB}M`,
    '-nodefaults', '-no-user-config',
    '-display', 'none', '-monitor', 'none',
    '-qmp', `unix:${spec.qmpSocket},server=on,wait=off`,
    // logappend: QEMU opens the log O_APPEND, so the engine can cut it down to a bounded
    // history while QEMU keeps writing (electron/engine/console/serial-log.ts).
    '-chardev', `socket,id=serial0,path=${spec.serialSocket},server=on,wait=off,logfile=${spec.serialLog},logappend=on`,
    '-serial', 'chardev:serial0',
    '-chardev', `socket,id=agent0,path=${spec.agentSocket},server=on,wait=off`,
  ];
  if (spec.boot.kind === 'tiny') {
    args.push('-serial', 'chardev:agent0');
    // A disk, not `-kernel`/`-initrd`: QEMU keeps its own 14 MiB copy of a `-kernel` for resets;
    // a read-only disk's pages are the host's page cache, one copy for every VM.
    args.push('-drive', `file=${spec.boot.bootDisk},format=raw,if=none,id=boot0,readonly=on`);
    args.push('-device', `virtio-blk-pci,drive=boot0,id=boot,addr=0x${BOOT_DISK_SLOT.toString(16)},bootindex=0`);
  } else {
    // The port name cloud images' qemu-guest-agent looks for; the bus sits in the last PCI slot,
    // clear of the NICs' fixed slots from FIRST_NIC_SLOT up.
    args.push('-device', `virtio-serial-pci,id=agent-bus,addr=0x${AGENT_BUS_SLOT.toString(16)}`);
    args.push('-device', 'virtserialport,bus=agent-bus.0,chardev=agent0,name=org.qemu.guest_agent.0');
    args.push('-drive', `file=${spec.boot.disk},format=qcow2,if=virtio,id=disk0`);
  }
  // The seed: read-only, in its own fixed slot; the guest finds it by its label (`cidata`).
  args.push('-drive', `file=${spec.seedImage},format=raw,if=none,id=seed0,readonly=on`);
  args.push('-device', `virtio-blk-pci,drive=seed0,id=seed,multifunction=on,addr=0x${SEED_DISK_SLOT.toString(16)}.0`);
  // Free page reporting: the guest hands freed memory back, so QEMU's RSS follows what the
  // guest uses, not what it once touched while booting (the tiny guest's init and every Debian
  // or Ubuntu cloud kernel load virtio_balloon by themselves). The balloon never inflates:
  // nothing asks it to.
  args.push('-device', `virtio-balloon-pci,id=balloon,free-page-reporting=on,addr=0x${SEED_DISK_SLOT.toString(16)}.${BALLOON_FUNCTION}`);
  if (needsNicBridge(spec.nics.length)) args.push('-device', `pci-bridge,id=${NIC_BRIDGE_ID},chassis_nr=1,addr=0x${NIC_BRIDGE_SLOT.toString(16)}`);
  spec.nics.forEach((nic, i) => {
    args.push('-netdev', netdevArg(nic), '-device', nicDeviceArg(nic, i));
  });
  args.push('-daemonize', '-pidfile', spec.pidFile);
  return args;
}
