/**
 * The one renderer of a VM's configuration for its guest: a cloud-init NoCloud seed.
 *
 *   meta-data       instance-id (changes with the configuration, so cloud-init re-applies it), local-hostname
 *   network-config  version 2: ethernets matched by MAC, set-name eth<N>, addresses, mtu, routes
 *   user-data       #cloud-config: write_files for /etc/hosts and the per-boot startup script
 *
 * The startup script sits in cloud-init's per-boot folder (/var/lib/cloud/scripts/per-boot/),
 * so a cloud image runs it on every boot after the network is up, as the tiny guest's init does.
 * It turns forwarding on when asked, runs each startup command with its output on the serial
 * console, prints `WIREBENCH-STARTUP-FAILED vm=<vm> index=<i> exit=<code>` for a command that
 * fails and `WIREBENCH-STARTUP-DONE vm=<vm> commands=<n> failed=<k>` at the end.
 *
 * The YAML has one fixed, simple layout (two-space indents, every string double-quoted and
 * free of `"` and `\`, file contents as literal blocks) so the tiny guest's busybox init can
 * read it line by line (assets/guest/init) while real cloud-init reads it as YAML.
 * Pure: the engine writes these files and builds the image; so does the exported script.
 */
import type { LabDocument } from './lab.js';
import { namespaceName } from './host-names.js';
import { forwardingCommands, guestConfig, type GuestConfig } from './guest-config.js';

export interface CloudInitSeed {
  'meta-data': string;
  'user-data': string;
  'network-config': string;
}

/** File names in the order they go on the image. */
export const SEED_FILES = ['meta-data', 'user-data', 'network-config'] as const;
/** The volume label cloud-init's NoCloud looks for. */
export const SEED_LABEL = 'cidata';
/** Where the startup script goes: cloud-init runs this folder's scripts on every boot. */
export const STARTUP_SCRIPT_PATH = '/var/lib/cloud/scripts/per-boot/wirebench-startup.sh';

export const STARTUP_FAILED = 'WIREBENCH-STARTUP-FAILED';
export const STARTUP_DONE = 'WIREBENCH-STARTUP-DONE';

/** A startup marker line seen on a serial console, or null. */
export function parseStartupMarker(line: string): { kind: 'failed'; vm: string; index: number; exitCode: number } | { kind: 'done'; vm: string; commands: number; failed: number } | null {
  const failed = /WIREBENCH-STARTUP-FAILED vm=([a-z0-9-]+) index=(\d+) exit=(\d+)/.exec(line);
  if (failed) return { kind: 'failed', vm: failed[1]!, index: Number(failed[2]), exitCode: Number(failed[3]) };
  const done = /WIREBENCH-STARTUP-DONE vm=([a-z0-9-]+) commands=(\d+) failed=(\d+)/.exec(line);
  if (done) return { kind: 'done', vm: done[1]!, commands: Number(done[2]), failed: Number(done[3]) };
  return null;
}

/** A YAML double-quoted scalar; the values here never hold `"`, `\` or control characters (checked). */
function q(value: string): string {
  if (/["\\\0-\x1f\x7f]/.test(value)) throw new Error(`cloud-init seed: value ${JSON.stringify(value)} cannot be written in the seed's simple layout`);
  return `"${value}"`;
}

/** A POSIX shell single-quoted word. */
function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a content hash without node:crypto (shared/ stays pure). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function renderNetworkConfig(config: GuestConfig): string {
  const lines = ['network:', '  version: 2', '  ethernets:'];
  if (config.nics.length === 0) lines[2] = '  ethernets: {}';
  for (const nic of config.nics) {
    lines.push(`    ${nic.name}:`, '      match:', `        macaddress: ${q(nic.mac)}`, `      set-name: ${q(nic.name)}`);
    if (nic.addresses.length) {
      lines.push('      addresses:');
      for (const a of nic.addresses) lines.push(`        - ${q(a)}`);
    }
    if (nic.mtu !== undefined) lines.push(`      mtu: ${nic.mtu}`);
    if (nic.routes.length) {
      lines.push('      routes:');
      for (const r of nic.routes) lines.push(`        - to: ${q(r.to)}`, `          via: ${q(r.via)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The per-boot script: forwarding, then each startup command with its outcome on the console. */
export function renderStartupScript(config: GuestConfig): string {
  const vm = config.hostname;
  const lines = [
    '#!/bin/sh',
    `# Wirebench: forwarding and startup commands of VM ${vm}, run at every boot once the network is up.`,
    '# Output goes to the serial console; the engine reads the WIREBENCH-STARTUP-* lines.',
    ...(config.forwarding ? forwardingCommands(true).map((c) => `${c} >/dev/null`) : []),
    'failed=0',
    'wb_run() {',
    '  echo "wirebench-startup[$1]: $2" >/dev/console',
    '  sh -c "$2" </dev/null >/dev/console 2>&1',
    '  code=$?',
    '  if [ "$code" -ne 0 ]; then',
    `    echo "${STARTUP_FAILED} vm=${vm} index=$1 exit=$code" >/dev/console`,
    '    failed=$((failed + 1))',
    '  fi',
    '}',
    ...config.startup.map((command, i) => `wb_run ${i} ${shq(command)}`),
    `echo "${STARTUP_DONE} vm=${vm} commands=${config.startup.length} failed=$failed" >/dev/console`,
  ];
  return `${lines.join('\n')}\n`;
}

function literalBlock(text: string, indent: string): string[] {
  return text.replace(/\n$/, '').split('\n').map((line) => (line === '' ? '' : `${indent}${line}`));
}

export function renderUserData(config: GuestConfig): string {
  const lines = [
    '#cloud-config',
    // The lab's names are written below; cloud-init must not template /etc/hosts over them.
    'manage_etc_hosts: false',
    'write_files:',
    '  - path: /etc/hosts',
    '    permissions: "0644"',
    '    content: |',
    ...literalBlock(`${config.hosts.join('\n')}\n`, '      '),
    `  - path: ${STARTUP_SCRIPT_PATH}`,
    '    permissions: "0755"',
    '    content: |',
    ...literalBlock(renderStartupScript(config), '      '),
  ];
  return `${lines.join('\n')}\n`;
}

/** The seed of one guest configuration; `idPrefix` keeps instance ids apart across labs. */
export function seedFromConfig(config: GuestConfig, idPrefix: string): CloudInitSeed {
  const userData = renderUserData(config);
  const networkConfig = renderNetworkConfig(config);
  const metaData = [`instance-id: ${q(`${idPrefix}-${config.hostname}-${fnv1a(userData + networkConfig)}`)}`, `local-hostname: ${q(config.hostname)}`, ''].join('\n');
  return { 'meta-data': metaData, 'user-data': userData, 'network-config': networkConfig };
}

export function renderSeed(lab: LabDocument, vm: string): CloudInitSeed {
  return seedFromConfig(guestConfig(lab, vm), namespaceName(lab));
}

/**
 * The command that builds the seed image from a folder holding the three files (no mount, no
 * root): an ISO 9660 volume labelled `cidata` with Rock Ridge and Joliet names, which the tiny
 * guest's kernel (isofs) and every cloud image read. The engine and the exported script run it.
 */
export function seedImageCommand(folder: string, output: string): string[] {
  return ['xorriso', '-as', 'mkisofs', '-quiet', '-output', output, '-volid', SEED_LABEL, '-joliet', '-rock', ...SEED_FILES.map((f) => `${folder}/${f}`)];
}
