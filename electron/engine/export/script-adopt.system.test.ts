/**
 * The app adopting a lab an exported script started: same names, same QEMU command lines,
 * same runtime folder, so the engine reconnects instead of rebuilding. The helper only takes
 * over a namespace whose every process is this user's QEMU.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../../../shared/host-names.js';
import { serializeLab } from '../../../shared/lab.js';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from '../../../shared/runtime-paths.js';
import { Engine } from '../engine.js';
import { HelperClient } from '../net/helper-client.js';
import { namespaces, processExists, twoVmLab, waitFor } from '../test-support/system-lab.js';
import { exportBash } from './bash-export.js';

describe('the app adopts a lab started by its exported script', () => {
  const lab = twoVmLab();
  const ns = namespaceName(lab);
  const dir = mkdtempSync(join(tmpdir(), 'wb-script-adopt-'));
  const script = join(dir, 'lab.sh');
  const file = join(dir, 'lab.lab.json');
  writeFileSync(script, exportBash(lab), { mode: 0o755 });
  writeFileSync(file, serializeLab(lab));
  const env = { ...process.env, WIREBENCH_ACCEL: 'tcg' };
  let engine: Engine | undefined;

  afterAll(async () => {
    await engine?.invoke('lab.down', {}).catch(() => undefined);
    await engine?.close();
    spawnSync('bash', [script, 'down'], { env });
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('reconnects to the script\'s VMs, drives them, and takes the lab down', async () => {
    const up = spawnSync('bash', [script, 'up'], { env, encoding: 'utf8' });
    expect(up.status, up.stderr).toBe(0);
    const labDir = labRuntimeDir(runtimeRoot(0, undefined), ns);
    for (const vm of ['a', 'b']) {
      const log = vmRuntimePaths(labDir, vm).serialLog;
      await waitFor(`${vm} ready`, () => existsSync(log) && readFileSync(log, 'utf8').includes(`WIREBENCH-READY ${vm}`), 120_000, 200);
    }
    const scriptPids = ['a', 'b'].map((vm) => Number(readFileSync(vmRuntimePaths(labDir, vm).pidFile, 'utf8').trim()));

    engine = new Engine({ runtime: { accel: 'tcg' } });
    await engine.invoke('lab.open', { path: file });
    const status = await engine.invoke('lab.status', {});
    expect(status.vms.map((v) => [v.state, v.pid])).toEqual([['running', scriptPids[0]], ['running', scriptPids[1]]]);
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 1 -W 2 b.lan >/dev/null' })).exitCode).toBe(0);
    await engine.invoke('nic.disconnect', { vm: 'a', bridge: 'lan' });
    expect((await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 1 -W 1 b.lan >/dev/null' })).exitCode).toBe(1);
    await engine.invoke('nic.reconnect', { vm: 'a', bridge: 'lan' });

    await engine.invoke('lab.down', {});
    expect(namespaces()).not.toContain(ns);
    for (const pid of scriptPids) expect(processExists(pid)).toBe(false);
    // The script's own down stays harmless afterwards.
    expect(spawnSync('bash', [script, 'down'], { env }).status).toBe(0);
  });

  it('refuses to adopt a namespace that runs a process of another user, or nothing at all', async () => {
    const foreign = namespaceName(twoVmLab());
    execFileSync('ip', ['netns', 'add', foreign]);
    const helper = await HelperClient.start();
    try {
      await expect(helper.call({ op: 'ns.adopt', ns: foreign })).rejects.toThrow('runs nothing, so nothing shows whose it is');
      // A root process: not this user's QEMU (which is nobody when the engine is root).
      const sleeper = spawn('ip', ['netns', 'exec', foreign, 'sleep', '30']);
      await waitFor('sleeper in the namespace', () => execFileSync('ip', ['netns', 'pids', foreign], { encoding: 'utf8' }).trim() !== '', 5_000, 50);
      await expect(helper.call({ op: 'ns.adopt', ns: foreign })).rejects.toThrow(/runs process \d+ of uid 0, not this user's QEMU/);
      await expect(helper.call({ op: 'ns.delete', ns: foreign })).rejects.toThrow('was not created by Wirebench');
      sleeper.kill('SIGKILL');
    } finally {
      await helper.close();
      execFileSync('ip', ['netns', 'del', foreign]);
    }
  });
});
