import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { errorToData, isChannel, parseParams, WirebenchError, type LabEvent, type Reply } from '../../../shared/api.js';
import { LAB_FORMAT } from '../../../shared/lab.js';
import { startLabServer, type EngineEndpoint, type LabServer } from './lab-server.js';
import { CLOSE_BAD_TOKEN, MAX_MESSAGE_BYTES, serverMessageSchema, type ServerMessage } from '../../../shared/ws-protocol.js';
import type { EngineClient } from '../engine-client.js';

/** Enough of the engine for transport tests: the contract's parsing and one command. */
class FakeEngine implements EngineEndpoint {
  readonly listeners = new Set<(event: LabEvent) => void>();
  readonly disconnected: EngineClient[] = [];
  disconnectClient(client: EngineClient): void {
    this.disconnected.push(client);
  }
  async dispatch(channel: unknown, params: unknown, _client: EngineClient): Promise<Reply> {
    try {
      if (!isChannel(channel)) throw new WirebenchError('unknown-command', `unknown command ${JSON.stringify(channel)}`);
      parseParams(channel, params);
      if (channel !== 'lab.current') throw new WirebenchError('not-implemented', channel);
      return { ok: true, result: { path: null, document: { format: LAB_FORMAT, name: 'demo', bridges: [], vms: [], nics: [] }, problems: [] } };
    } catch (err) {
      return { ok: false, error: errorToData(err) };
    }
  }
  onEvent(listener: (event: LabEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: LabEvent) {
    for (const l of this.listeners) l(event);
  }
}

let engine: FakeEngine;
let server: LabServer;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wb-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>wirebench</title>');
  engine = new FakeEngine();
  server = await startLabServer({ engine, staticDir: dir, token: 'secret-token', helloTimeoutMs: 2000 });
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server.close();
});

function open(origin = server.origin): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { origin });
  // Refused upgrades surface as 'error' too; the tests look at the close codes instead.
  ws.on('error', () => {});
  sockets.push(ws);
  return ws;
}

/** Collects parsed server messages; `next()` waits for the next one matching `match`. */
function inbox(ws: WebSocket) {
  const queue: ServerMessage[] = [];
  const waiters: Array<{ match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  ws.on('message', (data) => {
    const message = serverMessageSchema.parse(JSON.parse(data.toString()));
    const waiter = waiters.findIndex((w) => w.match(message));
    if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(message);
    else queue.push(message);
  });
  return {
    next(match: (m: ServerMessage) => boolean = () => true): Promise<ServerMessage> {
      const index = queue.findIndex(match);
      if (index >= 0) return Promise.resolve(queue.splice(index, 1)[0]!);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function session(): Promise<{ ws: WebSocket; box: ReturnType<typeof inbox> }> {
  const ws = open();
  const box = inbox(ws);
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'hello', token: 'secret-token' }));
  expect(await box.next()).toEqual({ type: 'welcome' });
  return { ws, box };
}

describe('browser-mode server', () => {
  it('serves the renderer with a strict CSP and refuses paths outside it', async () => {
    const page = await fetch(`${server.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const escape = await fetch(`${server.origin}/..%2f..%2fetc%2fpasswd`);
    expect([403, 404]).toContain(escape.status);
  });

  it('refuses a wrong token with a clear close code and reason', async () => {
    const ws = open();
    const done = closed(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'hello', token: 'guess' }));
    const { code, reason } = await done;
    expect(code).toBe(CLOSE_BAD_TOKEN);
    expect(reason).toMatch(/wrong token/);
  });

  it('refuses a command before hello', async () => {
    const ws = open();
    const done = closed(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ id: 1, channel: 'lab.current', params: {} }));
    expect((await done).reason).toMatch(/hello/);
  });

  it('refuses a foreign Origin with 403 at upgrade', async () => {
    const ws = open('http://evil.example');
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });

  it('a valid session calls lab.current and receives events', async () => {
    const { ws, box } = await session();
    ws.send(JSON.stringify({ id: 7, channel: 'lab.current', params: {} }));
    const reply = await box.next((m) => 'id' in m);
    expect(reply).toMatchObject({ id: 7, reply: { ok: true, result: { document: { name: 'demo' } } } });
    engine.emit({ type: 'vm.state', vm: 'a', state: 'running', reason: null });
    expect(await box.next((m) => 'event' in m)).toEqual({ event: { type: 'vm.state', vm: 'a', state: 'running', reason: null } });
  });

  it('answers malformed and oversized messages with errors and keeps serving', async () => {
    const { ws, box } = await session();
    ws.send('{not json');
    expect(await box.next((m) => 'id' in m)).toMatchObject({ id: null, reply: { ok: false, error: { code: 'bad-message' } } });
    ws.send(JSON.stringify({ id: 3, channel: 42 }));
    expect(await box.next((m) => 'id' in m)).toMatchObject({ id: 3, reply: { ok: false, error: { code: 'bad-message' } } });
    ws.send(JSON.stringify({ id: 4, channel: 'lab.open', params: { path: 5 } }));
    expect(await box.next((m) => 'id' in m)).toMatchObject({ id: 4, reply: { ok: false, error: { code: 'bad-request' } } });
    ws.send(JSON.stringify({ id: 5, channel: 'lab.validate', params: { document: 'x'.repeat(MAX_MESSAGE_BYTES + 10) } }));
    expect(await box.next((m) => 'id' in m)).toMatchObject({ id: null, reply: { ok: false, error: { code: 'too-large' } } });
    ws.send(JSON.stringify({ id: 6, channel: 'lab.current', params: {} }));
    expect(await box.next((m) => 'id' in m)).toMatchObject({ id: 6, reply: { ok: true } });
    // And a second client still gets in.
    await session();
  });
});
