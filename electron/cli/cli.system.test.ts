/**
 * The bundled `wirebench` CLI, run as a user would run it: validate, and the network part of
 * up/down (namespace, bridges, TAPs) for real, as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../../shared/host-names.js';
import { serializeLab } from '../../shared/lab.js';
import { namespaces, twoVmLab } from '../engine/test-support/system-lab.js';

const CLI = 'out/cli/wirebench.mjs';
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
const dir = mkdtempSync(join(tmpdir(), 'wb-cli-'));

describe('wirebench CLI', () => {
  it('validates the demo lab', () => {
    const r = run('validate', 'assets/labs/demo.lab.json');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('assets/labs/demo.lab.json: ok (3 VMs, 2 bridges, 4 NICs)');
  });

  it('lists every problem of an invalid lab with its path and exits 1', () => {
    const file = join(dir, 'bad.lab.json');
    writeFileSync(file, JSON.stringify({ format: 'wirebench/1', name: 'x', bridges: [{ name: 'lan' }], vms: [{ name: 'a' }], nics: [{ vm: 'a', bridge: 'wan' }, { vm: 'b', bridge: 'lan', mac: 'nope' }] }));
    const r = run('validate', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}: nics[0].bridge: no bridge named "wan"`);
    expect(r.stdout).toContain(`${file}: nics[1].mac: not a MAC address`);
    expect(r.stdout).toContain(`${file}: invalid (`);
  });

  it('explains usage errors and unknown commands with exit 2', () => {
    expect(run('validate').status).toBe(2);
    const r = run('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(run('up', join(dir, 'missing.lab.json')).stderr).toContain('no such file');
  });

  describe('up --network-only / down', () => {
    const lab = twoVmLab();
    const ns = namespaceName(lab);
    const file = join(dir, 'net.lab.json');
    writeFileSync(file, serializeLab(lab));
    afterAll(() => {
      if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
    });

    it('creates the namespace, the bridge and both TAPs on it, then removes them all', () => {
      const up = run('up', '--network-only', file);
      expect(up.stderr).toBe('');
      expect(up.status).toBe(0);
      expect(up.stdout).toContain(`namespace ${ns}: up`);
      const links = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; master?: string }>;
      expect(links.find((l) => l.ifname === 'br-lan')).toBeTruthy();
      expect(links.filter((l) => l.master === 'br-lan').map((l) => l.ifname).sort()).toEqual(['a.lan', 'b.lan']);

      const down = run('down', file);
      expect(down.status).toBe(0);
      expect(namespaces()).not.toContain(ns);
    });
  });

  it('refuses a namespace it did not create (an exported script\'s) and says what to do', () => {
    const lab = twoVmLab();
    const ns = namespaceName(lab);
    const file = join(dir, 'foreign.lab.json');
    writeFileSync(file, serializeLab(lab));
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const up = run('up', '--network-only', file);
      expect(up.status).toBe(1);
      expect(up.stderr).toContain(`namespace ${ns} already exists and was not created by Wirebench`);
      expect(up.stderr).toContain('what to do: if an exported script started this lab, stop it with');
      const down = run('down', file);
      expect(down.status).toBe(1);
      expect(down.stderr).toContain(`remove it with "ip netns del ${ns}"`);
      expect(namespaces()).toContain(ns);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('exports bash to stdout and libvirt into a folder; refuses an invalid lab with the validator\'s messages', () => {
    const bash = run('export', '--format', 'bash', 'assets/labs/demo.lab.json');
    expect(bash.status, bash.stderr).toBe(0);
    expect(bash.stdout.startsWith('#!/usr/bin/env bash')).toBe(true);
    expect(spawnSync('shellcheck', ['-'], { input: bash.stdout }).status).toBe(0);

    expect(run('export', '--format', 'libvirt', 'assets/labs/demo.lab.json').stderr).toContain('give a folder with --out DIR');
    const outDir = join(dir, 'libvirt');
    const libvirt = run('export', '--format', 'libvirt', 'assets/labs/demo.lab.json', '--out', outDir);
    expect(libvirt.status, libvirt.stderr).toBe(0);
    expect(libvirt.stderr).toContain(`wrote ${join(outDir, 'define.sh')}`);
    // Each VM's cloud-init seed (meta-data, user-data, network-config) sits beside its domain; define.sh builds the seed disks.
    const seeds = ['a', 'b', 'r'].flatMap((vm) => ['meta-data', 'network-config', 'user-data'].map((f) => `seed-${vm}.${f}`));
    expect(readdirSync(outDir).sort()).toEqual(['define.sh', 'domain-a.xml', 'domain-b.xml', 'domain-r.xml', 'network-lan.xml', 'network-wan.xml', ...seeds].sort());
    expect(spawnSync('virt-xml-validate', [join(outDir, 'domain-a.xml'), 'domain']).status).toBe(0);

    const bad = join(dir, 'bad-export.lab.json');
    writeFileSync(bad, JSON.stringify({ format: 'wirebench/1', name: 'x', vms: [{ name: 'a' }], nics: [{ vm: 'a', bridge: 'nope' }] }));
    const refused = run('export', '--format', 'bash', bad);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('nics[0].bridge: no bridge named "nope"');
    expect(refused.stdout).toBe('');
    expect(run('export', '--format', 'rpm', bad).status).toBe(2);
  });
});
