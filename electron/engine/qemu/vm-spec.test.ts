import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import { defaultMac, tapName } from '../../../shared/host-names.js';
import { MAX_NICS_PER_VM, TCG_CACHE_MIB, qemuArgs } from '../../../shared/qemu-spec.js';
import { vmQemuSpec, type VmSpecOptions } from './vm-spec.js';

function lab(input: LabDocumentInput): LabDocument {
  const result = validateLab(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const demo = lab(JSON.parse(readFileSync(new URL('../../../assets/labs/demo.lab.json', import.meta.url), 'utf8')));
const opts: VmSpecOptions = {
  accel: { accelerators: ['tcg'], cpu: 'max' },
  labDir: '/run/wirebench/0/wb-de3a0c1e',
  tinyGuest: { bootDisk: '/var/cache/wirebench/guest/boot.img' },
};

describe('vmQemuSpec', () => {
  it('builds the tiny-guest spec of the demo router', () => {
    const spec = vmQemuSpec(demo, 'r', opts);
    expect(spec).toEqual({
      name: 'r',
      accel: ['tcg'],
      cpu: 'max',
      cpus: 1,
      memoryMiB: 128,
      boot: { kind: 'tiny', bootDisk: '/var/cache/wirebench/guest/boot.img' },
      qmpSocket: '/run/wirebench/0/wb-de3a0c1e/r.qmp',
      serialSocket: '/run/wirebench/0/wb-de3a0c1e/r.serial',
      serialLog: '/run/wirebench/0/wb-de3a0c1e/r.log',
      agentSocket: '/run/wirebench/0/wb-de3a0c1e/r.agent',
      pidFile: '/run/wirebench/0/wb-de3a0c1e/r.pid',
      seedImage: '/run/wirebench/0/wb-de3a0c1e/r.seed.iso',
      nics: [
        { netdevId: 'net-lan', deviceId: 'nic-lan', tap: 'r.lan', mac: defaultMac(demo, 'r', 'lan'), linkUp: true },
        { netdevId: 'net-wan', deviceId: 'nic-wan', tap: 'r.wan', mac: defaultMac(demo, 'r', 'wan'), linkUp: true },
      ],
    });
  });

  it('orders NICs by bridge name (eth<N>), not by document order', () => {
    const l = lab({
      format: 'wirebench/1',
      name: 'order',
      bridges: [{ name: 'zeta' }, { name: 'alpha' }, { name: 'mid' }],
      vms: [{ name: 'v' }],
      nics: [
        { vm: 'v', bridge: 'zeta' },
        { vm: 'v', bridge: 'mid' },
        { vm: 'v', bridge: 'alpha' },
      ],
    });
    const spec = vmQemuSpec(l, 'v', opts);
    expect(spec.nics.map((n) => n.netdevId)).toEqual(['net-alpha', 'net-mid', 'net-zeta']);
    // Slots follow the same order: eth0 is the first virtio-net slot.
    const devices = qemuArgs(spec).filter((a) => a.startsWith('virtio-net-pci'));
    expect(devices[0]).toContain('netdev=net-alpha');
    expect(devices[0]).toContain('addr=0x3');
    expect(devices[2]).toContain('netdev=net-zeta');
  });

  it('puts NICs 0–25 in root-bus slots 3–28 and the rest behind one PCI bridge; the seed disk in slot 0x1e', () => {
    const bridges = Array.from({ length: MAX_NICS_PER_VM }, (_, i) => ({ name: `b${String(i).padStart(2, '0')}` }));
    const l = lab({ format: 'wirebench/1', name: 'many', bridges, vms: [{ name: 'v' }], nics: bridges.map((b) => ({ vm: 'v', bridge: b.name })) });
    const args = qemuArgs(vmQemuSpec(l, 'v', opts));
    const devices = args.filter((a) => a.startsWith('virtio-net-pci'));
    expect(devices).toHaveLength(MAX_NICS_PER_VM);
    expect(devices[25]).toContain(',addr=0x1c,');
    expect(devices[26]).toContain(',bus=nicbr,addr=0x1,');
    expect(devices[MAX_NICS_PER_VM - 1]).toContain(',bus=nicbr,addr=0x1f,');
    expect(args).toContain('pci-bridge,id=nicbr,chassis_nr=1,addr=0x1d');
    expect(args).toContain('virtio-blk-pci,drive=seed0,id=seed,multifunction=on,addr=0x1e.0');
    expect(args).toContain('file=/run/wirebench/0/wb-de3a0c1e/v.seed.iso,format=raw,if=none,id=seed0,readonly=on');
    // Few NICs: no bridge at all.
    expect(qemuArgs(vmQemuSpec(demo, 'r', opts)).some((a) => a.startsWith('pci-bridge'))).toBe(false);
  });

  it('lower-cases document MACs, falls back to the default MAC, and maps link state', () => {
    const l = lab({
      format: 'wirebench/1',
      id: '0123456789abcdef',
      name: 'macs',
      bridges: [{ name: 'lan' }, { name: 'wan' }],
      vms: [{ name: 'v' }],
      nics: [
        { vm: 'v', bridge: 'lan', mac: '52:54:00:AB:CD:EF', link: 'down' },
        { vm: 'v', bridge: 'wan' },
      ],
    });
    const spec = vmQemuSpec(l, 'v', opts);
    expect(spec.nics[0]).toMatchObject({ mac: '52:54:00:ab:cd:ef', linkUp: false, tap: tapName('v', 'lan') });
    expect(spec.nics[1]).toMatchObject({ mac: defaultMac(l, 'v', 'wan'), linkUp: true });
  });

  it('boots qcow2 VMs from their disk, with a per-VM override', () => {
    const l = lab({
      format: 'wirebench/1',
      name: 'disk',
      vms: [{ name: 'd', image: { kind: 'qcow2', path: '/images/d.qcow2' }, cpus: 2, memoryMiB: 512 }],
    });
    expect(vmQemuSpec(l, 'd', opts)).toMatchObject({ cpus: 2, memoryMiB: 512, boot: { kind: 'disk', disk: '/images/d.qcow2' }, nics: [] });
    expect(vmQemuSpec(l, 'd', { ...opts, disks: { d: '/elsewhere/d.qcow2' } }).boot).toEqual({ kind: 'disk', disk: '/elsewhere/d.qcow2' });
    expect(qemuArgs(vmQemuSpec(l, 'd', opts))).toContain('file=/images/d.qcow2,format=qcow2,if=virtio,id=disk0');
  });

  it('passes the accelerators through, in order', () => {
    const args = (accel: VmSpecOptions['accel']) => qemuArgs(vmQemuSpec(demo, 'a', { ...opts, accel })).join(' ');
    expect(args({ accelerators: ['kvm'], cpu: 'host' })).toContain('-accel kvm -cpu host');
    // TCG's translation cache is right-sized on the tcg accelerator only (shared/qemu-spec.ts).
    expect(args({ accelerators: ['kvm', 'tcg'], cpu: 'max' })).toContain(`-accel kvm -accel tcg,tb-size=${TCG_CACHE_MIB.tiny} -cpu max`);
    expect(args({ accelerators: ['tcg'], cpu: 'max' })).toContain(`-accel tcg,tb-size=${TCG_CACHE_MIB.tiny} -cpu max`);
    expect(args({ accelerators: ['kvm'], cpu: 'host' })).not.toContain('tb-size');
  });

  it('sizes the translation cache by how the VM boots: small for the tiny guest, larger for a disk image', () => {
    const l = lab({ format: 'wirebench/1', name: 'both', vms: [{ name: 't' }, { name: 'd', image: { kind: 'qcow2', path: '/images/d.qcow2' } }] });
    const args = (vm: string) => qemuArgs(vmQemuSpec(l, vm, { ...opts, accel: { accelerators: ['tcg'], cpu: 'max' } })).join(' ');
    expect(TCG_CACHE_MIB.tiny).toBeLessThan(TCG_CACHE_MIB.disk);
    expect(args('t')).toContain(`-accel tcg,tb-size=${TCG_CACHE_MIB.tiny} `);
    expect(args('d')).toContain(`-accel tcg,tb-size=${TCG_CACHE_MIB.disk} `);
  });

  it('boots the tiny guest from its shared boot disk, read-only, first in the boot order, in slot 2', () => {
    const argv = qemuArgs(vmQemuSpec(demo, 'a', opts));
    expect(argv).toContain('file=/var/cache/wirebench/guest/boot.img,format=raw,if=none,id=boot0,readonly=on');
    expect(argv).toContain('virtio-blk-pci,drive=boot0,id=boot,addr=0x2,bootindex=0');
    expect(argv).not.toContain('-kernel');
  });

  it('gives every VM memfd-backed RAM of its size and a balloon that reports free pages', () => {
    const l = lab({ format: 'wirebench/1', name: 'mem', vms: [{ name: 't', memoryMiB: 160 }, { name: 'd', image: { kind: 'qcow2', path: '/images/d.qcow2' } }] });
    for (const vm of ['t', 'd']) {
      const argv = qemuArgs(vmQemuSpec(l, vm, opts));
      const size = argv[argv.indexOf('-m') + 1];
      expect(argv[argv.indexOf('-machine') + 1]).toBe('pc,memory-backend=ram0');
      expect(argv).toContain(`memory-backend-memfd,id=ram0,size=${size}M`);
      expect(argv.filter((a) => a.startsWith('virtio-balloon-pci,'))).toEqual(['virtio-balloon-pci,id=balloon,free-page-reporting=on,addr=0x1e.1']);
      expect(argv.find((a) => a.startsWith('virtio-blk-pci,drive=seed0'))).toContain('multifunction=on,addr=0x1e.0');
    }
    expect(qemuArgs(vmQemuSpec(l, 't', opts))).toContain('memory-backend-memfd,id=ram0,size=160M');
  });

  it('refuses an unknown VM, naming the VMs there are', () => {
    expect(() => vmQemuSpec(demo, 'zz', opts)).toThrow(/no VM named "zz" \(VMs: "a", "b", "r"\)/);
  });

  it('refuses paths QEMU would misparse, naming the VM and the field', () => {
    const l = lab({ format: 'wirebench/1', name: 'rel', vms: [{ name: 'd', image: { kind: 'qcow2', path: 'images/d.qcow2' } }] });
    expect(() => vmQemuSpec(l, 'd', opts)).toThrow(/VM "d": boot.disk: must be an absolute path/);
    expect(() => vmQemuSpec(demo, 'a', { ...opts, tinyGuest: { bootDisk: '/a,b/boot.img' } })).toThrow(/boot.bootDisk: must not contain commas/);
    expect(() => vmQemuSpec(demo, 'a', { ...opts, labDir: 'relative' })).toThrow(/qmpSocket: must be an absolute path/);
  });
});
