/**
 * Two clients of one engine, each with its own renderer stores and engine sync (as two windows,
 * or a window and a browser tab, are): both edit the same lab and see each other's changes; a
 * batch made against an old revision is refused and its client recovers; and with real guests,
 * undo of a pulled cable plugs it back in on the running lab (the guest's carrier goes 0, then 1).
 *
 * Each client talks to the engine the way Electron's preload does: params and events cross as
 * JSON, parsed by the contract on the receiving side (shared/unwrap-reply.ts).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labEventSchema, type LabEvent } from '../shared/api.js';
import { namespaceName } from '../shared/host-names.js';
import { labApiOverBridge } from '../shared/unwrap-reply.js';
import type { EngineClient } from '../electron/engine/engine-client.js';
import type { Engine } from '../electron/engine/engine.js';
import { namespaces, openEngine, twoVmLab, waitFor } from '../electron/engine/test-support/system-lab.js';
import { CounterHub } from '../renderer/store/counter-hub.js';
import { startEngineSync } from '../renderer/store/engine-sync.js';
import { createLabStore } from '../renderer/store/lab-store.js';
import { createRuntimeStore } from '../renderer/store/runtime-store.js';
import { missingLabHost, skipWhenMissing } from './support/prerequisites.js';

/** One window: its own stores and sync over its own engine client; `hold()` delays its events (a slow link). */
async function openClient(engine: Engine, name: string) {
  const client: EngineClient = { send: () => {} };
  let held: LabEvent[] | null = null;
  const listeners = new Set<(event: LabEvent) => void>();
  const deliver = (event: LabEvent) => listeners.forEach((l) => l(labEventSchema.parse(JSON.parse(JSON.stringify(event)))));
  const off = engine.onEvent((event) => (held ? held.push(event) : deliver(event)));
  const api = labApiOverBridge({
    invoke: async (channel, params) => engine.dispatch(channel, JSON.parse(JSON.stringify(params)), client),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  const lab = createLabStore();
  const runtime = createRuntimeStore();
  const sync = startEngineSync(api, { lab, runtime, counters: new CounterHub() }, { debounceMs: 10, origin: name });
  const current = (await api.lab.current())!;
  lab.getState().load({ path: current.path, document: current.document, revision: current.revision });
  return {
    lab,
    runtime,
    sync,
    hold: () => (held = []),
    release: () => {
      const queued = held ?? [];
      held = null;
      queued.forEach(deliver);
    },
    close: () => {
      sync.stop();
      off();
      engine.disconnectClient(client);
    },
  };
}
type Client = Awaited<ReturnType<typeof openClient>>;

const engineDocument = async (engine: Engine) => (await engine.invoke('lab.current', {}))!;

// The tests of each describe run in order on one engine and one pair of clients: each starts
// from the document the one before left (said here, as the issue asks of order-dependent tests).
describe('two clients edit one lab (no VMs)', () => {
  let engine: Engine;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    ({ engine } = await openEngine(twoVmLab(), undefined, { controlSocket: false }));
    a = await openClient(engine, 'window-a');
    b = await openClient(engine, 'window-b');
  });
  afterAll(async () => {
    a.close();
    b.close();
    await engine.close();
  });

  it('each sees the other\'s edits; both replicas equal the engine\'s document', async () => {
    a.lab.getState().apply({ kind: 'vm.update', name: 'a', patch: { name: 'alpha' } });
    await a.sync.flush();
    expect(b.lab.getState().document!.vms.map((v) => v.name)).toEqual(['alpha', 'b']);
    expect(b.lab.getState().document!.nics[0]!.vm).toBe('alpha');

    b.lab.getState().apply({ kind: 'bridge.update', name: 'lan', patch: { position: { x: 40, y: 80 } } });
    b.lab.getState().apply({ kind: 'nic.update', vm: 'b', bridge: 'lan', patch: { impairments: { delayMs: 20 } } });
    await b.sync.flush();
    expect(a.lab.getState().document!.bridges[0]!.position).toEqual({ x: 40, y: 80 });
    expect(a.lab.getState().document!.nics[1]!.impairments).toEqual({ delayMs: 20 });

    const { document, revision } = await engineDocument(engine);
    expect(a.lab.getState().document).toEqual(document);
    expect(b.lab.getState().document).toEqual(document);
    expect([a.lab.getState().revision, b.lab.getState().revision]).toEqual([revision, revision]);
    // Another window's edits are not undo steps here: a's undo reverts a's rename only.
    a.lab.getState().undo();
    await a.sync.flush();
    expect(b.lab.getState().document!.vms[0]!.name).toBe('a');
    expect(b.lab.getState().document!.nics[1]!.impairments).toEqual({ delayMs: 20 });
  });

  it('edits sent at the same moment both land: the later one is rebased on the earlier', async () => {
    a.lab.getState().apply({ kind: 'lab.rename', name: 'from-a' });
    b.lab.getState().apply({ kind: 'vm.update', name: 'b', patch: { cpus: 2 } });
    await Promise.all([a.sync.flush(), b.sync.flush()]);
    const { document } = await engineDocument(engine);
    expect(document.name).toBe('from-a');
    expect(document.vms[1]!.cpus).toBe(2);
    expect(a.lab.getState().document).toEqual(document);
    expect(b.lab.getState().document).toEqual(document);
  });

  it('a stale batch is refused and its client recovers with the engine\'s document', async () => {
    // b's link is slow: a's batch reaches the engine, but its event not b.
    b.hold();
    a.lab.getState().apply({ kind: 'bridge.add', bridge: { name: 'wan', position: { x: 0, y: 0 } } });
    await a.sync.flush();
    const before = await engineDocument(engine);
    b.lab.getState().apply({ kind: 'lab.rename', name: 'from-b' });
    await b.sync.flush();
    // Refused as stale (nothing to rebase on): b reloaded, its edit dropped and it was told.
    const after = await engineDocument(engine);
    expect(after).toEqual(before);
    expect(b.lab.getState().document).toEqual(after.document);
    expect(b.lab.getState().revision).toBe(after.revision);
    expect(b.runtime.getState().notices.at(-1)?.text).toMatch(/changed elsewhere/);
    // The held events are old news now; b keeps working normally.
    b.release();
    b.lab.getState().apply({ kind: 'lab.rename', name: 'from-b' });
    await b.sync.flush();
    expect((await engineDocument(engine)).document.name).toBe('from-b');
    expect(a.lab.getState().document!.name).toBe('from-b');
  });
});

const skip = skipWhenMissing('e2e/two-clients.spec.ts', missingLabHost());

describe.skipIf(skip)('two clients on a running lab', () => {
  const lab = twoVmLab();
  const ns = namespaceName(lab);
  let engine: Engine;
  let a: Client;
  let b: Client;
  const carrier = async () => (await engine.invoke('vm.run', { vm: 'a', command: 'cat /sys/class/net/eth0/carrier' })).output.trim();
  const linkIn = (c: Client) => c.lab.getState().document!.nics.find((n) => n.vm === 'a')!.link;

  beforeAll(async () => {
    ({ engine } = await openEngine(lab));
    a = await openClient(engine, 'window-a');
    b = await openClient(engine, 'window-b');
    await engine.invoke('lab.up', {});
  }, 240_000);
  afterAll(async () => {
    a?.close();
    b?.close();
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('pulling a cable is an undoable edit: undo plugs it back in on the running lab', { timeout: 120_000 }, async () => {
    expect(await carrier()).toBe('1');
    // As the canvas's "Disconnect (pull cable)" does.
    a.lab.getState().apply({ kind: 'nic.update', vm: 'a', bridge: 'lan', patch: { link: 'down' } });
    await a.sync.flush();
    expect(await carrier()).toBe('0');
    expect(linkIn(b)).toBe('down');
    expect(a.lab.getState().history.undo).toHaveLength(1);

    a.lab.getState().undo();
    await a.sync.flush();
    expect(await carrier()).toBe('1');
    expect(linkIn(a)).toBe('up');
    expect(linkIn(b)).toBe('up');
    await waitFor('a to reach b after the re-plug', async () => (await engine.invoke('vm.run', { vm: 'a', command: 'ping -c 1 -W 2 10.0.0.2 >/dev/null 2>&1' })).exitCode === 0, 15_000, 500);
    // The CLI's nic.disconnect takes the same path: both windows see it.
    await engine.invoke('nic.disconnect', { vm: 'a', guestName: 'eth0' });
    expect(await carrier()).toBe('0');
    expect([linkIn(a), linkIn(b)]).toEqual(['down', 'down']);
  });
});
