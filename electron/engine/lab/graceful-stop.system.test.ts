/**
 * Stopping VMs as a person stops machines: the ACPI power button, a bounded wait shown as
 * "stopping", then quit. The tiny guest powers off on the button (QMP SHUTDOWN with a guest
 * reason); a blank disk (the BIOS finds nothing to boot) ignores it and is quit after the
 * wait; "Force stop" during the wait quits at once; `down` stops every VM in parallel.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/api.js';
import { namespaceName } from '../../../shared/host-names.js';
import type { Engine } from '../engine.js';
import { namespaces, openEngine, twoVmLab } from '../test-support/system-lab.js';

const POWERDOWN_MS = 4_000;
const dir = mkdtempSync(join(tmpdir(), 'wb-stop-'));
chmodSync(dir, 0o755);
const lab = twoVmLab({
  vms: [{ name: 'a' }, { name: 'd', image: { kind: 'qcow2', path: 'blank.qcow2' } }],
  nics: [{ vm: 'a', bridge: 'lan' }, { vm: 'd', bridge: 'lan' }],
});
let engine: Engine;
let events: LabEvent[];

function statesOf(vm: string, since: number): Array<{ state: string; reason: string | null }> {
  return events.slice(since).flatMap((e) => (e.type === 'vm.state' && e.vm === vm ? [{ state: e.state, reason: e.reason }] : []));
}

describe('graceful VM stops', () => {
  beforeAll(async () => {
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'blank.qcow2'), '32M']);
    chmodSync(join(dir, 'blank.qcow2'), 0o666);
    ({ engine, events } = await openEngine(lab, dir, { runtime: { powerdownTimeoutMs: POWERDOWN_MS } }));
    await engine.invoke('lab.up', {});
  });

  afterAll(async () => {
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    if (namespaces().includes(namespaceName(lab))) execFileSync('ip', ['netns', 'del', namespaceName(lab)]);
  });

  it('a guest that handles the power button powers itself off before the wait ends', async () => {
    const since = events.length;
    const started = Date.now();
    const stopped = await engine.invoke('vm.stop', { vm: 'a' });
    expect(Date.now() - started).toBeLessThan(POWERDOWN_MS);
    expect(stopped.state).toBe('stopped');
    const seen = statesOf('a', since);
    expect(seen[0]).toEqual({ state: 'stopping', reason: expect.stringContaining('power button pressed') });
    // The QMP SHUTDOWN event's guest reason: the guest shut down, nobody pulled the plug.
    expect(seen.at(-1)).toEqual({ state: 'stopped', reason: 'the guest powered off (guest-shutdown)' });
  });

  it('a guest that ignores it is quit after the wait', async () => {
    const since = events.length;
    const started = Date.now();
    await engine.invoke('vm.stop', { vm: 'd' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(POWERDOWN_MS - 100);
    expect(statesOf('d', since).at(-1)).toEqual({ state: 'stopped', reason: `the guest did not power off within ${POWERDOWN_MS / 1000} s; quit` });
  });

  it('Force stop during the wait quits at once', async () => {
    await engine.invoke('vm.start', { vm: 'd' });
    const since = events.length;
    const graceful = engine.invoke('vm.stop', { vm: 'd' });
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const forced = await engine.invoke('vm.stop', { vm: 'd', force: true });
    await graceful;
    expect(Date.now() - started).toBeLessThan(POWERDOWN_MS - 1000);
    expect(forced.state).toBe('stopped');
    expect(statesOf('d', since).at(-1)).toEqual({ state: 'stopped', reason: 'force-stopped while powering off' });
  });

  it('down presses every power button at once', async () => {
    await engine.invoke('vm.start', { vm: 'a' });
    await engine.invoke('vm.start', { vm: 'd' });
    const since = events.length;
    const started = Date.now();
    await engine.invoke('lab.down', {});
    // One wait for all (d ignores the button), not one after the other.
    expect(Date.now() - started).toBeLessThan(2 * POWERDOWN_MS);
    const order = events.slice(since).flatMap((e) => (e.type === 'vm.state' ? [`${e.vm}:${e.state}`] : []));
    expect(order.indexOf('d:stopping')).toBeLessThan(order.indexOf('a:stopped'));
    expect(namespaces()).not.toContain(namespaceName(lab));
  });
});
