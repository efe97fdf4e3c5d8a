/**
 * One VM's configuration as its guest sees it: hostname, NICs (guest name, MAC, addresses,
 * MTU, the routes whose gateway each reaches), forwarding, `/etc/hosts` lines and startup
 * commands. Pure. The cloud-init seed (cloud-init-seed.ts) is rendered from it, and live
 * edits of a running VM are the shell commands that turn one of these into the next.
 */
import type { LabDocument } from './lab.js';
import { guestNicName, vmBridgesSorted } from './host-names.js';
import { nicMac } from './nic-mac.js';
import { inSubnet, parseCidr, parseIp, type ParsedCidr } from './ip.js';

export interface GuestRoute {
  /** `0.0.0.0/0` or `::/0` for a default route (what every cloud-init version reads), else the CIDR as written. */
  to: string;
  via: string;
}

export interface GuestNic {
  /** `eth<N>` (shared/host-names.ts). */
  name: string;
  mac: string;
  /** IPv4 first, then IPv6, each `address/prefix`. */
  addresses: string[];
  mtu: number | undefined;
  routes: GuestRoute[];
}

export interface GuestConfig {
  hostname: string;
  nics: GuestNic[];
  forwarding: boolean;
  /** `/etc/hosts` lines: localhost, the lab's names, the VM's extra hosts, its own name. */
  hosts: string[];
  startup: string[];
}

/** `/etc/hosts` names of the lab: `<vm>.<bridge>` for every NIC with an IPv4 address, plus `<vm>` for its first one. */
export function labHostsLines(lab: LabDocument): string[] {
  const lines: string[] = [];
  const named = new Set<string>();
  const sorted = [...lab.nics].sort((a, b) => (a.vm === b.vm ? a.bridge.localeCompare(b.bridge) : a.vm.localeCompare(b.vm)));
  for (const nic of sorted) {
    if (!nic.ip) continue;
    const names = [`${nic.vm}.${nic.bridge}`];
    if (!named.has(nic.vm)) {
      names.push(nic.vm);
      named.add(nic.vm);
    }
    lines.push(`${nic.ip.split('/')[0]} ${names.join(' ')}`);
  }
  return lines;
}

export function defaultRouteTarget(via: string): string {
  return parseIp(via)?.family === 6 ? '::/0' : '0.0.0.0/0';
}

export function guestConfig(lab: LabDocument, vmName: string): GuestConfig {
  const vm = lab.vms.find((v) => v.name === vmName);
  if (!vm) throw new Error(`guest-config: lab "${lab.name}" has no VM named "${vmName}"`);
  const nicsByBridge = new Map(lab.nics.filter((n) => n.vm === vmName).map((n) => [n.bridge, n]));
  const subnets: Array<{ nic: number; cidr: ParsedCidr }> = [];
  const nics: GuestNic[] = vmBridgesSorted(lab.nics, vmName).map((bridge, i) => {
    const nic = nicsByBridge.get(bridge)!;
    const addresses = [...(nic.ip ? [nic.ip] : []), ...(nic.ipv6 ?? [])];
    for (const a of addresses) {
      const cidr = parseCidr(a);
      if (cidr) subnets.push({ nic: i, cidr });
    }
    return { name: guestNicName(lab.nics, vmName, bridge)!, mac: nicMac(lab, nic), addresses, mtu: nic.mtu, routes: [] };
  });
  // Each route goes to the NIC whose subnet holds its gateway (the validator insists one does).
  for (const route of vm.routes ?? []) {
    const via = parseIp(route.via);
    const owner = via ? subnets.find((s) => inSubnet(via, s.cidr)) : undefined;
    if (!owner) continue;
    nics[owner.nic]!.routes.push({ to: route.to === 'default' ? defaultRouteTarget(route.via) : route.to, via: route.via });
  }
  const hosts = [
    '127.0.0.1 localhost',
    '::1 localhost ip6-localhost ip6-loopback',
    ...labHostsLines(lab),
    ...(vm.hosts ?? []).map((h) => `${h.ip} ${h.names.join(' ')}`),
    // Last: the first match wins, so the VM's lab address (above) is what its name resolves to.
    `127.0.1.1 ${vmName}`,
  ];
  return { hostname: vmName, nics, forwarding: vm.forwarding ?? false, hosts, startup: vm.startup ?? [] };
}

/** `ip route` arguments of one route on its NIC (`ip -6` for IPv6). */
function routeCommand(verb: 'replace' | 'del', nic: string, route: GuestRoute): string {
  const six = route.to.includes(':') || route.via.includes(':') ? ' -6' : '';
  return `ip${six} route ${verb} ${route.to} via ${route.via} dev ${nic}`;
}

export function forwardingCommands(on: boolean): string[] {
  const v = on ? 1 : 0;
  return [`sysctl -w net.ipv4.ip_forward=${v}`, `sysctl -w net.ipv6.conf.all.forwarding=${v}`];
}

/**
 * What changes live between two configurations of one running guest: the shell commands that
 * apply MTU, forwarding and route edits (run over the automation channel), and, in words, what
 * only a restart applies. NICs are matched by guest name; NICs added or removed are the
 * runtime's business (hot-plug) and are not compared here.
 */
export function liveGuestChange(before: GuestConfig, after: GuestConfig): { commands: string[]; restartNeeded: string[] } {
  const commands: string[] = [];
  const restartNeeded: string[] = [];
  const beforeNics = new Map(before.nics.map((n) => [n.name, n]));
  for (const nic of after.nics) {
    const old = beforeNics.get(nic.name);
    if (!old) continue;
    if (old.addresses.join(' ') !== nic.addresses.join(' ')) restartNeeded.push(`${nic.name}: addresses changed`);
    if (old.mtu !== nic.mtu) commands.push(`ip link set dev ${nic.name} mtu ${nic.mtu ?? 1500}`);
  }
  if (before.forwarding !== after.forwarding) commands.push(...forwardingCommands(after.forwarding));
  const key = (nic: string, r: GuestRoute) => `${nic} ${r.to} ${r.via}`;
  const oldRoutes = new Map(before.nics.flatMap((n) => n.routes.map((r) => [key(n.name, r), { nic: n.name, r }] as const)));
  const newRoutes = new Map(after.nics.flatMap((n) => n.routes.map((r) => [key(n.name, r), { nic: n.name, r }] as const)));
  for (const [k, { nic, r }] of oldRoutes) if (!newRoutes.has(k)) commands.push(`${routeCommand('del', nic, r)} || true`);
  for (const [k, { nic, r }] of newRoutes) if (!oldRoutes.has(k)) commands.push(routeCommand('replace', nic, r));
  if (before.hosts.join('\n') !== after.hosts.join('\n')) {
    // Rewritten in one command when it fits the automation channel's line; else at the next boot.
    const write = `printf '%s\\n' ${after.hosts.map(shq).join(' ')} >/etc/hosts`;
    if (write.length <= MAX_LIVE_COMMAND) commands.push(write);
    else restartNeeded.push('/etc/hosts changed (too long to rewrite live)');
  }
  if (before.startup.join('\n') !== after.startup.join('\n')) restartNeeded.push('startup commands changed');
  return { commands, restartNeeded };
}

/** Longest live command: the automation channel takes lines of up to 4,000 bytes, all commands joined. */
const MAX_LIVE_COMMAND = 2000;

function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
