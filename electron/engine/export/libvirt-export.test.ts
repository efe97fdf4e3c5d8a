import { afterAll, describe, expect, it } from 'vitest';
import { demoLabInput, expectGolden } from './golden.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabValidationError, type LabDocumentInput } from '../../../shared/lab.js';
import { exportLibvirt } from './libvirt-export.js';
import { MAX_NICS_PER_VM } from '../../../shared/qemu-spec.js';

const demoInput = demoLabInput() as LabDocumentInput;
const goldenDir = new URL('./__golden__/libvirt/', import.meta.url).pathname;


const variantInput: LabDocumentInput = {
  format: 'wirebench/1',
  id: '0123456789abcdef',
  name: `it's <"odd"> & -- \n$(x)`,
  bridges: [{ name: 'edge-1' }, { name: 'core' }],
  vms: [
    { name: 'router-1', image: { kind: 'qcow2', path: '/srv/images/router 1.qcow2' }, cpus: 2, memoryMiB: 256 },
    { name: 'h', image: { kind: 'tiny' } },
  ],
  nics: [
    { vm: 'router-1', bridge: 'edge-1', mac: '52:54:00:AA:BB:CC', ip: '10.1.0.1/24' },
    { vm: 'router-1', bridge: 'core', ip: '10.2.0.1/24', impairments: { delayMs: 20, jitterMs: 5, lossPercent: 2, rateKbit: 1000 } },
    { vm: 'h', bridge: 'core', ip: '10.2.0.2/24', link: 'down' },
  ],
};

const manyNicsBridges = Array.from({ length: MAX_NICS_PER_VM }, (_, i) => ({ name: `n${i}` }));
const manyNicsInput: LabDocumentInput = {
  format: 'wirebench/1',
  id: '89abcdef01234567',
  name: 'many',
  bridges: manyNicsBridges,
  vms: [{ name: 'v' }],
  nics: manyNicsBridges.map((b, i) => ({ vm: 'v', bridge: b.name, ip: `10.${i}.0.1/24` })),
};

const scratch = mkdtempSync(join(tmpdir(), 'wb-libvirt-export-'));
let counter = 0;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
function writeFiles(files: Record<string, string>): string {
  const dir = join(scratch, `export-${++counter}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
  return dir;
}

function validateXml(file: string, schema: 'network' | 'domain'): void {
  const run = spawnSync('virt-xml-validate', [file, schema], { encoding: 'utf8' });
  if (run.error) throw new Error(`virt-xml-validate could not run (${run.error.message}); install the Debian package libvirt-clients`);
  expect(run.status, `${file} against the ${schema} schema:\n${run.stdout}${run.stderr}`).toBe(0);
}

function shellcheck(file: string): void {
  const run = spawnSync('shellcheck', ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
  if (run.error) throw new Error(`shellcheck could not run (${run.error.message}); install the Debian package shellcheck`);
  expect(run.stdout + run.stderr, 'shellcheck findings').toBe('');
}

describe('exportLibvirt', () => {
  it('matches the golden files for the demo lab', () => {
    const { files } = exportLibvirt(demoInput);
    expect(Object.keys(files).filter((f) => !f.startsWith('seed-')).sort()).toEqual(['define.sh', 'domain-a.xml', 'domain-b.xml', 'domain-r.xml', 'network-lan.xml', 'network-wan.xml']);
    expect(Object.keys(files).filter((f) => f.startsWith('seed-r.')).sort()).toEqual(['seed-r.meta-data', 'seed-r.network-config', 'seed-r.user-data']);
    for (const [name, text] of Object.entries(files)) expectGolden(goldenDir, name, text);
  });

  it('writes XML that libvirt schemas accept and define scripts shellcheck finds nothing in', { timeout: 120_000 }, () => {
    for (const input of [demoInput, variantInput, manyNicsInput, { format: 'wirebench/1', name: 'empty' } satisfies LabDocumentInput]) {
      const dir = writeFiles(exportLibvirt(input).files);
      for (const name of readdirSync(dir)) {
        if (name.startsWith('network-')) validateXml(join(dir, name), 'network');
        else if (name.startsWith('domain-')) validateXml(join(dir, name), 'domain');
      }
      shellcheck(join(dir, 'define.sh'));
    }
  });

  it('defines and starts the whole lab in libvirt (its test driver, no daemon needed)', () => {
    const dir = writeFiles(exportLibvirt(variantInput).files);
    const commands = [
      'net-define network-core.xml', 'net-define network-edge-1.xml',
      'net-start wb-01234567-core', 'net-start wb-01234567-edge-1',
      'define domain-router-1.xml', 'define domain-h.xml',
      'start wb-01234567-router-1', 'start wb-01234567-h',
      'domiflist wb-01234567-router-1',
    ].join(' ; ');
    const out = execFileSync('virsh', ['-c', 'test:///default', commands], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain("Domain 'wb-01234567-h' started");
    // eth0 is the first bridge by name: core before edge-1, whatever the document order.
    expect(out).toMatch(/network\s+wb-01234567-core\s+virtio\s+52:54:00[\s\S]*network\s+wb-01234567-edge-1\s+virtio\s+52:54:00:aa:bb:cc/);
  });

  it('carries NIC order, slots, MACs, pulled cables, rates and the kernel command line', () => {
    const { files } = exportLibvirt(variantInput);
    const router = files['domain-router-1.xml']!;
    expect(router.indexOf("network='wb-01234567-core'")).toBeLessThan(router.indexOf("network='wb-01234567-edge-1'"));
    expect(router).toContain("<mac address='52:54:00:aa:bb:cc'/>");
    expect(router).toContain("slot='0x03'");
    expect(router).toContain("slot='0x04'");
    expect(router).toContain("<inbound average='125'/>");
    expect(router).toContain('impairment not expressible in libvirt: delay 20ms (jitter 5ms), loss 2%');
    expect(router).toContain("<source file='/srv/images/router 1.qcow2'/>");
    expect(router).toContain('<title>Wirebench lab &quot;it&apos;s &lt;&quot;odd&quot;&gt; &amp; -- ?$(x)&quot;: VM router-1</title>');
    expect(router).toContain('<vcpu>2</vcpu>');
    expect(router).toContain("<memory unit='MiB'>256</memory>");
    const h = files['domain-h.xml']!;
    expect(h).toContain("<link state='down'/>");
    // The tiny guest boots its shared boot disk, as the app does (no <kernel>: QEMU would keep a copy).
    expect(h).not.toContain('<kernel>');
    expect(h).toMatch(/<disk type='file' device='disk'>\s*<driver name='qemu' type='raw'\/>\s*<source file='\/var\/cache\/wirebench\/guest\/boot\.img'\/>\s*<target dev='vda' bus='virtio'\/>\s*<readonly\/>\s*<shareable\/>\s*<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'\/>/);
    // The configuration is on the seed disk, not the command line.
    expect(h).toMatch(/<disk type='file' device='disk'>\s*<driver name='qemu' type='raw'\/>\s*<source file='\/var\/lib\/wirebench\/seeds\/wb-01234567\/seed-h\.iso'\/>\s*<target dev='vdb' bus='virtio'\/>\s*<readonly\/>\s*<address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x0' multifunction='on'\/>/);
    // The balloon beside it, as the app's `addr=0x1e.1`, reporting free pages.
    expect(h).toMatch(/<memballoon model='virtio' freePageReporting='on'>\s*<address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x1'\/>/);
    expect(h).toContain(`<source type='memfd'/>`);
    expect(files['seed-h.network-config']).toContain('"10.2.0.2/24"');
    expect(files['network-core.xml']).toContain("<bridge name='br-core' stp='off' delay='0'/>");
    expect(files['network-core.xml']).not.toContain('<forward');
    expect(files['network-core.xml']).toContain('"it\'s <"odd"> & - - ?$(x)"');
  });

  it('puts NICs beyond the root bus behind a pci-bridge controller, as the app does', () => {
    const { files } = exportLibvirt(manyNicsInput);
    const v = files['domain-v.xml']!;
    expect(v).toContain("<controller type='pci' index='1' model='pci-bridge'>");
    expect(v).toContain("bus='0x01' slot='0x01'");
    expect(v).toContain("bus='0x00' slot='0x1c'");
    expect(v.match(/<interface /g)).toHaveLength(MAX_NICS_PER_VM);
  });

  it('define.sh defines networks before domains and points kernels at WIREBENCH_GUEST_DIR', () => {
    const dir = writeFiles(exportLibvirt(variantInput).files);
    // A stand-in virsh that logs its arguments and keeps a copy of every defined domain.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'virsh'),
      `#!/usr/bin/env bash\necho "$*" >>"${dir}/virsh.log"\nif [[ $1 == define ]]; then cp "$2" "${dir}/defined-$(wc -l <"${dir}/virsh.log").xml"; fi\n`,
      { mode: 0o755 },
    );
    const guest = join(dir, 'guest');
    mkdirSync(guest);
    writeFileSync(join(guest, 'boot.img'), '');
    execFileSync('bash', [join(dir, 'define.sh')], { env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, WIREBENCH_GUEST_DIR: guest }, encoding: 'utf8' });
    const calls = readFileSync(join(dir, 'virsh.log'), 'utf8').trim().split('\n');
    expect(calls).toEqual([
      'uri',
      'net-list --name',
      'net-define network-edge-1.xml',
      'net-start wb-01234567-edge-1',
      'net-define network-core.xml',
      'net-start wb-01234567-core',
      expect.stringMatching(/^define \//),
      expect.stringMatching(/^define \//),
    ]);
    const h = readFileSync(join(dir, 'defined-8.xml'), 'utf8');
    expect(h).toContain(`<source file='${guest}/boot.img'/>`);
    // The seed images are built next to the script and the domains point at them.
    expect(h).toContain(`<source file='${dir}/seeds/seed-h.iso'/>`);
    expect(execFileSync('xorriso', ['-indev', join(dir, 'seeds/seed-h.iso'), '-pvd_info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(/Volume Id\s*:\s*cidata/);
  });

  it('define.sh stops before touching libvirt when the tiny guest is missing', () => {
    const dir = writeFiles(exportLibvirt(variantInput).files);
    const run = spawnSync('bash', [join(dir, 'define.sh')], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LIBVIRT_DEFAULT_URI: 'test:///default', WIREBENCH_GUEST_DIR: join(dir, 'nowhere') }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`tiny guest file ${join(dir, 'nowhere')}/boot.img is missing`);
  });

  it('refuses invalid documents with the validator messages, and relative disk paths', () => {
    expect(() => exportLibvirt({ format: 'wirebench/1', name: 'x', vms: [{ name: 'a' }, { name: 'a' }] })).toThrow(LabValidationError);
    expect(() => exportLibvirt({ format: 'wirebench/1', name: 'x', vms: [{ name: 'a' }, { name: 'a' }] })).toThrow(/vms\[1\]\.name: duplicate VM name "a"/);
    expect(() => exportLibvirt({ format: 'wirebench/1', name: 'x', vms: [{ name: 'd', image: { kind: 'qcow2', path: 'd.qcow2' } }] })).toThrow(
      /disk of VM "d" is "d\.qcow2", a relative path; libvirt needs absolute paths/,
    );
  });
});

