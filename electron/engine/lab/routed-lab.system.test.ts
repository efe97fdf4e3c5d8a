/**
 * The bundled routed lab (assets/labs/routed.lab.json) with real tiny guests: right after
 * `lab.up`, with no command typed, `a` reaches `b` through the router `r` and fetches the page
 * `b`'s startup commands serve. Then live edits of the running lab: routes, forwarding and MTU
 * apply without a restart; an address change is listed as "restart needed". Runs as root.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/api.js';
import { namespaceName } from '../../../shared/host-names.js';
import { validateLab, type LabDocument } from '../../../shared/lab.js';
import type { Engine } from '../engine.js';
import { namespaces, openEngine, waitFor } from '../test-support/system-lab.js';
import { changeLab } from '../test-support/lab-change.js';
import type { LabChange } from '../../../shared/lab-changes.js';

function routedLab(): LabDocument {
  const input = JSON.parse(readFileSync(new URL('../../../assets/labs/routed.lab.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const vms = input.vms as Array<Record<string, unknown>>;
  // One failing startup command on `a`, after one that works: it must surface as a problem event.
  vms.find((v) => v.name === 'a')!.startup = ['echo a is up > /tmp/up', "sh -c 'exit 3'"];
  const result = validateLab({ ...input, id: randomBytes(8).toString('hex') });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const lab = routedLab();
const ns = namespaceName(lab);
let engine: Engine;
let events: LabEvent[];

async function run(vm: string, command: string): Promise<{ exitCode: number; output: string }> {
  return engine.invoke('vm.run', { vm, command, timeoutMs: 30_000 });
}
async function ping(from: string, target: string): Promise<number> {
  return (await run(from, `ping -c 1 -W 3 ${target} >/dev/null 2>&1`)).exitCode;
}
async function update(edit: (doc: LabDocument) => LabChange[]): Promise<string[]> {
  const result = await changeLab(engine, edit);
  expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return result.restartNeeded;
}

// In order, on one booted lab: the first test brings it up, the others read and edit it as
// the one before left it.
describe('the routed lab with real guests', () => {
  beforeAll(async () => {
    ({ engine, events } = await openEngine(lab));
  });

  afterAll(async () => {
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('works right after lab.up: a pings b through r and fetches b\'s page, by name', { timeout: 240_000 }, async () => {
    const status = await engine.invoke('lab.up', {});
    expect(status.vms.map((v) => v.state)).toEqual(['running', 'running', 'running']);
    expect(await ping('a', '10.2.0.10')).toBe(0);
    expect(await ping('a', 'b')).toBe(0);
    // IPv6 through the router as well.
    expect((await run('a', 'ping -6 -c 1 -W 3 fd02::10 >/dev/null 2>&1')).exitCode).toBe(0);
    // Not `wget -T`: Debian's static busybox wget segfaults with it (docs/platform-notes.md).
    const page = await run('a', 'timeout 10 wget -q -O - http://www.lab/');
    expect(page).toEqual({ exitCode: 0, output: 'hello from b' });
  });

  it('shows forwarding, routes, MTU, hosts and the commands\' effects inside the guests', async () => {
    expect((await run('r', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding')).output).toBe('1\n1');
    expect((await run('a', 'cat /proc/sys/net/ipv4/ip_forward')).output).toBe('0');
    expect((await run('a', 'ip route')).output).toMatch(/^default via 10\.1\.0\.1 dev eth0/m);
    expect((await run('a', 'ip -6 route')).output).toMatch(/^fd02::\/64 via fd01::1 dev eth0/m);
    expect((await run('b', 'ip link show eth0')).output).toMatch(/mtu 1400 /);
    expect((await run('r', 'ip link show eth1')).output).toMatch(/mtu 1400 /);
    expect((await run('r', 'ip link show eth0')).output).toMatch(/mtu 1500 /);
    // The host side follows: the TAPs, and the bridge (the smallest MTU of its ports).
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', 'b.lan2'], { encoding: 'utf8' })).toMatch(/mtu 1400 /);
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', 'br-lan2'], { encoding: 'utf8' })).toMatch(/mtu 1400 /);
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', 'br-lan1'], { encoding: 'utf8' })).toMatch(/mtu 1500 /);
    expect((await run('a', 'grep www.lab /etc/hosts')).output).toBe('10.2.0.10 www.lab');
    expect((await run('a', 'hostname')).output).toBe('a');
    expect((await run('a', 'cat /tmp/up')).output).toBe('a is up');
  });

  it('reports the failing startup command as a problem event naming the VM, its index and exit code', async () => {
    const failed = events.filter((e) => e.type === 'error' && e.code === 'startup-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ message: expect.stringMatching(/^VM "a": startup command 1 \("sh -c 'exit 3'"\) failed with exit code 3 \(vms\[0\]\.startup\[1\]\)$/) });
    // Where it happened, so the app can show it on the VM (and the field) it belongs to.
    expect(failed[0]).toMatchObject({ vm: 'a', path: 'vms[0].startup[1]' });
  });

  it('applies route, forwarding and MTU edits live; an address edit needs a restart', { timeout: 120_000 }, async () => {
    // Without its default route, a cannot reach lan2; adding it back works without a restart.
    expect(await update((d) => [{ kind: 'vm.update', name: 'a', patch: { routes: d.vms.find((v) => v.name === 'a')!.routes!.filter((r) => r.to !== 'default') } }])).toEqual([]);
    expect(await ping('a', '10.2.0.10')).not.toBe(0);
    expect(await update((d) => [{ kind: 'vm.update', name: 'a', patch: { routes: [...(d.vms.find((v) => v.name === 'a')!.routes ?? []), { to: '10.2.0.0/24', via: '10.1.0.1' }] } }])).toEqual([]);
    expect((await run('a', 'ip route')).output).toMatch(/^10\.2\.0\.0\/24 via 10\.1\.0\.1 dev eth0/m);
    expect(await ping('a', '10.2.0.10')).toBe(0);

    // Forwarding off on r stops the traffic, on again restores it.
    await update(() => [{ kind: 'vm.update', name: 'r', patch: { forwarding: false } }]);
    expect((await run('r', 'cat /proc/sys/net/ipv4/ip_forward')).output).toBe('0');
    expect(await ping('a', '10.2.0.10')).not.toBe(0);
    await update(() => [{ kind: 'vm.update', name: 'r', patch: { forwarding: true } }]);
    expect(await ping('a', '10.2.0.10')).toBe(0);

    // MTU: the guest's interface follows at once.
    await update((d) => d.nics.filter((n) => n.vm === 'b').map((n): LabChange => ({ kind: 'nic.update', vm: n.vm, bridge: n.bridge, patch: { mtu: 1300 } })));
    expect((await run('b', 'ip link show eth0')).output).toMatch(/mtu 1300 /);
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', 'b.lan2'], { encoding: 'utf8' })).toMatch(/mtu 1300 /);
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', 'br-lan2'], { encoding: 'utf8' })).toMatch(/mtu 1300 /);

    // An address is not changed under a running guest: restart needed.
    const restart = await update((d) => d.nics.filter((n) => n.vm === 'a').map((n): LabChange => ({ kind: 'nic.update', vm: n.vm, bridge: n.bridge, patch: { ip: '10.1.0.11/24' } })));
    expect(restart).toEqual(['a/lan1: IP changed; restart VM "a" to apply']);
    expect((await engine.invoke('lab.status', {})).restartNeeded).toEqual(restart);
    // The restart applies it from the seed.
    await engine.invoke('vm.stop', { vm: 'a', force: true });
    await engine.invoke('vm.start', { vm: 'a' });
    expect((await run('a', 'ip -4 addr show eth0')).output).toContain('inet 10.1.0.11/24');
    expect((await engine.invoke('lab.status', {})).restartNeeded).toEqual([]);
    await waitFor('a to reach b after its restart', async () => (await ping('a', '10.2.0.10')) === 0, 20_000);
  });
});
