/**
 * Browser mode over TLS: with a certificate and key the server speaks HTTPS/WSS only, so a WSS
 * client gets `welcome` and a plain WS client to the same port gets nothing usable; refused
 * connections (a wrong token, a foreign Origin) are logged with their source.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent, Reply } from '../../../shared/api.js';
import { startLabServer, type EngineEndpoint, type LabServer } from './lab-server.js';
import { makeCertificate } from '../test-support/tls-cert.js';

const engine: EngineEndpoint = {
  dispatch: async (): Promise<Reply> => ({ ok: true, result: null }),
  onEvent: (_listener: (event: LabEvent) => void) => () => undefined,
  disconnectClient: () => undefined,
};

let dir = '';
let server: LabServer;
const logged: string[] = [];
let cert: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wb-tls-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>wirebench</title>');
  const files = makeCertificate(dir);
  cert = readFileSync(files.cert);
  server = await startLabServer({ engine, staticDir: dir, token: 'tls-token', tls: { cert, key: readFileSync(files.key) }, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The first thing the socket says: a server message, a close code, or an error. */
function firstOutcome(ws: WebSocket, hello?: string): Promise<string> {
  return new Promise((resolve) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token: hello ?? 'tls-token' })));
    ws.on('message', (data) => resolve(`message ${data.toString()}`));
    ws.on('close', (code) => resolve(`close ${code}`));
    ws.on('error', (err) => resolve(`error ${err.message}`));
    setTimeout(() => resolve('timeout'), 5_000);
  });
}

describe('browser mode over TLS', () => {
  it('serves https:// URLs', () => {
    expect(server.origin).toBe(`https://127.0.0.1:${server.port}`);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=tls-token$/);
  });

  it('a WSS client with the token gets welcome', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/api`, { origin: server.origin, ca: cert });
    expect(await firstOutcome(ws)).toBe('message {"type":"welcome"}');
    ws.terminate();
  });

  it('a plain WS client to the same port cannot connect', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { origin: `http://127.0.0.1:${server.port}` });
    const outcome = await firstOutcome(ws);
    expect(outcome).not.toMatch(/^message/);
    expect(outcome).toMatch(/^(error|close)/);
    ws.terminate();
  });

  it('a wrong token is refused and logged with its source', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/api`, { origin: server.origin, rejectUnauthorized: false });
    expect(await firstOutcome(ws, 'guess')).toBe('close 4001');
    await new Promise((r) => setTimeout(r, 50));
    expect(logged.join('\n')).toMatch(/refused a wrong token from 127\.0\.0\.1:\d+ \(Origin "https:\/\/127\.0\.0\.1:\d+", Host "127\.0\.0\.1:\d+"\)/);
  });

  it('a foreign Origin is refused and logged with its source', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/api`, { origin: 'https://evil.example', rejectUnauthorized: false });
    expect(await firstOutcome(ws)).toMatch(/^error Unexpected server response: 403/);
    expect(logged.join('\n')).toMatch(/refused a connection from 127\.0\.0\.1:\d+ \(Origin "https:\/\/evil\.example"/);
  });

  it('an unusable key is refused with a clear message', async () => {
    await expect(startLabServer({ engine, staticDir: dir, tls: { cert, key: 'not a key' } })).rejects.toThrow(/cannot serve HTTPS with the given certificate and key: .*--tls-key/);
  });
});
