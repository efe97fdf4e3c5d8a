/**
 * The guest-agent client against a stand-in that speaks the QEMU guest agent's wire protocol
 * (qga/qapi-schema.json: guest-sync-delimited, guest-exec, guest-exec-status) and runs the
 * commands with the host's /bin/sh. No image with qemu-guest-agent is built on these machines,
 * so the protocol is what is tested here; the tiny guest's own channel is tested with real VMs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuestAgent } from './guest-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-qga-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A QGA-speaking server. `stale` is written before anything else (an earlier client's answer). */
function fakeAgent(path: string, opts: { stale?: string; silent?: boolean } = {}): Promise<Server> {
  const processes = new Map<number, { exitcode: number; out: string; err: string; readyAt: number }>();
  let nextPid = 100;
  const server = createServer((socket: Socket) => {
    if (opts.stale) socket.write(opts.stale);
    let buffer = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      if (opts.silent) return;
      buffer += text;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).replace(/^\xff/, '');
        buffer = buffer.slice(nl + 1);
        const request = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as { execute: string; arguments: Record<string, unknown> };
        if (request.execute === 'guest-sync-delimited') socket.write(`\xff${JSON.stringify({ return: request.arguments.id })}\n`, 'latin1');
        else if (request.execute === 'guest-exec') {
          const args = request.arguments.arg as string[];
          const run = spawnSync(request.arguments.path as string, args, { encoding: 'utf8' });
          const pid = nextPid++;
          // The process "runs" for 250 ms, so the client has to poll.
          processes.set(pid, { exitcode: run.status ?? 1, out: run.stdout, err: run.stderr, readyAt: Date.now() + 250 });
          socket.write(`${JSON.stringify({ return: { pid } })}\n`);
        } else if (request.execute === 'guest-exec-status') {
          const p = processes.get(request.arguments.pid as number);
          if (!p) socket.write(`${JSON.stringify({ error: { class: 'GenericError', desc: 'Invalid parameter pid' } })}\n`);
          else if (Date.now() < p.readyAt) socket.write(`${JSON.stringify({ return: { exited: false } })}\n`);
          else {
            const b64 = (s: string) => Buffer.from(s).toString('base64');
            socket.write(`${JSON.stringify({ return: { exited: true, exitcode: p.exitcode, 'out-data': b64(p.out), 'err-data': b64(p.err) } })}\n`);
          }
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('QEMU guest agent client', () => {
  it('runs commands with their exit codes and output (stdout, then stderr), one after another', async () => {
    const path = join(dir, 'ok.sock');
    const server = await fakeAgent(path);
    const agent = await GuestAgent.connect(path, 'img');
    expect(await agent.answers()).toBe(true);
    const [a, b, c] = await Promise.all([agent.run('echo hello; echo oops >&2'), agent.run('exit 3'), agent.run("printf 'ünï\\n'")]);
    expect(a).toEqual({ exitCode: 0, output: 'hello\noops' });
    expect(b.exitCode).toBe(3);
    expect(c.output).toBe('ünï');
    agent.close();
    server.close();
  });

  it('skips what an earlier client left on the line before its own sync answer', async () => {
    const path = join(dir, 'stale.sock');
    const server = await fakeAgent(path, { stale: '{"return": {"pid": 7}}\n{"retu' });
    const agent = await GuestAgent.connect(path, 'img');
    expect(await agent.run('echo fresh')).toEqual({ exitCode: 0, output: 'fresh' });
    agent.close();
    server.close();
  });

  it('says so when the image has no agent, and names what to install', async () => {
    const path = join(dir, 'silent.sock');
    const server = await fakeAgent(path, { silent: true });
    const agent = await GuestAgent.connect(path, 'img');
    expect(await agent.answers(300)).toBe(false);
    await expect(agent.run('true', { timeoutMs: 400 })).rejects.toThrow(/qemu-guest-agent installed/);
    agent.close();
    server.close();
  });

  it('gives up on a command that runs too long, saying it may still run', async () => {
    const path = join(dir, 'slow.sock');
    const server = await fakeAgent(path);
    const agent = await GuestAgent.connect(path, 'img');
    await expect(agent.run('true', { timeoutMs: 150 })).rejects.toThrow(/did not finish within 150 ms .*may still run/);
    agent.close();
    server.close();
  });
});
