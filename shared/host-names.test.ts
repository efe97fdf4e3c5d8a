import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultMac, guestNicName, hostBridgeName, namespaceName, tapName } from './host-names.js';
import { isValidInterfaceName, MAX_BRIDGE_NAME, MAX_VM_NAME } from './name-rules.js';

describe('host names', () => {
  it('derives the namespace from the lab id, or from the name when there is none', () => {
    expect(namespaceName({ id: 'de3a0c1e5b7f4a21', name: 'demo' })).toBe('wb-de3a0c1e');
    const fromName = namespaceName({ name: 'demo' });
    expect(fromName).toMatch(/^wb-[0-9a-f]{8}$/);
    expect(namespaceName({ name: 'demo' })).toBe(fromName);
    expect(namespaceName({ name: 'other' })).not.toBe(fromName);
  });

  it('keeps every host name a valid Linux interface name, even for the longest names', () => {
    const vm = 'v'.repeat(MAX_VM_NAME);
    const bridge = 'b'.repeat(MAX_BRIDGE_NAME);
    for (const name of [hostBridgeName(bridge), tapName(vm, bridge), tapName('a', 'lan'), namespaceName({ name: 'x' })]) {
      expect(isValidInterfaceName(name), name).toBe(true);
    }
    expect(tapName('a', 'lan')).toBe('a.lan');
    expect(tapName(vm, bridge)).toMatch(/^t-[0-9a-f]{13}$/);
  });

  it('gives distinct TAPs for pairs whose readable names would collide without the dot', () => {
    expect(tapName('a-b', 'c')).not.toBe(tapName('a', 'b-c'));
    expect(tapName('x'.repeat(20), 'lan')).not.toBe(tapName('x'.repeat(20), 'wan'));
  });

  it('numbers guest NICs by the sorted bridge names of that VM', () => {
    const nics = [
      { vm: 'r', bridge: 'wan' },
      { vm: 'r', bridge: 'lan' },
      { vm: 'a', bridge: 'wan' },
    ];
    expect(guestNicName(nics, 'r', 'lan')).toBe('eth0');
    expect(guestNicName(nics, 'r', 'wan')).toBe('eth1');
    expect(guestNicName(nics, 'a', 'wan')).toBe('eth0');
    expect(guestNicName(nics, 'a', 'lan')).toBeNull();
  });

  it('derives stable, unicast, locally administered MACs', () => {
    const lab = { id: 'de3a0c1e5b7f4a21', name: 'demo' };
    const mac = defaultMac(lab, 'a', 'lan');
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(defaultMac(lab, 'a', 'lan')).toBe(mac);
    expect(defaultMac(lab, 'b', 'lan')).not.toBe(mac);
  });

  it('hashes exactly like node:crypto SHA-256, so renderer, engine and exported script agree', () => {
    const hex = (text: string) => createHash('sha256').update(text).digest('hex');
    for (const name of ['demo', 'ünïcode lab', '']) {
      expect(namespaceName({ name })).toBe(`wb-${hex(`wirebench-lab\u0000${name}`).slice(0, 8)}`);
    }
    const vm = 'v'.repeat(MAX_VM_NAME);
    const bridge = 'b'.repeat(MAX_BRIDGE_NAME);
    expect(tapName(vm, bridge)).toBe(`t-${hex(`${vm}\u0000${bridge}`).slice(0, 13)}`);
    const h = hex('de3a0c1e5b7f4a21\u0000a\u0000lan');
    expect(defaultMac({ id: 'de3a0c1e5b7f4a21', name: 'demo' }, 'a', 'lan')).toBe(`52:54:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`);
  });
});
