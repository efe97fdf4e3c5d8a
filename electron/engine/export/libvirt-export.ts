/**
 * libvirt export: a lab document becomes libvirt XML — one isolated `<network>` per bridge,
 * one `<domain type='qemu'>` per VM — plus `define.sh`, which defines them with virsh.
 *
 * The domains mirror the app's QEMU command line where libvirt can express it (machine `pc`,
 * NIC order and PCI slots, MACs, direct kernel boot with the same command line, pulled cables
 * as `<link state='down'/>`), so a guest behaves the same under both. Delay and loss have no
 * libvirt equivalent and are left as comments; a rate becomes `<bandwidth>`.
 */
import { LabValidationError, validateLab, type LabDocument, type LabDocumentInput, type Nic } from '../../../shared/lab.js';
import { hostBridgeName, namespaceName, vmBridgesSorted } from '../../../shared/host-names.js';
import { nicMac } from '../../../shared/nic-mac.js';
import { BALLOON_FUNCTION, BOOT_DISK_SLOT, NIC_BRIDGE_SLOT, SEED_DISK_SLOT, TCG_CACHE_MIB, needsNicBridge, nicPlacement } from '../../../shared/qemu-spec.js';
import { SEED_FILES, renderSeed, seedImageCommand } from '../../../shared/cloud-init-seed.js';
import { shComment, shQuote } from './shell-quote.js';
import { ROOT_GUEST_DIR } from './bash-export.js';
import { bootKindOf } from '../qemu/vm-spec.js';

export interface LibvirtExport {
  /**
   * File name → content: `network-<bridge>.xml`, `domain-<vm>.xml`, `define.sh`, and each VM's
   * cloud-init seed files `seed-<vm>.meta-data`, `.user-data`, `.network-config` (define.sh
   * builds them into `seeds/seed-<vm>.iso`, attached read-only as in the app).
   */
  files: Record<string, string>;
}

// Escaping for XML text and attribute values; characters XML 1.0 cannot carry at all
// (control characters in free-text names) become '?'. Five replacements do not justify a library.
function xmlText(text: string): string {
  return text
    .replace(/[\0-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Text inside `<!-- -->`: no control characters, no `--`, no trailing `-`. */
function xmlComment(text: string): string {
  return text.replace(/[\0-\x1f\x7f]/g, '?').replace(/-(?=-)/g, '- ').replace(/-$/, '- ');
}

/** libvirt names are host-wide: the lab's namespace name keeps labs apart. */
export function libvirtNetworkName(lab: LabDocument, bridge: string): string {
  return `${namespaceName(lab)}-${bridge}`;
}

export function libvirtDomainName(lab: LabDocument, vm: string): string {
  return `${namespaceName(lab)}-${vm}`;
}

function networkXml(lab: LabDocument, bridge: string): string {
  return [
    `<!-- Wirebench lab "${xmlComment(lab.name)}", bridge "${bridge}": isolated (no forward mode, no host address). -->`,
    `<network>`,
    `  <name>${libvirtNetworkName(lab, bridge)}</name>`,
    `  <bridge name='${hostBridgeName(bridge)}' stp='off' delay='0'/>`,
    `</network>`,
    '',
  ].join('\n');
}

/** Where the domain XML says the seed images are; define.sh puts the real folder in. */
export function libvirtSeedDir(lab: LabDocument): string {
  return `/var/lib/wirebench/seeds/${namespaceName(lab)}`;
}

function pciAddress(bus: number, slot: number, fn = 0, multifunction = false): string {
  const multi = multifunction ? ` multifunction='on'` : '';
  return `<address type='pci' domain='0x0000' bus='0x${bus.toString(16).padStart(2, '0')}' slot='0x${slot.toString(16).padStart(2, '0')}' function='0x${fn.toString(16)}'${multi}/>`;
}

function interfaceXml(lab: LabDocument, nic: Nic, index: number): string[] {
  const lines = [
    `    <interface type='network'>`,
    `      <source network='${libvirtNetworkName(lab, nic.bridge)}'/>`,
    `      <mac address='${nicMac(lab, nic)}'/>`,
    `      <model type='virtio'/>`,
    // The same offloads-off NIC as the app's (NIC_OFFLOADS_OFF in shared/qemu-spec.ts).
    `      <driver>`,
    `        <host csum='off' gso='off' tso4='off' tso6='off' ecn='off' ufo='off'/>`,
    `        <guest csum='off' tso4='off' tso6='off' ecn='off' ufo='off'/>`,
    `      </driver>`,
  ];
  if (nic.link === 'down') lines.push(`      <link state='down'/>`);
  const { delayMs, jitterMs, lossPercent, rateKbit } = nic.impairments ?? {};
  if (rateKbit !== undefined) {
    // libvirt counts kilobytes per second; "inbound" is traffic towards the guest, which is
    // where the app's netem on the TAP applies.
    lines.push(`      <bandwidth>`, `        <inbound average='${Math.max(1, Math.round(rateKbit / 8))}'/>`, `      </bandwidth>`);
  }
  if (delayMs || lossPercent) {
    const parts = [delayMs ? `delay ${delayMs}ms${jitterMs ? ` (jitter ${jitterMs}ms)` : ''}` : '', lossPercent ? `loss ${lossPercent}%` : ''];
    lines.push(`      <!-- Wirebench impairment not expressible in libvirt: ${parts.filter(Boolean).join(', ')} -->`);
  }
  // The app's PCI layout (shared/qemu-spec.ts): root-bus slots, then the PCI bridge (bus 1).
  const { bus, slot } = nicPlacement(index);
  lines.push(`      ${pciAddress(bus === 'pci.0' ? 0 : 1, slot)}`, `    </interface>`);
  return lines;
}

/** A raw image attached read-only (the boot disk, a seed), at a fixed PCI address. */
function readOnlyRawDisk(file: string, target: string, address: string, options: { shareable?: boolean } = {}): string[] {
  return [
    `    <disk type='file' device='disk'>`,
    `      <driver name='qemu' type='raw'/>`,
    `      <source file='${xmlText(file)}'/>`,
    `      <target dev='${target}' bus='virtio'/>`,
    `      <readonly/>`,
    ...(options.shareable ? [`      <shareable/>`] : []),
    `      ${address}`,
    `    </disk>`,
  ];
}

function domainXml(lab: LabDocument, vmName: string): string {
  const vm = lab.vms.find((v) => v.name === vmName)!;
  const os = [`    <type arch='x86_64' machine='pc'>hvm</type>`, `    <boot dev='hd'/>`];
  const disks: string[] = [];
  if (vm.image.kind === 'tiny') {
    // The tiny guest's boot disk, shared read-only by every VM, in the app's slot.
    disks.push(...readOnlyRawDisk(`${ROOT_GUEST_DIR}/boot.img`, 'vda', pciAddress(0, BOOT_DISK_SLOT), { shareable: true }));
  } else {
    if (!vm.image.path.startsWith('/')) {
      throw new Error(
        `libvirt export: the disk of VM "${vmName}" is "${vm.image.path}", a relative path; libvirt needs absolute paths. Make it absolute in the lab document and export again.`,
      );
    }
    disks.push(
      `    <disk type='file' device='disk'>`,
      `      <driver name='qemu' type='qcow2'/>`,
      `      <source file='${xmlText(vm.image.path)}'/>`,
      `      <target dev='vda' bus='virtio'/>`,
      `    </disk>`,
    );
  }
  // The cloud-init seed, read-only in its fixed slot, as in the app.
  disks.push(...readOnlyRawDisk(`${libvirtSeedDir(lab)}/seed-${vmName}.iso`, 'vdb', pciAddress(0, SEED_DISK_SLOT, 0, true)));
  const nicsByBridge = new Map(lab.nics.filter((n) => n.vm === vmName).map((n) => [n.bridge, n]));
  const bridges = vmBridgesSorted(lab.nics, vmName);
  const controllers = needsNicBridge(bridges.length)
    ? [`    <controller type='pci' index='0' model='pci-root'/>`, `    <controller type='pci' index='1' model='pci-bridge'>`, `      <target chassisNr='1'/>`, `      ${pciAddress(0, NIC_BRIDGE_SLOT)}`, `    </controller>`]
    : [];
  const interfaces = bridges.flatMap((bridge, i) => interfaceXml(lab, nicsByBridge.get(bridge)!, i));
  return [
    `<domain type='qemu'>`,
    `  <name>${libvirtDomainName(lab, vmName)}</name>`,
    // libvirt refuses a title with a line break; the lab name may hold one.
    `  <title>${xmlText(shComment(`Wirebench lab "${lab.name}": VM ${vmName}`))}</title>`,
    `  <memory unit='MiB'>${vm.memoryMiB}</memory>`,
    // Guest RAM from a memfd, as the app's `memory-backend-memfd` (shared/qemu-spec.ts says why).
    `  <memoryBacking>`,
    `    <source type='memfd'/>`,
    `    <access mode='shared'/>`,
    `  </memoryBacking>`,
    `  <vcpu>${vm.cpus}</vcpu>`,
    `  <os>`,
    ...os,
    `  </os>`,
    // The same right-sized TCG translation cache as the app's `-accel tcg,tb-size=` (libvirt ≥ 8.0).
    `  <features>`,
    `    <tcg>`,
    `      <tb-cache unit='MiB'>${TCG_CACHE_MIB[bootKindOf(vm.image)]}</tb-cache>`,
    `    </tcg>`,
    `  </features>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    ...controllers,
    ...disks,
    ...interfaces,
    `    <serial type='pty'>`,
    `      <target port='0'/>`,
    `    </serial>`,
    `    <console type='pty'>`,
    `      <target type='serial' port='0'/>`,
    `    </console>`,
    // The app's balloon: free page reporting only, beside the seed disk.
    `    <memballoon model='virtio' freePageReporting='on'>`,
    `      ${pciAddress(0, SEED_DISK_SLOT, BALLOON_FUNCTION)}`,
    `    </memballoon>`,
    `  </devices>`,
    `</domain>`,
    '',
  ].join('\n');
}

function defineScript(lab: LabDocument): string {
  const networks = lab.bridges.map((b) => `  ${shQuote(`${libvirtNetworkName(lab, b.name)} network-${b.name}.xml ${hostBridgeName(b.name)}`)}`);
  const domains = lab.vms.map((v) => `  ${shQuote(`${libvirtDomainName(lab, v.name)} domain-${v.name}.xml`)}`);
  const tiny = lab.vms.some((v) => v.image.kind === 'tiny');
  const first = lab.vms[0] ? libvirtDomainName(lab, lab.vms[0].name) : 'NAME';
  const seedBuild = seedImageCommand('"$tmp"', '"$SEED_DIR/seed-$vm.iso"').map((w) => (w.startsWith('"') ? w : shQuote(w)));
  return `#!/usr/bin/env bash
# Wirebench lab "${shComment(lab.name)}" for libvirt: defines one isolated network per bridge (and
# starts it) and one domain per VM. Run it again after re-exporting: definitions are updated.
# Each VM's cloud-init seed (hostname, addresses, routes, hosts, startup commands) is built
# into $SEED_DIR (default: seeds/ next to this script) with xorriso and attached read-only.
# Then:  virsh start ${first}  and  virsh console ${first}
# Needs libvirt-clients (virsh) and a libvirt daemon with QEMU (libvirt-daemon-system,
# qemu-system-x86). Tiny guests boot from \$WIREBENCH_GUEST_DIR (default ${ROOT_GUEST_DIR}).
set -euo pipefail
cd "$(dirname "\${BASH_SOURCE[0]}")"

DEFAULT_GUEST_DIR=${ROOT_GUEST_DIR}
GUEST_DIR=\${WIREBENCH_GUEST_DIR:-$DEFAULT_GUEST_DIR}
# libvirt network name, its file, the host bridge it creates
NETWORKS=(${networks.length ? `\n${networks.join('\n')}\n` : ''})
# libvirt domain name, its file
DOMAINS=(${domains.length ? `\n${domains.join('\n')}\n` : ''})
VMS=(${lab.vms.map((v) => shQuote(v.name)).join(' ')})
DEFAULT_SEED_DIR=${shQuote(libvirtSeedDir(lab))}
SEED_DIR=\${WIREBENCH_SEED_DIR:-$PWD/seeds}
NEEDS_TINY_GUEST=${tiny ? 1 : 0}

die() {
  printf 'define.sh: %s\\n' "$*" >&2
  exit 1
}

command -v virsh >/dev/null 2>&1 || die "virsh is missing; install the Debian package libvirt-clients"
virsh uri >/dev/null || die "cannot reach libvirt (virsh uri failed); install libvirt-daemon-system or set LIBVIRT_DEFAULT_URI"
if ((NEEDS_TINY_GUEST)); then
  [[ $GUEST_DIR == /* && $GUEST_DIR != *[[:space:],\\&\\<\\>\\'\\"]* ]] ||
    die "WIREBENCH_GUEST_DIR='$GUEST_DIR' must be an absolute path without spaces, commas or XML characters"
  [[ -r $GUEST_DIR/boot.img ]] || die "tiny guest file $GUEST_DIR/boot.img is missing; build it with Wirebench's setup or set WIREBENCH_GUEST_DIR"
fi

[[ $SEED_DIR == /* && $SEED_DIR != *[[:space:],\\&\\<\\>\\'\\"]* ]] ||
  die "the seed folder '$SEED_DIR' must be an absolute path without spaces, commas or XML characters"
if ((\${#VMS[@]})); then
  command -v xorriso >/dev/null 2>&1 || die "xorriso is missing (it builds the cloud-init seeds); install the Debian package xorriso"
  mkdir -p "$SEED_DIR"
  chmod 0755 "$SEED_DIR"
fi
for vm in "\${VMS[@]}"; do
  tmp=$(mktemp -d)
  for file in ${SEED_FILES.join(' ')}; do cp "seed-$vm.$file" "$tmp/$file"; done
  ${seedBuild.join(' ')}
  chmod 0644 "$SEED_DIR/seed-$vm.iso"
  rm -rf "$tmp"
done

active=$'\\n'$(virsh net-list --name)$'\\n'
for entry in "\${NETWORKS[@]}"; do
  read -r name file bridge <<<"$entry"
  virsh net-define "$file"
  if [[ $active != *$'\\n'"$name"$'\\n'* ]]; then
    # libvirt would fail with a less helpful message when the bridge name is taken.
    if command -v ip >/dev/null 2>&1 && ip link show dev "$bridge" >/dev/null 2>&1; then
      die "the host already has an interface $bridge, which network $name creates; remove it or rename the bridge in the lab"
    fi
    virsh net-start "$name"
  fi
done

# Tiny guests' boot disk paths are written for ${ROOT_GUEST_DIR}; point them at GUEST_DIR.
xml_file=$(mktemp)
trap 'rm -f "$xml_file"' EXIT
for entry in "\${DOMAINS[@]}"; do
  read -r _ file <<<"$entry"
  xml=$(<"$file")
  xml=\${xml//"$DEFAULT_GUEST_DIR/"/"$GUEST_DIR/"}
  printf '%s\\n' "\${xml//"$DEFAULT_SEED_DIR/"/"$SEED_DIR/"}" >"$xml_file"
  virsh define "$xml_file"
done
echo ${shQuote(lab.vms.length ? `define.sh: lab defined; start a VM with: virsh start ${first}` : 'define.sh: lab defined (it has no VMs)')}
`;
}

/**
 * The lab as libvirt XML and a define script. Refuses an invalid document with
 * `LabValidationError`, and a qcow2 disk with a relative path with an Error.
 */
export function exportLibvirt(input: LabDocumentInput): LibvirtExport {
  const result = validateLab(input);
  if (!result.ok) throw new LabValidationError(result.problems);
  const lab = result.lab;
  const files: Record<string, string> = {};
  for (const bridge of lab.bridges) files[`network-${bridge.name}.xml`] = networkXml(lab, bridge.name);
  for (const vm of lab.vms) {
    files[`domain-${vm.name}.xml`] = domainXml(lab, vm.name);
    const seed = renderSeed(lab, vm.name);
    for (const file of SEED_FILES) files[`seed-${vm.name}.${file}`] = seed[file];
  }
  files['define.sh'] = defineScript(lab);
  return { files };
}
