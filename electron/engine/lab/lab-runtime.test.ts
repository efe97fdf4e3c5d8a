/**
 * The runtime's planning without root: its helper seam (`HelperPort`) is a recording double,
 * so each test reads the exact helper calls a lab operation makes, in order. Each test builds
 * its own runtime, engine and double: none depends on another's order.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabEvent, WirebenchError } from '../../../shared/api.js';
import { tally } from '../../../test-support/suite-tally.js';
import { HelperCallError } from '../net/helper-client.js';
import type { HelperCall, HelperResults } from '../../../shared/helper-protocol.js';
import { serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';
import { FIRST_NIC_SLOT, type QemuSpec } from '../../../shared/qemu-spec.js';
import { Engine } from '../engine.js';
import { EventBus } from '../event-bus.js';
import { changeLab } from '../test-support/lab-change.js';
import { LabRuntime, type HelperPort } from './lab-runtime.js';
import type { RuntimeContext } from './runtime/context.js';
import { NicOps, type NicQmp } from './runtime/nic-ops.js';

type Call = HelperCall;

/** The helper as a recording double: answers `info` with the namespaces it holds, everything else with success. */
class RecordingHelper implements HelperPort {
  readonly calls: Call[] = [];
  readonly namespaces: string[] = [];
  async call(request: Call): Promise<never> {
    this.calls.push(request);
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const answers: Partial<{ [O in keyof HelperResults]: HelperResults[O] }> = {
      info: { version: 'test', uid, qemuUid: uid, qemuGid: gid, runtimeRoot: '/nonexistent', namespaces: [...this.namespaces] },
      'netem.set': { qdisc: 'netem', notApplied: [] },
    };
    if (request.op === 'ns.create') this.namespaces.push(request.ns);
    return ((answers as Record<string, unknown>)[request.op] ?? {}) as never;
  }
  on(): () => void {
    return () => {};
  }
  close(): void {}
}

function lab(): LabDocument {
  const result = validateLab({
    format: 'wirebench/1',
    id: '0123456789abcdef',
    name: 'plan',
    bridges: [{ name: 'lan' }],
    vms: [{ name: 'a' }, { name: 'b' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24', link: 'down', impairments: { delayMs: 5 } },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

const ns = 'wb-01234567';
let savedRuntimeDir: string | undefined;

beforeEach(() => {
  // The runtime folder goes under a temporary XDG_RUNTIME_DIR (root always uses /run/wirebench/0; the tests bring down what they bring up).
  savedRuntimeDir = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'wb-plan-run-'));
});
afterEach(() => {
  if (savedRuntimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = savedRuntimeDir;
});

async function openEngineWith(helper: RecordingHelper, document = lab()) {
  const dir = mkdtempSync(join(tmpdir(), 'wb-plan-'));
  const path = join(dir, 'plan.lab.json');
  writeFileSync(path, serializeLab(document));
  const engine = new Engine({ controlSocket: false, recoveryDir: join(dir, 'recovery'), runtime: { helper: async () => helper, accel: 'tcg' } });
  const events: LabEvent[] = [];
  engine.onEvent((e) => events.push(e));
  await engine.invoke('lab.open', { path });
  return { engine, events };
}

describe('LabRuntime through its helper seam', () => {
  it('brings a lab\'s network up with the plan\'s helper calls, in order', async () => {
    const helper = new RecordingHelper();
    const document = lab();
    const runtime = new LabRuntime(() => document, { events: new EventBus(), helper: async () => helper });
    const status = await runtime.upNetworkOnly();
    expect(status.running).toBe(true);
    expect(helper.calls).toEqual([
      { op: 'info' },
      { op: 'ns.create', ns },
      { op: 'bridge.create', ns, bridge: 'br-lan' },
      { op: 'tap.create', ns, tap: 'a.lan' },
      { op: 'link.attach', ns, tap: 'a.lan', bridge: 'br-lan' },
      // b's cable is pulled: its TAP is up but on no bridge; its impairments apply anyway.
      { op: 'tap.create', ns, tap: 'b.lan' },
      { op: 'link.set', ns, dev: 'b.lan', up: true },
      { op: 'netem.set', ns, dev: 'b.lan', netem: { delayMs: 5 } },
    ]);
  });

  it('the helper dying in the middle of lab up is a clear error: what happened, what is left, what to do', async () => {
    const helper = new RecordingHelper();
    const dying = Object.assign(Object.create(helper) as RecordingHelper, {
      call: async (request: Call): Promise<never> => {
        if (request.op === 'tap.create') {
          throw new HelperCallError('helper-exited', 'privileged helper exited (signal SIGKILL) before answering "tap.create"; it has been restarted — retry the operation', 'tap.create');
        }
        return helper.call(request);
      },
    });
    const document = lab();
    const runtime = new LabRuntime(() => document, { events: new EventBus(), helper: async () => dying });
    tally('helper gone during up (double)', { faults: 1 });
    const err = await runtime.up().then(
      () => null,
      (e: unknown) => e as WirebenchError,
    );
    expect(err).toMatchObject({ code: 'helper-exited', hint: expect.stringContaining('run `lab down` to remove what was built') });
    expect(err?.message).toMatch(/^lab up stopped half way while (building the network|starting VMs): privileged helper exited \(signal SIGKILL\) before answering "tap\.create"\. The lab is half built: 0 of 2 VMs run\.$/);
  });

  it('down deletes the namespace it created (one call) and reports the lab stopped', async () => {
    const helper = new RecordingHelper();
    const document = lab();
    const runtime = new LabRuntime(() => document, { events: new EventBus(), helper: async () => helper });
    await runtime.upNetworkOnly();
    helper.calls.length = 0;
    const status = await runtime.down();
    expect(helper.calls).toEqual([{ op: 'ns.delete', ns }]);
    expect(status.running).toBe(false);
  });

  it('a pulled cable on a stopped lab changes only the document: no helper call, one lab.changed batch', async () => {
    const helper = new RecordingHelper();
    const { engine, events } = await openEngineWith(helper);
    const before = (await engine.invoke('lab.current', {}))!.revision;
    const info = await engine.invoke('nic.disconnect', { vm: 'a', guestName: 'eth0' });
    expect(info.link).toBe('down');
    expect(helper.calls).toEqual([]);
    const current = (await engine.invoke('lab.current', {}))!;
    expect(current.document.nics.find((n) => n.vm === 'a')!.link).toBe('down');
    expect(current.revision).toBe(before + 1);
    expect(events.filter((e) => e.type === 'lab.changed')).toEqual([
      { type: 'lab.changed', revision: before + 1, changes: [{ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { link: 'down' } }], origin: 'engine', problems: [] },
    ]);
    await engine.close();
  });

  it('follows a change batch on a running network: new bridge created, removed bridge deleted; stopped VMs need nothing', async () => {
    const helper = new RecordingHelper();
    const { engine } = await openEngineWith(helper);
    await engine.invoke('lab.upNetwork', {});
    helper.calls.length = 0;
    const result = await changeLab(engine, [
      { kind: 'bridge.add', bridge: { name: 'wan', position: { x: 0, y: 0 } } },
      { kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { impairments: { lossPercent: 1 } } },
    ]);
    expect(result.restartNeeded).toEqual([]);
    // The VMs are not running: their NIC edits are read at their next start.
    expect(helper.calls).toEqual([{ op: 'bridge.create', ns, bridge: 'br-wan' }]);
    helper.calls.length = 0;
    await changeLab(engine, [{ kind: 'bridge.remove', name: 'wan' }]);
    expect(helper.calls).toEqual([{ op: 'bridge.delete', ns, bridge: 'br-wan' }]);
    await engine.invoke('lab.down', {});
    await engine.close();
  });

  it('refuses a stale batch and one that does not fit, leaving the document as it was', async () => {
    const helper = new RecordingHelper();
    const { engine } = await openEngineWith(helper);
    const { revision, document } = (await engine.invoke('lab.current', {}))!;
    await engine.invoke('lab.change', { baseRevision: revision, changes: [{ kind: 'lab.rename', name: 'first' }] });
    await expect(engine.invoke('lab.change', { baseRevision: revision, changes: [{ kind: 'lab.rename', name: 'second' }] })).rejects.toMatchObject({ code: 'stale-revision' });
    await expect(engine.invoke('lab.change', { baseRevision: revision + 1, changes: [{ kind: 'vm.remove', name: 'nope' }] })).rejects.toMatchObject({ code: 'change-refused' });
    const after = (await engine.invoke('lab.current', {}))!;
    expect(after.revision).toBe(revision + 1);
    expect(after.document).toEqual({ ...document, name: 'first' });
    await engine.close();
  });

  it('keeps a document with errors but does not run it', async () => {
    const helper = new RecordingHelper();
    const { engine } = await openEngineWith(helper);
    const result = await changeLab(engine, [{ kind: 'vm.update', name: 'a', patch: { routes: [{ to: 'default', via: '10.9.9.1' }] } }]);
    expect(result.problems.map((p) => p.path)).toEqual(['vms[0].routes[0].via']);
    await expect(engine.invoke('lab.up', {})).rejects.toMatchObject({ code: 'invalid-lab' });
    expect(helper.calls).toEqual([]);
    await engine.close();
  });
});

describe('NIC operations on a running VM', () => {
  /** A running VM whose QMP session records what it is told. */
  function runningVm() {
    const qmpCalls: Array<[string, unknown]> = [];
    const record = (name: string) => async (arg: unknown) => {
      qmpCalls.push([name, arg]);
    };
    const qmp = { netdevAdd: record('netdev_add'), deviceAdd: record('device_add'), deviceDel: record('device_del'), netdevDel: record('netdev_del'), setLink: record('set_link') } as unknown as NicQmp;
    const vm = { state: 'running', qmp: () => qmp, run: async () => ({ exitCode: 0, output: '' }) };
    return { vm, qmpCalls };
  }

  function nicOps(document: LabDocument) {
    const { vm, qmpCalls } = runningVm();
    const hostCalls: string[] = [];
    const ctx: RuntimeContext = {
      events: new EventBus(),
      document: () => document,
      namespace: ns,
      helper: async () => new RecordingHelper(),
      labDir: async () => '/nonexistent',
    };
    const network = {
      nicUp: async (nic: { vm: string; bridge: string }) => void hostCalls.push(`tap up ${nic.vm}.${nic.bridge}`),
      deleteTap: async (nic: { vm: string; bridge: string }) => void hostCalls.push(`tap delete ${nic.vm}.${nic.bridge}`),
      setCable: async (nic: { vm: string; bridge: string; link: string }) => void hostCalls.push(`cable ${nic.vm}.${nic.bridge} ${nic.link}`),
    };
    const ops = new NicOps(ctx, network, { get: (name) => (name === 'a' ? vm : undefined) }, () => {});
    return { ops, qmpCalls, hostCalls };
  }

  const addrOf = (qmpCalls: Array<[string, unknown]>) => qmpCalls.filter(([c]) => c === 'device_add').map(([, d]) => (d as { addr: string }).addr);

  it('hot-plug picks the first free PCI slot after the boot NICs, and reuses a slot an unplug freed', async () => {
    const document = validateLab({
      format: 'wirebench/1',
      id: '0123456789abcdef',
      name: 'slots',
      bridges: [{ name: 'lan' }, { name: 'wan' }, { name: 'dmz' }, { name: 'mgmt' }],
      vms: [{ name: 'a' }],
      nics: [
        { vm: 'a', bridge: 'lan' },
        { vm: 'a', bridge: 'wan' },
        { vm: 'a', bridge: 'dmz' },
        { vm: 'a', bridge: 'mgmt' },
      ],
    });
    if (!document.ok) throw new Error('fixture');
    const { ops, qmpCalls, hostCalls } = nicOps(document.lab);
    // It booted with lan and wan.
    ops.bootSlots('a', { nics: [{ deviceId: 'nic-lan' }, { deviceId: 'nic-wan' }] } as unknown as QemuSpec);
    const hex = (n: number) => `0x${n.toString(16)}`;
    await ops.hotPlug(document.lab.nics[2]!);
    expect(addrOf(qmpCalls)).toEqual([hex(FIRST_NIC_SLOT + 2)]);
    // TAP first, then QEMU's netdev and device.
    expect(hostCalls).toEqual(['tap up a.dmz']);
    expect(qmpCalls.map(([c]) => c)).toEqual(['netdev_add', 'device_add']);
    await ops.hotUnplug(document.lab.nics[0]!);
    await ops.hotPlug(document.lab.nics[3]!);
    expect(addrOf(qmpCalls)).toEqual([hex(FIRST_NIC_SLOT + 2), hex(FIRST_NIC_SLOT)]);
  });

  it('a cable pulled on a running VM leaves the bridge before the guest sees carrier loss', async () => {
    const document = lab();
    const { ops, qmpCalls, hostCalls } = nicOps(document);
    await ops.applyLink({ ...document.nics[0]!, link: 'down' });
    expect(hostCalls).toEqual(['cable a.lan down']);
    expect(qmpCalls).toEqual([['set_link', 'net-lan']]);
  });
});
