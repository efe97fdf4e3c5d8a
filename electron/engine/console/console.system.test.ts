/**
 * Consoles with real guests, through the engine's contract as the app's windows use it: each
 * watcher is one client, a console's bytes reach only the clients that opened it, a watcher
 * that comes later gets the history from disk, and automation (`vm.run`) has its own channel
 * so it works while a person types, with neither seeing the other's bytes. Runs as root, on
 * the default accelerator path (no WIREBENCH_ACCEL).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEvent } from '../../../shared/api.js';
import { namespaceName } from '../../../shared/host-names.js';
import type { Engine } from '../engine.js';
import type { EngineClient } from '../engine-client.js';
import { namespaces, openEngine, twoVmLab, waitFor } from '../test-support/system-lab.js';

const lab = twoVmLab();
const ns = namespaceName(lab);
let engine: Engine;
let broadcast: LabEvent[];

/** A client that records the console bytes it receives. */
function watcher(): EngineClient & { text(vm?: string): string } {
  const received: Array<{ vm: string; data: string }> = [];
  return {
    send: (event) => {
      if (event.type === 'console.data') received.push({ vm: event.vm, data: event.data });
    },
    text: (vm = 'a') => received.filter((r) => r.vm === vm).map((r) => r.data).join(''),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('consoles of real guests', () => {
  beforeAll(async () => {
    ({ engine, events: broadcast } = await openEngine(lab));
  });

  afterAll(async () => {
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('opening the console of a stopped VM says so and what to do', async () => {
    await expect(engine.invoke('console.open', { vm: 'a' }, watcher())).rejects.toMatchObject({
      code: 'vm-not-running',
      message: 'console.open: VM "a" is stopped, not running',
      hint: expect.stringContaining('start'),
    });
    await expect(engine.invoke('console.open', { vm: 'zz' }, watcher())).rejects.toThrow('no VM named "zz" in lab "systest" (VMs: a, b)');
  });

  it('boots on the default path and reports the accelerator QEMU really uses', async () => {
    const status = await engine.invoke('lab.up', {});
    expect(status.vms.map((v) => v.state)).toEqual(['running', 'running']);
    for (const vm of status.vms) expect(['kvm', 'tcg']).toContain(vm.accel);
    const kvmForNobody = (() => {
      try {
        execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', '/dev/kvm', '-a', '-w', '/dev/kvm']);
        return true;
      } catch {
        return false;
      }
    })();
    if (!kvmForNobody) {
      // This CI machine: /dev/kvm exists (root may open it), QEMU's user may not.
      for (const vm of status.vms) {
        expect(vm.accel).toBe('tcg');
        expect(vm.accelHint).toMatch(/running under TCG \(slow\).*\/dev\/kvm/);
      }
    }
  });

  it('two watchers see the same bytes; one that opens later gets the history; others get nothing', async () => {
    const first = watcher();
    const second = watcher();
    const opened = await engine.invoke('console.open', { vm: 'a' }, first);
    expect(opened.state).toBe('running');
    expect(opened.history).toContain('WIREBENCH-READY a');
    await engine.invoke('console.open', { vm: 'a' }, second);
    await engine.invoke('console.write', { vm: 'a', data: 'echo marker-$((6*7))-end\n' });
    await waitFor('both watchers see the output', () => first.text().includes('marker-42-end') && second.text().includes('marker-42-end'), 20_000);
    expect(second.text()).toContain('marker-42-end');

    const late = watcher();
    const history = (await engine.invoke('console.open', { vm: 'a' }, late)).history;
    expect(history).toContain('marker-42-end');
    expect(history.indexOf('WIREBENCH-READY a')).toBeLessThan(history.indexOf('marker-42-end'));
    // Console bytes never go out as broadcast events, and b's watchers got none of a's.
    expect(broadcast.some((e) => e.type === 'console.data')).toBe(false);
    expect(first.text('b')).toBe('');

    await engine.invoke('console.close', { vm: 'a' }, second);
    engine.disconnectClient(late);
    const before = { second: second.text().length, late: late.text().length };
    await engine.invoke('console.write', { vm: 'a', data: 'echo after-$((1+1))-close\n' });
    await waitFor('the remaining watcher sees it', () => first.text().includes('after-2-close'), 20_000);
    expect(second.text().length).toBe(before.second);
    expect(late.text().length).toBe(before.late);
    engine.disconnectClient(first);
  });

  it('vm.run works while a person types in the console, and neither sees the other\'s bytes', async () => {
    const person = watcher();
    await engine.invoke('console.open', { vm: 'a' }, person);
    // The person is half-way through a line when automation runs.
    const typing = (async () => {
      for (const ch of 'echo typed-by-a-person') {
        await engine.invoke('console.write', { vm: 'a', data: ch });
        await sleep(40);
      }
    })();
    await sleep(200);
    const run = await engine.invoke('vm.run', { vm: 'a', command: 'uname -a; echo run-$((2*21))' });
    await typing;
    expect(run.exitCode).toBe(0);
    expect(run.output).toMatch(/^Linux a .*\nrun-42$/s);
    expect(run.output).not.toContain('typed');
    await engine.invoke('console.write', { vm: 'a', data: '\n' });
    await waitFor('the person\'s line ran in the console', () => /typed-by-a-person\r?\n/.test(person.text().split('echo typed-by-a-person').slice(1).join('')), 20_000);
    // What automation typed and printed never appeared in the person's console.
    expect(person.text()).not.toContain('uname');
    expect(person.text()).not.toContain('run-42');
    expect(person.text()).not.toContain('__WB_');
    engine.disconnectClient(person);
  });

  it('runs many commands on the automation channel in a row, with exit codes and long lines', async () => {
    const results = await Promise.all([
      engine.invoke('vm.run', { vm: 'b', command: 'false' }),
      engine.invoke('vm.run', { vm: 'b', command: 'sh -c "exit 7"' }),
      engine.invoke('vm.run', { vm: 'b', command: `echo ${'x'.repeat(2500)} | wc -c` }),
    ]);
    expect(results.map((r) => r.exitCode)).toEqual([1, 7, 0]);
    expect(results[2]!.output.trim()).toBe('2501');
  });
});
