/**
 * Snapshots of VMs with a qcow2 disk, for real: QEMU's `savevm` through QMP, refused while a
 * capture runs on one of the VM's bridges. The disk is blank (the BIOS finds nothing to boot
 * and waits), which is all `savevm` needs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { openEngine, twoVmLab } from '../test-support/system-lab.js';

describe('VM snapshots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-snap-'));
  chmodSync(dir, 0o755);
  const disk = join(dir, 'disk.qcow2');
  let engine: Engine | undefined;

  afterAll(async () => {
    await engine?.invoke('lab.down', {}).catch(() => undefined);
    await engine?.close();
  });

  it('runs QEMU as an unprivileged user, snapshots a qcow2 VM, and refuses while a capture is active', async () => {
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
    // QEMU runs as nobody when the engine is root: the disk must be writable by it.
    chmodSync(disk, 0o666);
    const lab = twoVmLab({
      vms: [{ name: 'a' }, { name: 'd', image: { kind: 'qcow2', path: 'disk.qcow2' } }],
      nics: [{ vm: 'a', bridge: 'lan' }, { vm: 'd', bridge: 'lan' }],
    });
    // The lab file sits next to the disk, so the relative path resolves there.
    // A blank disk ignores the power button: keep the wait short so `down` does not sit out 30 s.
    const opened = await openEngine(lab, dir, { runtime: { powerdownTimeoutMs: 2_000 } });
    engine = opened.engine;

    await expect(engine.invoke('vm.snapshot', { vm: 'a', tag: 'x' })).rejects.toThrow('boots the built-in tiny guest, which has no disk to snapshot');
    const started = await engine.invoke('vm.start', { vm: 'd' });
    expect(started.state).toBe('running');
    expect(execFileSync('ps', ['-o', 'user=', '-p', String(started.pid)], { encoding: 'utf8' }).trim()).toBe('nobody');

    const capture = await engine.invoke('bridge.capture', { bridge: 'lan', options: {} });
    await expect(engine.invoke('vm.snapshot', { vm: 'd', tag: 'first' })).rejects.toThrow(
      'vm.snapshot: a capture is running on bridge(s) "lan" of VM "d"; a snapshot now would cut it in half',
    );
    await engine.invoke('capture.stop', { captureId: capture.captureId });

    await engine.invoke('vm.snapshot', { vm: 'd', tag: 'first' });
    const list = execFileSync('qemu-img', ['snapshot', '-U', '-l', disk], { encoding: 'utf8' });
    expect(list).toContain('first');
  });
});
