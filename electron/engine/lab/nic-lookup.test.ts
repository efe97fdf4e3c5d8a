import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WirebenchError } from '../../../shared/api.js';
import { nicMac } from '../../../shared/nic-mac.js';
import { guestNicName } from '../../../shared/host-names.js';
import { LAB_FORMAT, serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';
import { Engine } from '../engine.js';
import { findNicsByMac, guestNameIndex, resolveNic, selectorFromName } from './nic-lookup.js';

function lab(): LabDocument {
  const result = validateLab({
    format: LAB_FORMAT,
    id: '0123456789abcdef',
    name: 'lookup',
    // Bridges listed out of order: guest names follow the sorted order, not the document's.
    bridges: [{ name: 'wan' }, { name: 'lan' }, { name: 'dmz' }, { name: 'eth1' }],
    vms: [{ name: 'r' }, { name: 'a' }, { name: 'lonely' }],
    nics: [
      { vm: 'r', bridge: 'wan' },
      { vm: 'r', bridge: 'lan', mac: '52:54:00:AA:BB:CC' },
      { vm: 'r', bridge: 'dmz' },
      { vm: 'a', bridge: 'lan', mac: '52:54:00:aa:bb:cc' },
      { vm: 'a', bridge: 'eth1' },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

function failure(fn: () => unknown): WirebenchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WirebenchError);
    return err as WirebenchError;
  }
  throw new Error('expected a failure');
}

describe('guest NIC names', () => {
  it('reads eth<N>, enp0s<N> and ens<N> as the same N', () => {
    expect(guestNameIndex('eth0')).toBe(0);
    expect(guestNameIndex('enp0s0')).toBe(0);
    expect(guestNameIndex('ens0')).toBe(0);
    expect(guestNameIndex('eth12')).toBe(12);
    expect(guestNameIndex('enp0s3')).toBe(3);
    expect(guestNameIndex('ens2')).toBe(2);
  });
  it('refuses anything else', () => {
    for (const name of ['eth', 'eth01', 'eth-1', 'Eth0', 'enp1s0', 'ens', 'wlan0', 'lan', 'eth0 ', 'eth99999']) expect(guestNameIndex(name), name).toBeNull();
  });
});

describe('resolveNic', () => {
  const doc = lab();

  it('finds a NIC by VM and bridge', () => {
    expect(resolveNic(doc, { vm: 'r', bridge: 'wan' }, 'nic.info')).toMatchObject({ vm: 'r', bridge: 'wan' });
    expect(resolveNic(doc, { vm: 'a', bridge: 'lan' }, 'nic.info')).toMatchObject({ vm: 'a', bridge: 'lan', mac: '52:54:00:aa:bb:cc' });
  });

  it('finds the N-th bridge sorted by name for every guest-name alias', () => {
    // r's bridges sorted: dmz, lan, wan.
    const expected = ['dmz', 'lan', 'wan'];
    expected.forEach((bridge, n) => {
      for (const name of [`eth${n}`, `enp0s${n}`, `ens${n}`]) {
        expect(resolveNic(doc, { vm: 'r', guestName: name }, 'nic.info').bridge, name).toBe(bridge);
      }
      // The same rule as the inspector and the guest's kernel command line.
      expect(guestNicName(doc.nics, 'r', bridge)).toBe(`eth${n}`);
    });
    // a's bridges sorted: eth1, lan (a bridge may be called like a guest NIC).
    expect(resolveNic(doc, { vm: 'a', guestName: 'eth0' }, 'nic.info').bridge).toBe('eth1');
    expect(resolveNic(doc, { vm: 'a', guestName: 'ens1' }, 'nic.info').bridge).toBe('lan');
  });

  it('names the VMs that exist for an unknown VM', () => {
    const err = failure(() => resolveNic(doc, { vm: 'zz', bridge: 'lan' }, 'nic.capture'));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('nic.capture: no VM named "zz" in lab "lookup" (VMs: r, a, lonely)');
    expect(err.hint).toBeTruthy();
    expect(failure(() => resolveNic(doc, { vm: 'zz', guestName: 'eth0' }, 'nic.info')).message).toContain('(VMs: r, a, lonely)');
  });

  it('names the bridges and the VM\'s NICs for an unknown bridge', () => {
    const err = failure(() => resolveNic(doc, { vm: 'r', bridge: 'core' }, 'nic.info'));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('nic.info: no bridge named "core" in lab "lookup" (bridges: wan, lan, dmz, eth1); VM "r" has: eth0 (dmz), eth1 (lan), eth2 (wan)');
  });

  it('says which NICs a VM has when it is not on the bridge', () => {
    const err = failure(() => resolveNic(doc, { vm: 'a', bridge: 'wan' }, 'nic.disconnect'));
    expect(err.code).toBe('not-found');
    expect(err.message).toBe('nic.disconnect: VM "a" has no NIC on bridge "wan" (its NICs: eth0 (eth1), eth1 (lan))');
    expect(failure(() => resolveNic(doc, { vm: 'lonely', bridge: 'lan' }, 'nic.info')).message).toContain('(its NICs: none)');
  });

  it('refuses guest names out of range or not guest names at all, listing the VM\'s NICs', () => {
    const out = failure(() => resolveNic(doc, { vm: 'r', guestName: 'eth3' }, 'nic.info'));
    expect(out.code).toBe('not-found');
    expect(out.message).toBe('nic.info: VM "r" has no eth3 (its NICs: eth0 (dmz), eth1 (lan), eth2 (wan))');
    expect(failure(() => resolveNic(doc, { vm: 'r', guestName: 'enp0s7' }, 'nic.info')).message).toContain('has no enp0s7');
    expect(failure(() => resolveNic(doc, { vm: 'lonely', guestName: 'eth0' }, 'nic.info')).message).toContain('(its NICs: none)');
    const bad = failure(() => resolveNic(doc, { vm: 'r', guestName: 'wlan0' }, 'nic.info'));
    expect(bad.code).toBe('not-found');
    expect(bad.message).toContain('"wlan0" is not a guest NIC name; use eth<N>, enp0s<N> or ens<N>');
  });
});

describe('findNicsByMac', () => {
  const doc = lab();

  it('returns every NIC with that MAC, case-insensitively (a MAC is not a unique key)', () => {
    const both = findNicsByMac(doc, '52:54:00:aa:bb:cc');
    expect(both.map((n) => `${n.vm}/${n.bridge}`)).toEqual(['r/lan', 'a/lan']);
    expect(findNicsByMac(doc, '52:54:00:AA:bb:Cc')).toEqual(both);
  });

  it('finds NICs by their derived default MAC', () => {
    const nic = doc.nics.find((n) => n.vm === 'r' && n.bridge === 'wan')!;
    const mac = nicMac(doc, nic);
    expect(mac).toMatch(/^52:54:00:/);
    expect(findNicsByMac(doc, mac.toUpperCase())).toEqual([nic]);
  });

  it('returns an empty list when no NIC has it', () => {
    expect(findNicsByMac(doc, '02:00:00:00:00:01')).toEqual([]);
  });
});

describe('selectorFromName (command-line NIC arguments)', () => {
  const doc = lab();
  it('prefers a bridge the VM is on, then a guest name, else a bridge', () => {
    expect(selectorFromName(doc, 'r', 'lan')).toEqual({ vm: 'r', bridge: 'lan' });
    expect(selectorFromName(doc, 'r', 'eth1')).toEqual({ vm: 'r', guestName: 'eth1' });
    expect(selectorFromName(doc, 'a', 'eth1')).toEqual({ vm: 'a', bridge: 'eth1' });
    expect(selectorFromName(doc, 'r', 'enp0s2')).toEqual({ vm: 'r', guestName: 'enp0s2' });
    expect(selectorFromName(doc, 'r', 'nope')).toEqual({ vm: 'r', bridge: 'nope' });
  });
});

describe('the engine\'s NIC commands take selectors', () => {
  it('nic.info by bridge or any guest-name alias, nic.findByMac with every match, not-found listing names', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wb-nic-')), 'lookup.lab.json');
    // A lab id no namespace has: the engine adopts nothing and needs no helper.
    writeFileSync(path, serializeLab({ ...lab(), id: 'fedcba9876543210' }));
    const engine = new Engine({ controlSocket: false });
    try {
      await engine.invoke('lab.open', { path });
      const byBridge = await engine.invoke('nic.info', { vm: 'r', bridge: 'wan' });
      expect(byBridge).toMatchObject({ vm: 'r', bridge: 'wan', guestName: 'eth2', link: 'up' });
      for (const guestName of ['eth2', 'enp0s2', 'ens2']) expect(await engine.invoke('nic.info', { vm: 'r', guestName })).toEqual(byBridge);
      expect((await engine.invoke('nic.findByMac', { mac: '52:54:00:AA:BB:CC' })).nics.map((n) => `${n.vm}/${n.bridge}/${n.guestName}`)).toEqual(['r/lan/eth1', 'a/lan/eth1']);
      expect((await engine.invoke('nic.findByMac', { mac: '02:00:00:00:00:01' })).nics).toEqual([]);
      // Selectors go through every NIC command, link changes included (a stopped lab: document only).
      expect(await engine.invoke('nic.disconnect', { vm: 'a', guestName: 'ens0' })).toMatchObject({ vm: 'a', bridge: 'eth1', link: 'down' });
      expect((await engine.invoke('nic.counters', { vm: 'a', guestName: 'eth1' })).rx_bytes).toBe(0);
      const reply = await engine.dispatch('nic.info', { vm: 'r', guestName: 'eth9' });
      expect(reply).toEqual({ ok: false, error: { code: 'not-found', message: 'nic.info: VM "r" has no eth9 (its NICs: eth0 (dmz), eth1 (lan), eth2 (wan))', hint: expect.any(String) } });
      expect(await engine.dispatch('nic.findByMac', { mac: 'nope' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    } finally {
      await engine.close();
    }
  });
});
