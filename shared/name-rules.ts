/**
 * Rules for the names people give VMs and bridges. They are checked here, once, because each
 * name ends up somewhere strict: VM names become guest hostnames and `/etc/hosts` entries
 * (`a.lan`), bridge names become DNS domains and part of Linux interface names (≤ 15 bytes).
 */

/** A DNS label in lower case: letters, digits and inner hyphens. */
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Longest VM name: a hostname label, kept short enough to read on a canvas node. */
export const MAX_VM_NAME = 32;
/** Longest bridge name: `br-` + name must still fit Linux's 15-byte interface names. */
export const MAX_BRIDGE_NAME = 12;

/** Returns why `name` cannot be a VM or bridge name, or null when it is fine. */
export function nameProblem(kind: 'vm' | 'bridge', name: string): string | null {
  const max = kind === 'vm' ? MAX_VM_NAME : MAX_BRIDGE_NAME;
  if (name.length === 0) return `${kind} name is empty; use lower-case letters, digits and hyphens`;
  if (name.length > max) {
    const why = kind === 'bridge' ? ' (it becomes part of a Linux interface name)' : '';
    return `"${name}" is ${name.length} characters; ${kind} names fit in ${max}${why}. Use a shorter name`;
  }
  if (!LABEL.test(name)) {
    return `"${name}" cannot become an interface or host name; use lower-case letters, digits and inner hyphens (e.g. "lan-1")`;
  }
  return null;
}

/** True for a name the helper may pass to `ip`: Linux's rules (≤ 15 bytes, no '/', ':', space) plus our stricter set. */
export function isValidInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(name) && name !== '.' && name !== '..';
}
