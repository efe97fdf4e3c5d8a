import { describe, expect, it } from 'vitest';
import { LAB_FORMAT, validateLab, type LabDocument } from '../../shared/lab.js';
import { createLabStore } from '../store/lab-store.js';
import { hostsText, nicFieldProblemIn, parseHosts, parseRoutes, routesText, vmFieldProblem } from './guest-fields.js';

function lab(): LabDocument {
  const parsed = validateLab({
    format: LAB_FORMAT,
    name: 't',
    bridges: [{ name: 'lan' }],
    vms: [{ name: 'a' }, { name: 'b' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
    ],
  });
  if (!parsed.ok) throw new Error('fixture is invalid');
  return parsed.lab;
}

describe('inspector guest fields', () => {
  it('reads and writes routes and hosts as lines', () => {
    expect(parseRoutes('default via 10.0.0.2\n\n 10.9.0.0/16 via 10.0.0.2 ')).toEqual({ routes: [{ to: 'default', via: '10.0.0.2' }, { to: '10.9.0.0/16', via: '10.0.0.2' }] });
    expect(parseRoutes('default 10.0.0.2')).toEqual({ problem: expect.stringMatching(/^line 1: write "DESTINATION via GATEWAY"/) });
    expect(routesText([{ to: 'default', via: '10.0.0.2' }])).toBe('default via 10.0.0.2');
    expect(parseHosts('10.0.0.9 www.lab web')).toEqual({ hosts: [{ ip: '10.0.0.9', names: ['www.lab', 'web'] }] });
    expect(hostsText([{ ip: '10.0.0.9', names: ['www.lab', 'web'] }])).toBe('10.0.0.9 www.lab web');
  });

  it('shows the validator\'s problem with its line, as validate would report it', () => {
    const doc = lab();
    expect(vmFieldProblem(doc, 'a', 'routes', { routes: [{ to: 'default', via: '10.0.0.2' }, { to: '10.9.0.0/16', via: '10.5.0.1' }] })).toBe(
      'line 2 (via): gateway 10.5.0.1 is not on any subnet of VM "a" (its IPv4 subnets: 10.0.0.0/24); give a NIC an address on the gateway\'s subnet or pick a gateway there',
    );
    expect(vmFieldProblem(doc, 'a', 'startup', { startup: ['x'.repeat(1001)] })).toMatch(/^line 1: longer than 1000 characters/);
    expect(vmFieldProblem(doc, 'a', 'routes', { routes: [{ to: 'default', via: '10.0.0.2' }] })).toBeNull();
    expect(nicFieldProblemIn(doc, doc.nics[0]!, 'ipv6', { ipv6: ['fd00::1'] })).toBe('line 1: not an IPv6 address with prefix; write e.g. "fd00:1::10/64"');
    expect(nicFieldProblemIn(doc, doc.nics[0]!, 'mtu', { mtu: 9000 })).toBeNull();
  });

  it('undo covers routes, forwarding, startup, IPv6 and MTU edits', () => {
    const store = createLabStore();
    store.getState().load({ path: null, document: lab() });
    const s = store.getState;
    s().apply({ kind: 'vm.update', name: 'a', patch: { routes: [{ to: 'default', via: '10.0.0.2' }], forwarding: true } });
    s().apply({ kind: 'vm.update', name: 'a', patch: { startup: ['httpd -h /www'] } });
    s().apply({ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { ipv6: ['fd00::1/64'], mtu: 1400 } });
    expect(s().document!.vms[0]).toMatchObject({ routes: [{ to: 'default', via: '10.0.0.2' }], forwarding: true, startup: ['httpd -h /www'] });
    expect(s().document!.nics[0]).toMatchObject({ ipv6: ['fd00::1/64'], mtu: 1400 });
    s().undo();
    expect(s().document!.nics[0]!.mtu).toBeUndefined();
    s().undo();
    s().undo();
    expect(s().document!.vms[0]!.routes).toBeUndefined();
    expect(s().document!.vms[0]!.forwarding).toBeUndefined();
    expect(s().dirty).toBe(false);
    s().redo();
    expect(s().document!.vms[0]!.forwarding).toBe(true);
  });
});
