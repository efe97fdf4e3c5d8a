/**
 * The lab document's guest-configuration fields (per NIC: IPv6, MTU; per VM: routes,
 * forwarding, hosts, startup) and every refusal, with its JSON path.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, validateLab, LAB_FORMAT, MAX_STARTUP_COMMANDS, type LabDocumentInput } from './lab.js';
import { MAX_NICS_PER_VM } from './qemu-spec.js';
import { formatIp, hasHostBits, inSubnet, parseCidr, parseIp } from './ip.js';

function routed(): LabDocumentInput {
  return JSON.parse(readFileSync('assets/labs/routed.lab.json', 'utf8')) as LabDocumentInput;
}

function base(vm: Record<string, unknown> = {}, nic: Record<string, unknown> = {}): LabDocumentInput {
  return {
    format: LAB_FORMAT,
    name: 't',
    bridges: [{ name: 'lan' }, { name: 'wan' }],
    vms: [{ name: 'a', ...vm }, { name: 'b' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24', ipv6: ['fd00::1/64'], ...nic },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
    ],
  } as LabDocumentInput;
}

function problems(doc: unknown): string[] {
  return validateLab(doc).problems.map(formatProblem);
}

describe('IP parsing', () => {
  it('reads IPv4 and IPv6 (compressed, embedded IPv4) and refuses what is not well formed', () => {
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(formatIp(parseIp('fd00:0:0::1')!)).toBe('fd00::1');
    expect(formatIp(parseIp('::ffff:10.0.0.1')!)).toBe('::ffff:a00:1');
    expect(parseIp('::')?.value).toBe(0n);
    for (const bad of ['10.0.0.256', '10.0.0', '010.0.0.1', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'fd00::1::2', 'g::1', '1:2:3:4:5:6:7::8:9']) expect(parseIp(bad), bad).toBeNull();
    expect(parseCidr('fd00::/129')).toBeNull();
    expect(hasHostBits(parseCidr('10.1.0.5/24')!)).toBe(true);
    expect(hasHostBits(parseCidr('fd02::/64')!)).toBe(false);
    expect(inSubnet(parseIp('fd00::ff')!, parseCidr('fd00::1/64')!)).toBe(true);
    expect(inSubnet(parseIp('10.0.1.1')!, parseCidr('10.0.0.1/24')!)).toBe(false);
  });
});

describe('guest configuration in the lab document', () => {
  it('accepts the bundled routed lab and the new fields', () => {
    expect(problems(routed())).toEqual([]);
    const doc = base({ forwarding: true, routes: [{ to: 'default', via: '10.0.0.2' }, { to: '10.9.0.0/16', via: '10.0.0.2' }, { to: 'default', via: 'fd00::2' }], hosts: [{ ip: '10.0.0.2', names: ['b.example', 'web'] }], startup: ['echo hi', 'httpd -h /www'] }, { mtu: 9000 });
    const result = validateLab(doc);
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(result.ok && result.lab.vms[0]).toMatchObject({ forwarding: true, startup: ['echo hi', 'httpd -h /www'] });
  });

  it('refuses malformed IPv6 addresses, CIDRs and gateways with their paths', () => {
    expect(problems(base({}, { ipv6: ['fd00::1'] }))).toEqual(['nics[0].ipv6[0]: not an IPv6 address with prefix; write e.g. "fd00:1::10/64"']);
    expect(problems(base({}, { ipv6: ['10.0.0.5/24'] }))).toEqual(['nics[0].ipv6[0]: not an IPv6 address with prefix; write e.g. "fd00:1::10/64"']);
    expect(problems(base({ routes: [{ to: '10.9.0/16', via: '10.0.0.2' }] }))).toEqual(['vms[0].routes[0].to: write "default" or a network with prefix, e.g. "10.2.0.0/24" or "fd00:2::/64"']);
    expect(problems(base({ routes: [{ to: '10.9.0.0/16', via: '10.0.0.300' }] }))).toEqual(['vms[0].routes[0].via: not an IPv4 or IPv6 address; write e.g. "10.0.0.254" or "fd00:1::1"']);
    expect(problems(base({ routes: [{ to: '10.9.1.0/16', via: '10.0.0.2' }] }))).toEqual(['vms[0].routes[0].to: "10.9.1.0/16" has host bits set; the network is 10.9.0.0/16']);
    expect(problems(base({ routes: [{ to: 'fd09::/64', via: '10.0.0.2' }] }))).toEqual(['vms[0].routes[0].via: gateway 10.0.0.2 is IPv4 but the destination fd09::/64 is IPv6']);
  });

  it('refuses a gateway that is not on one of the VM\'s own subnets, or is its own address', () => {
    expect(problems(base({ routes: [{ to: 'default', via: '10.0.1.1' }] }))).toEqual([
      'vms[0].routes[0].via: gateway 10.0.1.1 is not on any subnet of VM "a" (its IPv4 subnets: 10.0.0.0/24); give a NIC an address on the gateway\'s subnet or pick a gateway there',
    ]);
    expect(problems(base({ routes: [{ to: 'default', via: 'fd01::1' }] }))[0]).toContain('its IPv6 subnets: fd00::/64');
    expect(problems(base({ routes: [{ to: 'default', via: '10.0.0.1' }] }))).toEqual(['vms[0].routes[0].via: gateway 10.0.0.1 is VM "a"\'s own address; route via a neighbour']);
    const noV6 = base({ routes: [{ to: 'default', via: 'fd00::2' }] }, { ipv6: undefined });
    expect(problems(noV6)[0]).toContain('(it has no IPv6 address)');
    expect(problems(base({ routes: [{ to: 'default', via: '10.0.0.2' }, { to: '0.0.0.0/0', via: '10.0.0.2' }] }))).toEqual([]);
    expect(problems(base({ routes: [{ to: 'default', via: '10.0.0.2' }, { to: 'default', via: '10.0.0.3' }] }))).toEqual([
      'vms[0].routes[1].to: VM "a" already has a route to the IPv4 default (routes[0]); one route per destination',
    ]);
  });

  it('refuses the same address twice in one guest', () => {
    const doc = base({}, {});
    (doc.nics as Array<Record<string, unknown>>).push({ vm: 'a', bridge: 'wan', ip: '10.0.0.1/16' });
    expect(problems(doc)).toEqual(['nics[2].ip: address 10.0.0.1 is also given to VM "a" at nics[0].ip; a guest cannot hold one address twice']);
  });

  it('bounds the MTU and warns when the NICs of one bridge disagree', () => {
    expect(problems(base({}, { mtu: 67 }))).toEqual(['nics[0].mtu: must be 68–9000']);
    expect(problems(base({}, { mtu: 9001 }))).toEqual(['nics[0].mtu: must be 68–9000']);
    expect(problems(base({}, { mtu: 1500.5 }))[0]).toMatch(/^nics\[0\]\.mtu: /);
    const result = validateLab(base({}, { mtu: 9000 }));
    expect(result.ok).toBe(true);
    expect(result.problems.map(formatProblem)).toEqual(['warning: nics[0].mtu: MTU 9000 differs from other NICs on bridge "lan" (smallest 1500); frames larger than 1500 will be dropped on this link']);
  });

  it('bounds startup commands in length and count, one line each', () => {
    expect(problems(base({ startup: ['x'.repeat(1001)] }))).toEqual(['vms[0].startup[0]: longer than 1000 characters; put long scripts in a file on a disk image']);
    expect(problems(base({ startup: ['echo a\necho b'] }))).toEqual(['vms[0].startup[0]: must be one line without control characters (tabs, line breaks); give each command its own entry']);
    expect(problems(base({ startup: ['  '] }))).toEqual(['vms[0].startup[0]: blank command; remove it or write one']);
    expect(problems(base({ startup: Array.from({ length: MAX_STARTUP_COMMANDS + 1 }, () => 'true') }))).toEqual([`vms[0].startup: at most ${MAX_STARTUP_COMMANDS} commands; put the rest in a script`]);
    expect(problems(base({ forwarding: 'yes' }))[0]).toMatch(/^vms\[0\]\.forwarding: /);
  });

  it('checks extra hosts', () => {
    expect(problems(base({ hosts: [{ ip: '10.0.0.9', names: ['bad name'] }] }))).toEqual(['vms[0].hosts[0].names[0]: not a host name; use letters, digits, inner hyphens and dots (e.g. "www.example")']);
    expect(problems(base({ hosts: [{ ip: 'nowhere', names: ['x'] }] }))).toEqual(['vms[0].hosts[0].ip: not an IPv4 or IPv6 address; write e.g. "10.0.0.254" or "fd00:1::1"']);
    expect(problems(base({ hosts: [{ ip: '10.0.0.9', names: [] }] }))).toEqual(['vms[0].hosts[0].names: give at least one name']);
  });

  it(`accepts ${MAX_NICS_PER_VM} NICs on one VM (what boots) and refuses one more, at its path`, () => {
    const many = (count: number): LabDocumentInput => {
      const bridges = Array.from({ length: count }, (_, i) => ({ name: `n${i}` }));
      return { format: LAB_FORMAT, name: 'many', bridges, vms: [{ name: 'v' }], nics: bridges.map((b, i) => ({ vm: 'v', bridge: b.name, ip: `10.${i}.0.1/24` })) };
    };
    expect(MAX_NICS_PER_VM).toBeGreaterThanOrEqual(32);
    expect(problems(many(MAX_NICS_PER_VM))).toEqual([]);
    expect(problems(many(MAX_NICS_PER_VM + 1))).toEqual([
      `nics[${MAX_NICS_PER_VM}]: VM "v" has ${MAX_NICS_PER_VM + 1} NICs; a VM boots with at most ${MAX_NICS_PER_VM} (PCI slots of QEMU's pc machine and one PCI bridge); remove 1`,
    ]);
  });
});
