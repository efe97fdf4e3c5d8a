/**
 * Finding a NIC of a lab document the ways a caller names it (pure; no running system needed):
 *
 * - by its VM and bridge (`{vm, bridge}`: the pair is unique in a lab), or
 * - by its VM and guest name (`{vm, guestName}`): `eth<N>` is the VM's N-th bridge sorted by
 *   name (shared/host-names.ts `guestNicName`); `enp0s<N>` and `ens<N>` are accepted as the same
 *   N, as Provium's `vm:nic("eth0")` does (../shared/seeds/provium-nic-api.txt). That order is
 *   Wirebench's own rule; the guest kernel may probe devices in another order on other distros.
 * - by MAC (libvirt's look-up, ../shared/seeds/libvirt-interfaces.txt): a MAC is not a unique
 *   key (a document may give two NICs the same one), so that look-up returns a list.
 *
 * Unknown names fail with `WirebenchError('not-found')` whose message lists what exists, so
 * the caller (UI, CLI, script) can correct itself without reading the document.
 */
import { WirebenchError, type NicSelector } from '../../../shared/api.js';
import { nicMac } from '../../../shared/nic-mac.js';
import { vmBridgesSorted } from '../../../shared/host-names.js';
import type { LabDocument, Nic } from '../../../shared/lab.js';

/** `eth<N>`, `enp0s<N>`, `ens<N>` (N without leading zeros) → N; anything else → null. */
export function guestNameIndex(name: string): number | null {
  const match = /^(?:eth|enp0s|ens)(0|[1-9][0-9]{0,3})$/.exec(name);
  return match ? Number(match[1]) : null;
}

/** True when `name` reads as a guest NIC name (`eth0`, `enp0s1`, `ens2`, …). */
export function isGuestName(name: string): boolean {
  return guestNameIndex(name) !== null;
}

/** `eth0 (lan), eth1 (wan)`: a VM's NICs as a person would pick one. */
function describeNics(lab: LabDocument, vm: string): string {
  const bridges = vmBridgesSorted(lab.nics, vm);
  return bridges.length ? bridges.map((b, i) => `eth${i} (${b})`).join(', ') : 'none';
}

function unknownVm(lab: LabDocument, action: string, vm: string): WirebenchError {
  const names = lab.vms.map((v) => v.name);
  return new WirebenchError('not-found', `${action}: no VM named "${vm}" in lab "${lab.name}" (VMs: ${names.join(', ') || 'none'})`, 'check the VM name');
}

/**
 * The document's NIC named by `selector`. `action` prefixes error messages (`nic.capture`, …).
 * Throws `not-found` for an unknown VM, bridge or guest name, naming what exists.
 */
export function resolveNic(lab: LabDocument, selector: NicSelector, action: string): Nic {
  if (!lab.vms.some((v) => v.name === selector.vm)) throw unknownVm(lab, action, selector.vm);
  if ('bridge' in selector) {
    if (!lab.bridges.some((b) => b.name === selector.bridge)) {
      const names = lab.bridges.map((b) => b.name);
      throw new WirebenchError('not-found', `${action}: no bridge named "${selector.bridge}" in lab "${lab.name}" (bridges: ${names.join(', ') || 'none'}); VM "${selector.vm}" has: ${describeNics(lab, selector.vm)}`, 'check the bridge name');
    }
    const nic = lab.nics.find((n) => n.vm === selector.vm && n.bridge === selector.bridge);
    if (!nic) {
      throw new WirebenchError('not-found', `${action}: VM "${selector.vm}" has no NIC on bridge "${selector.bridge}" (its NICs: ${describeNics(lab, selector.vm)})`, 'connect the VM to the bridge first');
    }
    return nic;
  }
  const index = guestNameIndex(selector.guestName);
  if (index === null) {
    throw new WirebenchError(
      'not-found',
      `${action}: "${selector.guestName}" is not a guest NIC name; use eth<N>, enp0s<N> or ens<N> (VM "${selector.vm}" has: ${describeNics(lab, selector.vm)})`,
      'name the NIC by its guest name (eth0) or by its bridge',
    );
  }
  const bridge = vmBridgesSorted(lab.nics, selector.vm)[index];
  const nic = bridge === undefined ? undefined : lab.nics.find((n) => n.vm === selector.vm && n.bridge === bridge);
  if (!nic) {
    throw new WirebenchError('not-found', `${action}: VM "${selector.vm}" has no ${selector.guestName} (its NICs: ${describeNics(lab, selector.vm)})`, 'guest names count the VM\'s bridges sorted by name from eth0');
  }
  return nic;
}

/**
 * Every NIC whose MAC (given, or the default derived from lab, VM and bridge) is `mac`,
 * compared case-insensitively; in document order, possibly none.
 */
export function findNicsByMac(lab: LabDocument, mac: string): Nic[] {
  const wanted = mac.toLowerCase();
  return lab.nics.filter((nic) => nicMac(lab, nic) === wanted);
}

/**
 * How a command-line argument names a NIC of `vm`: a bridge the VM is on wins (a bridge may be
 * called `eth0`), then a guest name, else it is taken as a bridge (and fails as one, listing them).
 */
export function selectorFromName(lab: LabDocument, vm: string, name: string): NicSelector {
  if (lab.nics.some((n) => n.vm === vm && n.bridge === name)) return { vm, bridge: name };
  if (isGuestName(name)) return { vm, guestName: name };
  return { vm, bridge: name };
}
