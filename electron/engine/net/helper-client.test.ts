/**
 * HelperClient: restart-once against the real bundled helper (killed with SIGKILL mid-call),
 * and the protocol edge cases (timeouts, malformed lines, wrong shapes, events) against a tiny
 * fake helper written here, which can misbehave on request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HelperCallError, HelperClient, helperCommand, INSTALLED_HELPER_PATH, type CaptureEnded } from './helper-client.js';

const HELPER_BUNDLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../out/helper/wirebench-helper.mjs');
const asRoot = process.getuid?.() === 0;

/**
 * Speaks the protocol for `info` and `capture.start`; `link.set` requests pick a misbehaviour
 * by their `dev` field, so each test says what it wants the helper to do.
 */
const FAKE_HELPER = String.raw`
import { createInterface } from 'node:readline';
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const r = JSON.parse(line);
  if (r.op === 'info') return send({ id: r.id, ok: true, result: { version: 'fake', uid: 0, qemuUid: 65534, qemuGid: 65534, runtimeRoot: '/run/wirebench/0', namespaces: [] } });
  if (r.op === 'capture.start') return send({ id: r.id, ok: true, result: { captureId: 'cap-7', fifo: '/run/wirebench/0/captures/cap-7.pcap' } });
  if (r.op === 'capture.stop') return send({ id: r.id, ok: true, result: { packetsCaptured: 3, kernelDrops: 0 } });
  switch (r.dev) {
    case 'ok': return send({ id: r.id, ok: true, result: {} });
    case 'refuse': return send({ id: r.id, ok: false, error: { code: 'not-owned', message: 'not mine', hint: 'create it first' } });
    case 'garbage':
      // Not JSON, then JSON of the wrong shape without an id, then the real answer in two pieces.
      process.stdout.write('this is not json\n{"hello":"world"}\n{"id":' + r.id + ',"ok":tr');
      return setTimeout(() => process.stdout.write('ue,"result":{}}\n'), 20);
    case 'bad-shape': return send({ id: r.id, ok: true, result: 'not an object' });
    case 'wrong-result': return send({ id: r.id, ok: true, result: { unexpected: 1 } });
    case 'silent': return;
    case 'late': return setTimeout(() => send({ id: r.id, ok: true, result: {} }), 300);
    case 'events':
      send({ event: 'capture.ended', captureId: 'cap-1', packetsCaptured: 5, kernelDrops: 1 });
      send({ event: 'capture.ended', captureId: 'cap-2', packetsCaptured: null, kernelDrops: null });
      return setTimeout(() => send({ id: r.id, ok: true, result: {} }), 50);
    case 'die': process.stderr.write('fake helper: dying on request\n'); return process.exit(3);
  }
});
`;

let dir = '';
let fake = '';
const clients: HelperClient[] = [];

async function startFake(): Promise<HelperClient> {
  const client = await HelperClient.start({ helperPath: fake, asRoot: true });
  clients.push(client);
  return client;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wirebench-helper-client-'));
  fake = join(dir, 'fake-helper.mjs');
  writeFileSync(fake, FAKE_HELPER);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('HelperClient protocol handling (fake helper)', () => {
  it('resolves answers and rethrows helper errors as Errors with code and hint', async () => {
    const client = await startFake();
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'ok', up: true })).resolves.toEqual({});
    const err = await client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'refuse', up: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelperCallError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'not-owned', message: 'not mine', hint: 'create it first', op: 'link.set' });
  });

  it('skips lines that are not protocol and reassembles split answers', async () => {
    const client = await startFake();
    const logs: string[] = [];
    client.on('log', (line) => logs.push(line));
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'garbage', up: true })).resolves.toEqual({});
    expect(logs.some((l) => l.includes('not JSON'))).toBe(true);
    expect(logs.some((l) => l.includes('malformed'))).toBe(true);
  });

  it('rejects answers of the wrong shape as bad-response', async () => {
    const client = await startFake();
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'bad-shape', up: true })).rejects.toMatchObject({ code: 'bad-response' });
    // link.set answers {} — a result with other fields is refused too.
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'wrong-result', up: true })).rejects.toMatchObject({ code: 'bad-response' });
    // The client is still usable afterwards.
    await expect(client.call({ op: 'info' })).resolves.toMatchObject({ version: 'fake' });
  });

  it('times calls out, ignores late answers, and keeps working', async () => {
    const client = await startFake();
    const started = Date.now();
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'silent', up: true }, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringContaining('within 150 ms'),
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'late', up: true }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((r) => setTimeout(r, 350)); // the late answer arrives and is dropped
    await expect(client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'ok', up: true })).resolves.toEqual({});
  });

  it('delivers capture.ended events until unsubscribed', async () => {
    const client = await startFake();
    const seen: CaptureEnded[] = [];
    const off = client.on('capture.ended', (e) => {
      seen.push(e);
      off();
    });
    await client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'events', up: true });
    expect(seen).toEqual([{ captureId: 'cap-1', packetsCaptured: 5, kernelDrops: 1 }]);
  });

  it('reports running captures as ended when the helper dies, and restarts it once', async () => {
    const client = await startFake();
    const ended: CaptureEnded[] = [];
    const restarted: string[] = [];
    client.on('capture.ended', (e) => ended.push(e));
    client.on('restarted', (e) => restarted.push(e.reason));
    await client.call({ op: 'capture.start', ns: 'wb-00000000', dev: 'br-a' });
    const err = await client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'die', up: true }).catch((e: unknown) => e as HelperCallError);
    expect(err).toMatchObject({ code: 'helper-exited' });
    expect((err as Error).message).toMatch(/privileged helper exited \(code 3\).*dying on request.*restarted/);
    expect(ended).toEqual([{ captureId: 'cap-7', packetsCaptured: null, kernelDrops: null }]);
    expect(restarted).toEqual(['code 3']);
    await expect(client.call({ op: 'info' })).resolves.toMatchObject({ version: 'fake' });
  });

  it('fails pending calls when closed, and refuses calls afterwards', async () => {
    const client = await startFake();
    const pending = client.call({ op: 'link.set', ns: 'wb-00000000', dev: 'silent', up: true }).catch((e: unknown) => e);
    await client.close();
    await expect(pending).resolves.toMatchObject({ code: 'client-closed' });
    await expect(client.call({ op: 'info' })).rejects.toMatchObject({ code: 'client-closed' });
  });

  it('says how to fix a helper that cannot start', async () => {
    const missing = join(dir, 'not-built.mjs');
    const err = await HelperClient.start({ helperPath: missing, asRoot: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'start-failed', hint: expect.stringContaining('npm run build') });
    expect((err as Error).message).toMatch(/exited \(code 1\) while starting/);
  });
});

describe('helper launch command', () => {
  const env = { PATH: '/usr/bin', WIREBENCH_ACCEL: 'tcg', HOME: '/home/u' };

  it('runs the bundle directly as root', () => {
    const cmd = helperCommand({ helperPath: '/repo/out/helper/wirebench-helper.mjs', nodePath: '/usr/bin/node' }, { isRoot: true, isElectron: false, env, installedHelperExists: false });
    expect(cmd.file).toBe('/usr/bin/node');
    expect(cmd.args).toEqual(['/repo/out/helper/wirebench-helper.mjs']);
    expect(cmd.env.WIREBENCH_ACCEL).toBe('tcg');
  });

  it('goes through pkexec and env otherwise, passing WIREBENCH_* variables as argv', () => {
    const cmd = helperCommand({ helperPath: '/repo/out/helper/wirebench-helper.mjs', nodePath: '/opt/app/wirebench' }, { isRoot: false, isElectron: true, env, installedHelperExists: false });
    expect(cmd.file).toBe('pkexec');
    expect(cmd.args).toEqual(['/usr/bin/env', 'WIREBENCH_ACCEL=tcg', 'ELECTRON_RUN_AS_NODE=1', '/opt/app/wirebench', '/repo/out/helper/wirebench-helper.mjs']);
  });

  it('prefers the installed helper (its own polkit action) when present', () => {
    const cmd = helperCommand({}, { isRoot: false, isElectron: false, env, installedHelperExists: true });
    expect(cmd).toMatchObject({ file: 'pkexec', args: [INSTALLED_HELPER_PATH] });
  });
});

describe.runIf(asRoot)('HelperClient with the real helper', () => {
  it('restarts the helper once after it is killed mid-call, and only once', async () => {
    const client = await HelperClient.start({ helperPath: HELPER_BUNDLE });
    clients.push(client);
    const firstPid = client.pid!;
    expect((await client.call({ op: 'info' })).uid).toBe(0);

    // Stopped first, so the call is certainly in flight (unanswered) when the kill lands.
    process.kill(firstPid, 'SIGSTOP');
    const inFlight = client.call({ op: 'info' });
    process.kill(firstPid, 'SIGKILL');
    await expect(inFlight).rejects.toMatchObject({
      code: 'helper-exited',
      message: expect.stringMatching(/^privileged helper exited \(signal SIGKILL\).*restarted/),
    });
    expect(client.restarts).toBe(1);

    // The next call goes to the restarted helper.
    await expect(client.call({ op: 'info' })).resolves.toMatchObject({ uid: 0 });
    const secondPid = client.pid!;
    expect(secondPid).not.toBe(firstPid);

    process.kill(secondPid, 'SIGSTOP');
    const again = client.call({ op: 'info' });
    process.kill(secondPid, 'SIGKILL');
    await expect(again).rejects.toMatchObject({ code: 'helper-exited', message: expect.stringContaining('already restarted once') });
    await expect(client.call({ op: 'info' })).rejects.toMatchObject({ message: expect.stringContaining('already restarted once') });
    expect(client.restarts).toBe(1);
  });
});
