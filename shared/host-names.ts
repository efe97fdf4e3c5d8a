/**
 * Deterministic host-side names for a lab's runtime objects, and the guest-side NIC names.
 * Pure functions of the lab document, so the app, the exported script and the inspector
 * always agree (a lab started by the script can be adopted by the app).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** SHA-256 in plain JavaScript (the same digest as node:crypto), so every process can name. */
function hexHash(text: string, length: number): string {
  return bytesToHex(sha256(utf8ToBytes(text))).slice(0, length);
}

/** The lab id: the document's own `id` when present, else a hash of its name. */
export function labId(lab: { id?: string | undefined; name: string }): string {
  return (lab.id ?? hexHash(`wirebench-lab\0${lab.name}`, 16)).toLowerCase();
}

/** Network namespace of a lab: `wb-` + 8 hex digits of its id. */
export function namespaceName(lab: { id?: string | undefined; name: string }): string {
  return `wb-${labId(lab).replace(/[^0-9a-f]/g, '').padEnd(8, '0').slice(0, 8)}`;
}

/** Host bridge inside the lab namespace: `br-<name>` (bridge names are at most 12 chars). */
export function hostBridgeName(bridge: string): string {
  return `br-${bridge}`;
}

/**
 * Host TAP of the NIC joining `vm` to `bridge`: `<vm>.<bridge>` when it fits in 15 bytes
 * (readable in `ip link`), otherwise `t-` + a hash. The dot cannot occur in either name, so
 * two different pairs never produce the same readable name.
 */
export function tapName(vm: string, bridge: string): string {
  const readable = `${vm}.${bridge}`;
  return readable.length <= 15 ? readable : `t-${hexHash(`${vm}\0${bridge}`, 13)}`;
}

/** QEMU netdev id of the NIC on `bridge` (also the `set_link` name). */
export function netdevId(bridge: string): string {
  return `net-${bridge}`;
}

/** QEMU device id of the virtio-net device on `bridge` (for `device_del`). */
export function nicDeviceId(bridge: string): string {
  return `nic-${bridge}`;
}

/** Bridges of one VM, sorted by name: position N is the guest's `eth<N>`. */
export function vmBridgesSorted(nics: ReadonlyArray<{ vm: string; bridge: string }>, vm: string): string[] {
  return nics.filter((n) => n.vm === vm).map((n) => n.bridge).sort();
}

/** Guest name (`eth<N>`) of the NIC joining `vm` to `bridge`, or null when no such NIC. */
export function guestNicName(nics: ReadonlyArray<{ vm: string; bridge: string }>, vm: string, bridge: string): string | null {
  const index = vmBridgesSorted(nics, vm).indexOf(bridge);
  return index < 0 ? null : `eth${index}`;
}

/**
 * MAC used when the document gives none: QEMU's locally administered 52:54:00 prefix plus
 * three bytes hashed from lab id, VM and bridge, so it is stable across runs and exports.
 */
export function defaultMac(lab: { id?: string | undefined; name: string }, vm: string, bridge: string): string {
  const h = hexHash(`${labId(lab)}\0${vm}\0${bridge}`, 6);
  return `52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}
