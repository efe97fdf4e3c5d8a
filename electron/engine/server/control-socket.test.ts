/**
 * The control socket against a fake engine: protocol, permissions, per-connection events,
 * clean-up when a client goes away, stale and live socket files. The CLI's side
 * (electron/cli/lab-connection.ts) is exercised against the same fake.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabEvent, Reply } from '../../../shared/api.js';
import { namespaceName } from '../../../shared/host-names.js';
import { LAB_FORMAT, serializeLab, validateLab } from '../../../shared/lab.js';
import { connectLab } from '../../cli/lab-connection.js';
import { Engine } from '../engine.js';
import type { EngineClient } from '../engine-client.js';
import { ControlSocketServer, controlSocketPath, LabControl, refuseIfHeldElsewhere, socketAnswers, type ControlEndpoint } from './control-socket.js';

const lab = (() => {
  const r = validateLab({ format: LAB_FORMAT, id: 'feedc0de00000001', name: 'ctl', bridges: [{ name: 'lan' }], vms: [{ name: 'a' }], nics: [{ vm: 'a', bridge: 'lan' }] });
  if (!r.ok) throw new Error('bad lab');
  return r.lab;
})();

class FakeEngine implements ControlEndpoint {
  readonly listeners = new Set<(event: LabEvent) => void>();
  readonly calls: Array<{ channel: unknown; params: unknown; client: EngineClient }> = [];
  readonly disconnected: EngineClient[] = [];
  nextCapture = 1;

  async dispatch(channel: unknown, params: unknown, client: EngineClient): Promise<Reply> {
    this.calls.push({ channel, params, client });
    switch (channel) {
      case 'lab.current':
        return { ok: true, result: { path: '/x/ctl.lab.json', document: lab, problems: [], revision: 1 } };
      case 'lab.status':
        return { ok: true, result: { namespace: namespaceName(lab), running: true, vms: [], restartNeeded: [] } };
      case 'console.open':
        // The engine sends this client its console's bytes, before it answers.
        client.send({ type: 'console.data', vm: 'a', data: 'just for you' });
        return { ok: true, result: { state: 'running', history: 'boot\n' } };
      case 'nic.capture':
        return { ok: true, result: { captureId: `cap-${this.nextCapture++}`, title: 'a/eth0 (lan)' } };
      case 'capture.stop':
        return { ok: true, result: { packets: 1, kernelDrops: 0 } };
      case 'slow':
        await new Promise((r) => setTimeout(r, 200));
        return { ok: true, result: {} };
      default:
        return { ok: false, error: { code: 'unknown-command', message: `unknown command ${JSON.stringify(channel)}` } };
    }
  }
  disconnectClient(client: EngineClient): void {
    this.disconnected.push(client);
  }
  onEvent(listener: (event: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: LabEvent): void {
    for (const l of this.listeners) l(event);
  }
}

/** A raw line-protocol client. */
async function rawClient(path: string) {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  const lines: unknown[] = [];
  let buffer = '';
  socket.setEncoding('utf8').on('data', (t: string) => {
    buffer += t;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 1);
    }
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, lines, closed, send: (text: string) => socket.write(text) };
}

const servers: ControlSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(false);
});

function tempSocket(): string {
  return join(mkdtempSync(join(tmpdir(), 'wb-ctl-')), 'control.sock');
}

describe('control socket', () => {
  it('lives in the lab runtime folder', () => {
    expect(controlSocketPath('wb-12345678', 0, '/run/user/0')).toBe('/run/wirebench/0/wb-12345678/control.sock');
    expect(controlSocketPath('wb-12345678', 1000, '/run/user/1000')).toBe('/run/user/1000/wirebench/wb-12345678/control.sock');
  });

  it('is a 0600 socket that answers requests line by line, errors as data', async () => {
    const path = tempSocket();
    const engine = new FakeEngine();
    servers.push(await ControlSocketServer.listen(path, engine));
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);

    const c = await rawClient(path);
    c.send('{"id":1,"channel":"lab.status","params":{}}\n{"id":2,"chan');
    c.send('nel":"nope","params":{}}\nnot json\n{"id":7,"params":{}}\n');
    await expect.poll(() => c.lines.length).toBe(4);
    // Answers come as they are ready (each carries its request's id), not in request order.
    const byId = (id: number | null) => c.lines.find((l) => (l as { id: unknown }).id === id);
    expect(byId(1)).toEqual({ id: 1, reply: { ok: true, result: expect.objectContaining({ running: true }) } });
    expect(byId(2)).toEqual({ id: 2, reply: { ok: false, error: { code: 'unknown-command', message: 'unknown command "nope"' } } });
    expect(byId(null)).toMatchObject({ id: null, reply: { ok: false, error: { code: 'bad-message', message: expect.stringContaining('unreadable message') } } });
    expect(byId(7)).toMatchObject({ id: 7, reply: { ok: false, error: { code: 'bad-message', message: expect.stringContaining('channel') } } });
    c.socket.end();
  });

  it('sends broadcast events to every connection and targeted ones to their client only', async () => {
    const path = tempSocket();
    const engine = new FakeEngine();
    servers.push(await ControlSocketServer.listen(path, engine));
    const one = await rawClient(path);
    const two = await rawClient(path);
    await expect.poll(() => engine.listeners.size).toBe(2);
    engine.emit({ type: 'vm.state', vm: 'a', state: 'running', reason: null });
    one.send('{"id":1,"channel":"console.open","params":{"vm":"a"}}\n');
    await expect.poll(() => one.lines.length).toBe(3);
    expect(one.lines).toEqual([
      { event: { type: 'vm.state', vm: 'a', state: 'running', reason: null } },
      { event: { type: 'console.data', vm: 'a', data: 'just for you' } },
      { id: 1, reply: { ok: true, result: { state: 'running', history: 'boot\n' } } },
    ]);
    await expect.poll(() => two.lines.length).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(two.lines).toEqual([{ event: { type: 'vm.state', vm: 'a', state: 'running', reason: null } }]);
    one.socket.end();
    two.socket.end();
  });

  it('when a client goes away: the engine drops it and its unfinished captures are stopped', async () => {
    const path = tempSocket();
    const engine = new FakeEngine();
    servers.push(await ControlSocketServer.listen(path, engine));
    const c = await rawClient(path);
    c.send('{"id":1,"channel":"nic.capture","params":{"nic":{"vm":"a","bridge":"lan"},"options":{}}}\n');
    c.send('{"id":2,"channel":"nic.capture","params":{"nic":{"vm":"a","bridge":"lan"},"options":{}}}\n');
    c.send('{"id":3,"channel":"nic.capture","params":{"nic":{"vm":"a","bridge":"lan"},"options":{}}}\n');
    await expect.poll(() => c.lines.length).toBe(3);
    c.send('{"id":4,"channel":"capture.stop","params":{"captureId":"cap-1"}}\n');
    await expect.poll(() => c.lines.length).toBe(4);
    engine.emit({ type: 'capture.ended', captureId: 'cap-2', packets: null, kernelDrops: null });
    await expect.poll(() => c.lines.length).toBe(5);
    const client = engine.calls[0]!.client;
    c.socket.destroy();
    await expect.poll(() => engine.disconnected.length).toBe(1);
    expect(engine.disconnected[0]).toBe(client);
    await expect.poll(() => engine.calls.filter((x) => x.channel === 'capture.stop').map((x) => x.params)).toEqual([{ captureId: 'cap-1' }, { captureId: 'cap-3' }]);
    expect(engine.listeners.size).toBe(0);
  });

  it('replaces a stale socket file, refuses to take over a live one, removes its own on close', async () => {
    const path = tempSocket();
    // A socket file nobody listens on (its engine was killed).
    execFileSync('python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)})`]);
    expect(statSync(path).isSocket()).toBe(true);
    expect(await socketAnswers(path)).toBe(false);
    const server = await ControlSocketServer.listen(path, new FakeEngine());
    expect(await socketAnswers(path)).toBe(true);
    await expect(ControlSocketServer.listen(path, new FakeEngine())).rejects.toMatchObject({ code: 'lab-held' });
    expect(await socketAnswers(path)).toBe(true);
    await server.close(false);
    expect(existsSync(path)).toBe(false);
  });

  it('a graceful close answers the request in flight, then ends the connection', async () => {
    const path = tempSocket();
    const server = await ControlSocketServer.listen(path, new FakeEngine());
    const c = await rawClient(path);
    c.send('{"id":9,"channel":"slow","params":{}}\n');
    await new Promise((r) => setTimeout(r, 50));
    await Promise.race([server.close(true), c.closed]);
    await c.closed;
    expect(c.lines).toEqual([{ id: 9, reply: { ok: true, result: {} } }]);
    expect(existsSync(path)).toBe(false);
  });

  it('LabControl follows the lab: listening while it runs, gone when it stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-ctl-'));
    const errors: string[] = [];
    const control = new LabControl(new FakeEngine(), { pathFor: (ns) => join(dir, ns, 'control.sock'), onError: (m) => errors.push(m) });
    // No runtime folder: nothing to serve, and nothing to complain about.
    await control.update('wb-00000001');
    expect(control.path).toBeNull();
    execFileSync('mkdir', ['-p', join(dir, 'wb-00000001')]);
    await control.update('wb-00000001');
    expect(control.path).toBe(join(dir, 'wb-00000001', 'control.sock'));
    expect(await socketAnswers(control.path!)).toBe(true);
    await control.update(null);
    expect(control.path).toBeNull();
    await expect.poll(() => existsSync(join(dir, 'wb-00000001', 'control.sock'))).toBe(false);
    await control.update('wb-00000001');
    await control.close();
    expect(existsSync(join(dir, 'wb-00000001', 'control.sock'))).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe('an engine and a lab another engine holds', () => {
  it('refuses to adopt it (QEMU would not answer) and says who has it', async () => {
    // A namespace of our own, and a control socket answering in its runtime folder.
    const id = randomBytes(8).toString('hex');
    const held = { ...lab, id };
    const ns = namespaceName(held);
    const socket = controlSocketPath(ns);
    execFileSync('ip', ['netns', 'add', ns]);
    mkdirSync(dirname(socket), { recursive: true });
    const server = await ControlSocketServer.listen(socket, new FakeEngine());
    const dir = mkdtempSync(join(tmpdir(), 'wb-ctl-'));
    const file = join(dir, 'held.lab.json');
    writeFileSync(file, serializeLab(held));
    const engine = new Engine({ controlSocket: false });
    try {
      await engine.invoke('lab.open', { path: file });
      const reply = await engine.dispatch('lab.status', {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'lab-held', message: expect.stringContaining(`which answers on ${socket}`) } });
      // Once that engine is gone, this one may take the lab over (here: a bare namespace, nothing to adopt).
      await server.close(false);
      expect(await refuseIfHeldElsewhere(ns, 'ctl')).toBeUndefined();
    } finally {
      await engine.close();
      await server.close(false);
      rmSync(dirname(socket), { recursive: true, force: true });
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('connectLab without a control socket', () => {
  it('waits while another command holds the lab lock, takes over a dead one, then runs its own engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-ctl-'));
    const file = join(dir, 'ctl.lab.json');
    // An id no namespace has: the in-process engine adopts nothing and needs no helper.
    writeFileSync(file, serializeLab({ ...lab, id: 'feedc0de00000002' }));
    const path = join(dir, 'control.sock');
    const lock = join(dir, 'control.lock');
    const sleeper = spawn('sleep', ['30']);
    writeFileSync(lock, `${sleeper.pid}\n`);
    const waits: string[] = [];
    const connecting = connectLab(file, { socketPath: path, onWait: (m) => waits.push(m) });
    await expect.poll(() => waits.length, { timeout: 5_000 }).toBe(1);
    expect(waits[0]).toBe(`waiting for another wirebench command (pid ${sleeper.pid}) to finish with lab "ctl"`);
    sleeper.kill('SIGKILL');
    const conn = await connecting;
    expect(conn.via).toBe('engine');
    // A short verb keeps the lock while it runs, and serves no socket.
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    expect((await conn.invoke('lab.status', {})).running).toBe(false);
    expect(existsSync(path)).toBe(false);
    await conn.close();
    expect(existsSync(lock)).toBe(false);
  });
});

describe('connectLab over the control socket', () => {
  it('uses the socket when it answers: commands, errors with their code, targeted events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-ctl-'));
    const file = join(dir, 'ctl.lab.json');
    writeFileSync(file, serializeLab(lab));
    const path = join(dir, 'control.sock');
    const engine = new FakeEngine();
    const server = await ControlSocketServer.listen(path, engine);
    servers.push(server);
    const conn = await connectLab(file, { socketPath: path });
    expect(conn.via).toBe('control-socket');
    expect(conn.namespace).toBe(namespaceName(lab));
    expect((await conn.invoke('lab.status', {})).running).toBe(true);
    const events: LabEvent[] = [];
    conn.onEvent((e) => events.push(e));
    expect(await conn.invoke('console.open', { vm: 'a' })).toEqual({ state: 'running', history: 'boot\n' });
    expect(events).toEqual([{ type: 'console.data', vm: 'a', data: 'just for you' }]);
    await expect(conn.invoke('vm.start', { vm: 'a' })).rejects.toMatchObject({ code: 'unknown-command' });

    const lost: string[] = [];
    conn.onLost((why) => lost.push(why));
    const pending = conn.invoke('slow' as 'lab.status', {});
    await server.close(false);
    await expect(pending).rejects.toMatchObject({ code: 'engine-gone' });
    expect(lost[0]).toContain('closed its control socket');
    await conn.close();
  });
});
