/**
 * A capture's bytes go to the client that started it, and to nobody else: through the real
 * Engine (its helper a double that hands out real FIFOs, written to at once, before the engine
 * has even answered), over every transport a client can use:
 * - in process: two EngineClients;
 * - the browser-mode WebSocket: binary frames (capture id header, then the pcap bytes) on the
 *   opener's socket only, after the JSON reply that names the capture; a second socket gets none;
 * - the control socket: `{capture, data}` lines to the connection that started it only.
 * A client that goes away stops the captures it started.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent } from '../../../shared/api.js';
import type { HelperCall, HelperResults } from '../../../shared/helper-protocol.js';
import { serializeLab, validateLab, type LabDocument } from '../../../shared/lab.js';
import { captureLineSchema, decodeCaptureFrame, encodeCaptureFrame, serverMessageSchema, type ServerMessage } from '../../../shared/ws-protocol.js';
import { Engine } from '../engine.js';
import type { HelperPort } from '../lab/lab-runtime.js';
import { ControlSocketServer } from '../server/control-socket.js';
import { startLabServer, type LabServer } from '../server/lab-server.js';
import { captureRecorder } from '../test-support/capture-recorder.js';
import { waitFor } from '../test-support/system-lab.js';

/** The pcap file header tcpdump writes first (little-endian magic). */
const PCAP_HEADER = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');

/**
 * The helper as a double: `capture.start` makes a real FIFO and writes the pcap header into it
 * at once (as tcpdump does, before the engine answers its client); `capture.stop` closes it.
 */
class CaptureHelper implements HelperPort {
  readonly calls: HelperCall[] = [];
  readonly writers = new Map<string, number>();
  private next = 1;
  constructor(private readonly dir: string) {}
  async call(request: HelperCall): Promise<never> {
    this.calls.push(request);
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    if (request.op === 'info') return { version: 'test', uid, qemuUid: uid, qemuGid: gid, runtimeRoot: '/nonexistent', namespaces: [] } satisfies HelperResults['info'] as never;
    if (request.op === 'capture.start') {
      const captureId = `cap-${this.next++}`;
      const fifo = join(this.dir, `${captureId}.pcap`);
      execFileSync('mkfifo', ['-m', '0600', fifo]);
      const writer = openSync(fifo, constants.O_RDWR);
      writeSync(writer, PCAP_HEADER);
      this.writers.set(captureId, writer);
      return { captureId, fifo } as never;
    }
    if (request.op === 'capture.stop') {
      const writer = this.writers.get(request.captureId);
      if (writer !== undefined) closeSync(writer);
      this.writers.delete(request.captureId);
      return { packetsCaptured: 1, kernelDrops: 0 } as never;
    }
    return {} as never;
  }
  /** More bytes from "tcpdump". */
  write(captureId: string, bytes: Buffer): void {
    writeSync(this.writers.get(captureId)!, bytes);
  }
  on(): () => void {
    return () => {};
  }
  close(): void {}
}

function lab(): LabDocument {
  const result = validateLab({ format: 'wirebench/1', id: 'fedcba9876543210', name: 'streams', bridges: [{ name: 'lan' }], vms: [], nics: [] });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

let dir = '';
let helper: CaptureHelper;
let engine: Engine;
let savedRuntimeDir: string | undefined;

beforeEach(async () => {
  savedRuntimeDir = process.env.XDG_RUNTIME_DIR;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'wb-streams-run-'));
  dir = mkdtempSync(join(tmpdir(), 'wb-streams-'));
  helper = new CaptureHelper(dir);
  const path = join(dir, 'streams.lab.json');
  writeFileSync(path, serializeLab(lab()));
  engine = new Engine({ controlSocket: false, recoveryDir: join(dir, 'recovery'), runtime: { helper: async () => helper, accel: 'tcg' } });
  await engine.invoke('lab.open', { path });
  await engine.invoke('lab.upNetwork', {});
});

afterEach(async () => {
  await engine.invoke('lab.down', {}).catch(() => undefined);
  await engine.close();
  if (savedRuntimeDir === undefined) delete process.env.XDG_RUNTIME_DIR;
  else process.env.XDG_RUNTIME_DIR = savedRuntimeDir;
});

const capture = { bridge: 'lan', options: {} };

describe('capture bytes go to the client that started the capture', () => {
  it('in process: two clients, only the opener receives the bytes; both hear that it ended', async () => {
    const opener = captureRecorder();
    const other = captureRecorder();
    const broadcast: LabEvent[] = [];
    engine.onEvent((e) => broadcast.push(e));
    // The other client is busy with the engine too (it has a console-like subscription and commands).
    await engine.invoke('lab.status', {}, other.client);
    const { captureId } = await engine.invoke('bridge.capture', capture, opener.client);
    helper.write(captureId, Buffer.from('packet-1'));
    await waitFor('the first bytes', () => opener.bytes(captureId).length >= PCAP_HEADER.length + 8, 5_000, 10);
    const stopped = await engine.invoke('capture.stop', { captureId }, opener.client);
    expect(stopped).toEqual({ packets: 1, kernelDrops: 0 });
    expect(opener.bytes(captureId)).toEqual(Buffer.concat([PCAP_HEADER, Buffer.from('packet-1')]));
    expect(opener.ended(captureId)).toBe(true);
    expect(other.chunks(captureId)).toEqual([]);
    // No bytes on the broadcast bus; the end is a broadcast.
    expect(broadcast.map((e) => e.type)).toContain('capture.ended');
    expect(broadcast.every((e) => !('data' in e) || e.type === 'console.data')).toBe(true);
  });

  it('a client that goes away stops the captures it started', async () => {
    const opener = captureRecorder();
    const { captureId } = await engine.invoke('bridge.capture', capture, opener.client);
    engine.disconnectClient(opener.client);
    await waitFor('the capture to stop', () => helper.calls.some((c) => c.op === 'capture.stop' && c.captureId === captureId), 5_000, 10);
    await waitFor('its stream to end', () => opener.ended(captureId), 5_000, 10);
    // Stopping it again (the control socket does, for its connections) is one stop, not an error from the helper.
    await expect(engine.invoke('capture.stop', { captureId })).rejects.toMatchObject({ code: 'not-found' });
    expect(helper.calls.filter((c) => c.op === 'capture.stop')).toHaveLength(1);
  });

  describe('over the browser-mode WebSocket', () => {
    let server: LabServer;
    beforeEach(async () => {
      const staticDir = mkdtempSync(join(tmpdir(), 'wb-static-'));
      writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
      server = await startLabServer({ engine, staticDir, token: 'secret-token' });
    });
    afterEach(async () => {
      await server.close();
    });

    /** A hello'd socket that records text messages and binary frames in arrival order. */
    async function socket() {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { origin: server.origin });
      const log: Array<{ text: ServerMessage } | { binary: Buffer }> = [];
      ws.on('message', (data, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
        log.push(isBinary ? { binary: bytes } : { text: serverMessageSchema.parse(JSON.parse(bytes.toString())) });
      });
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'hello', token: 'secret-token' }));
      await waitFor('welcome', () => log.some((m) => 'text' in m && 'type' in m.text), 5_000, 10);
      return { ws, log, binary: () => log.flatMap((m) => ('binary' in m ? [m.binary] : [])) };
    }

    it('binary frames carry the bytes to the opener only, after the reply that names the capture; a second socket gets none', async () => {
      const opener = await socket();
      const other = await socket();
      opener.ws.send(JSON.stringify({ id: 1, channel: 'bridge.capture', params: capture }));
      await waitFor('the first frame', () => opener.binary().length > 0, 5_000, 10);
      const replyAt = opener.log.findIndex((m) => 'text' in m && 'id' in m.text && m.text.id === 1);
      const reply = opener.log[replyAt] as { text: { reply: { ok: true; result: { captureId: string } } } };
      const { captureId } = reply.text.reply.result;
      // The reply came first: the page knows the capture before its first byte.
      expect(opener.log.findIndex((m) => 'binary' in m)).toBeGreaterThan(replyAt);
      helper.write(captureId, Buffer.from('packet-1'));
      const received = () => Buffer.concat(opener.binary().map((f) => decodeCaptureFrame(new Uint8Array(f))!.bytes));
      await waitFor('the packet', () => received().length >= PCAP_HEADER.length + 8, 5_000, 10);
      opener.ws.send(JSON.stringify({ id: 2, channel: 'capture.stop', params: { captureId } }));
      await waitFor('the stop reply', () => opener.log.some((m) => 'text' in m && 'id' in m.text && m.text.id === 2), 5_000, 10);
      const frames = opener.binary().map((f) => decodeCaptureFrame(new Uint8Array(f)));
      expect(frames.every((f) => f?.captureId === captureId)).toBe(true);
      expect(Buffer.concat(frames.map((f) => f!.bytes))).toEqual(Buffer.concat([PCAP_HEADER, Buffer.from('packet-1')]));
      // Every frame came before capture.ended on the same socket.
      const endedAt = opener.log.findIndex((m) => 'text' in m && 'event' in m.text && m.text.event.type === 'capture.ended');
      expect(endedAt).toBeGreaterThan(opener.log.findLastIndex((m) => 'binary' in m));
      // The other socket: the end (a broadcast), but not one byte.
      await waitFor('the other socket to hear the end', () => other.log.some((m) => 'text' in m && 'event' in m.text && m.text.event.type === 'capture.ended'), 5_000, 10);
      expect(other.binary()).toEqual([]);
      opener.ws.terminate();
      other.ws.terminate();
    });

    it('frames the capture id in a small header', () => {
      const frame = encodeCaptureFrame('cap-12', new Uint8Array([1, 2, 3]));
      expect([...frame]).toEqual([1, 6, ...Buffer.from('cap-12'), 1, 2, 3]);
      expect(decodeCaptureFrame(frame)).toEqual({ captureId: 'cap-12', bytes: new Uint8Array([1, 2, 3]) });
      expect(decodeCaptureFrame(new Uint8Array([2, 1, 65, 0]))).toBeNull();
      expect(() => encodeCaptureFrame('', new Uint8Array())).toThrow(/frame header/);
    });
  });

  it('over the control socket: `{capture, data}` lines to the connection that started it only', async () => {
    const path = join(dir, 'control.sock');
    const control = await ControlSocketServer.listen(path, engine);
    const lines = async () => {
      const socket = connect(path);
      const got: unknown[] = [];
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => {
        buffer += text;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          got.push(JSON.parse(buffer.slice(0, nl)));
          buffer = buffer.slice(nl + 1);
        }
      });
      await new Promise((resolve) => socket.once('connect', resolve));
      return { socket, got };
    };
    const opener = await lines();
    const other = await lines();
    opener.socket.write(`${JSON.stringify({ id: 1, channel: 'bridge.capture', params: capture })}\n`);
    await waitFor('the first bytes', () => opener.got.some((m) => captureLineSchema.safeParse(m).success), 5_000, 10);
    const replyAt = opener.got.findIndex((m) => (m as { id?: number }).id === 1);
    const captureId = ((opener.got[replyAt] as { reply: { result: { captureId: string } } }).reply.result.captureId);
    expect(opener.got.findIndex((m) => captureLineSchema.safeParse(m).success)).toBeGreaterThan(replyAt);
    opener.socket.write(`${JSON.stringify({ id: 2, channel: 'capture.stop', params: { captureId } })}\n`);
    await waitFor('the stop reply', () => opener.got.some((m) => (m as { id?: number }).id === 2), 5_000, 10);
    const data = Buffer.concat(opener.got.flatMap((m) => {
      const line = captureLineSchema.safeParse(m);
      return line.success && line.data.capture === captureId ? [Buffer.from(line.data.data, 'base64')] : [];
    }));
    expect(data).toEqual(PCAP_HEADER);
    await waitFor('the other connection to hear the end', () => other.got.some((m) => (m as { event?: { type: string } }).event?.type === 'capture.ended'), 5_000, 10);
    expect(other.got.filter((m) => captureLineSchema.safeParse(m).success)).toEqual([]);
    opener.socket.destroy();
    other.socket.destroy();
    await control.close(false);
  });
});
