/**
 * Labs outlive the process that started them (QEMU daemonizes): `wirebench up` exits with the
 * lab running, and a later engine — the app, or `wirebench down` — must see and drive it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../../../shared/host-names.js';
import { serializeLab } from '../../../shared/lab.js';
import { Engine } from '../engine.js';
import { namespaces, processExists, twoVmLab } from '../test-support/system-lab.js';

describe('adopting a running lab', () => {
  const lab = twoVmLab();
  const ns = namespaceName(lab);
  const file = join(mkdtempSync(join(tmpdir(), 'wb-adopt-')), 'lab.lab.json');
  writeFileSync(file, serializeLab(lab));
  let engine: Engine | undefined;

  afterAll(async () => {
    await engine?.invoke('lab.down', {}).catch(() => undefined);
    await engine?.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('finds VMs started by `wirebench up`, drives them, and brings them down', async () => {
    const up = spawnSync(process.execPath, ['out/cli/wirebench.mjs', 'up', file], { encoding: 'utf8', env: { ...process.env, WIREBENCH_ACCEL: 'tcg' }, timeout: 180_000 });
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/a: running \(pid \d+\)/);

    engine = new Engine({ runtime: { accel: 'tcg' } });
    await engine.invoke('lab.open', { path: file });
    const status = await engine.invoke('lab.status', {});
    expect(status.running).toBe(true);
    expect(status.vms.map((v) => v.state)).toEqual(['running', 'running']);
    const pids = status.vms.map((v) => v.pid!);

    // Fully driven: commands, counters, the cable.
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 1 -W 2 b.lan >/dev/null' })).exitCode).toBe(0);
    expect((await engine.invoke('nic.counters', { vm: 'a', bridge: 'lan' })).tx_packets).toBeGreaterThan(0);
    await engine.invoke('nic.disconnect', { vm: 'a', bridge: 'lan' });
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'cat /sys/class/net/eth0/carrier' })).output.trim()).toBe('0');
    await engine.invoke('nic.reconnect', { vm: 'a', bridge: 'lan' });

    // `lab up` on an adopted lab starts nothing twice.
    const again = await engine.invoke('lab.up', {});
    expect(again.vms.map((v) => v.pid)).toEqual(pids);

    await engine.invoke('lab.down', {});
    expect(namespaces()).not.toContain(ns);
    for (const pid of pids) expect(processExists(pid)).toBe(false);
  });
});
