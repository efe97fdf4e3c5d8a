/**
 * `wirebench serve` as a person runs it (the CLI in its own process): a non-loopback --host
 * without --expose is refused with exit 2 and a message naming --expose; with --expose it warns
 * what a token holder can do (run inside a test namespace, so nothing on the host's network is
 * reachable); with --tls-cert/--tls-key a WSS client gets welcome, a plain WS client does not,
 * and a wrong token is logged on stderr with its source.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { makeCertificate } from '../../engine/test-support/tls-cert.js';
import { forceRemoveNamespace, randomNamespace } from '../../helper/test-support/system.js';
import { tally } from '../../../test-support/suite-tally.js';

const REPO = resolve(import.meta.dirname, '../../..');
const CLI = ['--import', 'tsx', join(REPO, 'electron/cli/main.ts')];
const children: ChildProcessWithoutNullStreams[] = [];
let dir = '';
let pem: { cert: string; key: string };
const namespaces: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wb-serve-'));
  pem = makeCertificate(dir);
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  namespaces.forEach(forceRemoveNamespace);
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `serve ARGS`; resolves with its URL once printed, and a view of its stderr. */
async function serve(args: string[], wrap: string[] = []): Promise<{ url: string; stderr: () => string; child: ChildProcessWithoutNullStreams }> {
  const command = wrap.length ? wrap[0]! : process.execPath;
  const child = spawn(command, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), ...CLI, 'serve', ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const match = /browser mode: (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { url, stderr: () => stderr, child };
}

function firstOutcome(ws: WebSocket, token: string): Promise<string> {
  return new Promise((done) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.on('message', (data) => done(`message ${data.toString()}`));
    ws.on('close', (code) => done(`close ${code}`));
    ws.on('error', (err) => done(`error ${err.message}`));
    setTimeout(() => done('timeout'), 5_000);
  });
}

describe('wirebench serve exposure', () => {
  it('refuses a non-loopback --host without --expose (exit 2, names --expose)', () => {
    const result = spawnSync(process.execPath, [...CLI, 'serve', '--host', '0.0.0.0'], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    tally('serve --host without --expose', { badInputs: 1 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--expose');
    expect(result.stderr).toMatch(/run commands as root inside the lab VMs/);
    expect(result.stdout).not.toContain('browser mode');
  });

  it('with --expose it warns what a token holder can do (bound inside a test namespace)', async () => {
    const ns = randomNamespace();
    namespaces.push(ns);
    spawnSync('ip', ['netns', 'add', ns]);
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const served = await serve(['--host', '0.0.0.0', '--expose', '--port', '0'], ['ip', 'netns', 'exec', ns]);
    await new Promise((r) => setTimeout(r, 200));
    expect(served.stderr()).toMatch(/warning: --expose: listening on 0\.0\.0\.0:\d+\. Anyone who can reach this port and holds the token can run commands as root inside the lab VMs, capture their traffic, start and stop VMs and labs, and read and write any lab file/);
    expect(served.stderr()).toMatch(/unencrypted/);
    served.child.kill('SIGTERM');
  });

  it('serves WSS with --tls-cert/--tls-key: WSS gets welcome, plain WS does not, a wrong token is logged with its source', async () => {
    const served = await serve(['--port', '0', '--tls-cert', pem.cert, '--tls-key', pem.key]);
    const url = new URL(served.url);
    expect(url.protocol).toBe('https:');
    const token = url.searchParams.get('token')!;
    const ca = readFileSync(pem.cert);

    const wss = new WebSocket(`wss://127.0.0.1:${url.port}/api`, { origin: url.origin, ca });
    expect(await firstOutcome(wss, token)).toBe('message {"type":"welcome"}');
    wss.terminate();

    const plain = new WebSocket(`ws://127.0.0.1:${url.port}/api`, { origin: `http://127.0.0.1:${url.port}` });
    expect(await firstOutcome(plain, token)).toMatch(/^(error|close)/);
    plain.terminate();

    tally('serve: plain WS on TLS, wrong token', { badInputs: 2 });
    const guess = new WebSocket(`wss://127.0.0.1:${url.port}/api`, { origin: url.origin, rejectUnauthorized: false });
    expect(await firstOutcome(guess, 'not-the-token')).toBe('close 4001');
    await new Promise((r) => setTimeout(r, 200));
    expect(served.stderr()).toMatch(/refused a wrong token from 127\.0\.0\.1:\d+ \(Origin "https:\/\/127\.0\.0\.1:\d+"/);
    served.child.kill('SIGTERM');
  });
});
