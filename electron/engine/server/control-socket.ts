/**
 * The lab's control socket: how CLI verbs reach a running lab whatever engine holds it.
 *
 * QEMU serves ONE client per QMP and serial socket (docs/platform-notes.md), so while an engine
 * (the app, `wirebench serve`, a CLI `console` or `capture`) holds a running lab, a second
 * engine cannot adopt it. The holder therefore listens on `<labDir>/control.sock` (labDir =
 * `/run/wirebench/<uid>/<namespace>`, shared/runtime-paths.ts) and runs other programs'
 * commands through its own `Engine.dispatch`.
 *
 * Protocol: newline-delimited JSON, the browser-mode WebSocket's messages (shared/ws-protocol.ts)
 * without the hello: the client sends `{id, channel, params}` (a command of shared/api.ts),
 * the server answers `{id, reply}` (errors as data) and pushes `{event}` (every broadcast
 * event, plus the events targeted at this connection, e.g. the bytes of a console it opened)
 * and `{capture, data}` (the bytes of a capture this connection started, base64, after the
 * reply that names it and before its `capture.ended`; other connections get none).
 *
 * Access control: there is no token. The socket file is mode 0600, owned by the engine's user,
 * in the lab's runtime folder; only that user (root for a root-run lab) can connect: the
 * filesystem permission is the access control, as for QEMU's own QMP socket next to it.
 *
 * Life cycle: `LabControl` keeps the socket in step with the engine's lab: listening while the
 * lab's namespace is up in this engine, removed when the lab goes down or the engine closes.
 * A stale file (an engine that was killed) is replaced; a live one (another engine holds the
 * lab) is left alone. Each connection is an `EngineClient`; when it goes away the engine drops
 * its subscriptions and the captures it started are stopped.
 */
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { WirebenchError, type LabEvent, type Reply } from '../../../shared/api.js';
import { labRuntimeDir, runtimeRoot } from '../../../shared/runtime-paths.js';
import { MAX_MESSAGE_BYTES, requestSchema, type CaptureLine, type ServerMessage } from '../../../shared/ws-protocol.js';
import type { EngineClient } from '../engine-client.js';

export const CONTROL_SOCKET_NAME = 'control.sock';

/** A connection that does not read is not worth an unbounded buffer: past this, counter ticks are dropped for it. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** `<labDir>/control.sock` of the lab whose namespace is `namespace`, for this process's user. */
export function controlSocketPath(namespace: string, uid = process.getuid?.() ?? 0, xdgRuntimeDir = process.env.XDG_RUNTIME_DIR): string {
  return join(labRuntimeDir(runtimeRoot(uid, xdgRuntimeDir), namespace), CONTROL_SOCKET_NAME);
}

/**
 * Refuses to adopt a lab that another engine holds: QEMU would not answer a second client, so
 * adopting would only see the VMs as crashed. Costs one stat when the lab's namespace does not exist.
 */
export async function refuseIfHeldElsewhere(namespace: string, labName: string): Promise<void> {
  if (!existsSync(`/run/netns/${namespace}`)) return;
  const path = controlSocketPath(namespace);
  if (!existsSync(path) || !(await socketAnswers(path, 1_000))) return;
  throw new WirebenchError(
    'lab-held',
    `lab "${labName}" is run by another Wirebench program (the app, wirebench serve, or a wirebench console or capture), which answers on ${path}`,
    'use that program (the wirebench CLI verbs go through it), or close it first',
  );
}

/** What the control socket needs from the engine (the real `Engine`, or a test double). */
export interface ControlEndpoint {
  dispatch(channel: unknown, params: unknown, client: EngineClient): Promise<Reply>;
  disconnectClient(client: EngineClient): void;
  onEvent(listener: (event: LabEvent) => void): () => void;
}

/**
 * Whether something listens on the unix socket `path`: true when a connection is accepted,
 * false when the file is missing or nobody listens (a stale socket file).
 */
export function socketAnswers(path: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One connected client: parses its lines, runs them through the engine, writes replies and events. */
class ControlConnection {
  readonly client: EngineClient;
  private readonly unsubscribe: () => void;
  private buffer = '';
  private inFlight = 0;
  private endWhenIdle = false;
  /** Captures this client started and has not stopped: stopped for it when it goes away. */
  private readonly captures = new Set<string>();

  constructor(
    private readonly socket: Socket,
    private readonly endpoint: ControlEndpoint,
    onGone: () => void,
  ) {
    this.client = {
      send: (event) => this.write({ event }),
      openCapture: (captureId) => ({
        write: (bytes) => this.write({ capture: captureId, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') }),
        end: () => {},
      }),
    };
    this.unsubscribe = endpoint.onEvent((event) => {
      if (event.type === 'counters.tick' && socket.writableLength > MAX_BUFFERED_BYTES) return;
      if (event.type === 'capture.ended') this.captures.delete(event.captureId);
      this.write({ event });
    });
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onData(text));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.unsubscribe();
      endpoint.disconnectClient(this.client);
      for (const captureId of this.captures) void endpoint.dispatch('capture.stop', { captureId }, this.client);
      this.captures.clear();
      onGone();
    });
  }

  /** Ends the connection once every request in flight has its answer (the lab went down). */
  finish(): void {
    this.endWhenIdle = true;
    if (this.inFlight === 0) this.socket.end();
  }

  destroy(): void {
    this.socket.end();
    this.socket.destroySoon();
  }

  private write(message: ServerMessage | CaptureLine): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(`${JSON.stringify(message)}\n`);
  }

  private fail(id: number | null, code: string, message: string): void {
    this.write({ id, reply: { ok: false, error: { code, message } } });
  }

  private onData(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim()) this.onLine(line);
    }
    if (this.buffer.length > MAX_MESSAGE_BYTES) {
      this.buffer = '';
      this.fail(null, 'too-large', `a message of more than ${MAX_MESSAGE_BYTES} bytes was refused; send one JSON request per line`);
      this.socket.end();
    }
  }

  private onLine(line: string): void {
    if (line.length > MAX_MESSAGE_BYTES) return this.fail(null, 'too-large', `message of ${line.length} bytes refused; the limit is ${MAX_MESSAGE_BYTES}`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return this.fail(null, 'bad-message', `unreadable message: ${(err as Error).message}; send one JSON object per line`);
    }
    const request = requestSchema.safeParse(value);
    if (!request.success) {
      const raw = (value as { id?: unknown } | null)?.id;
      const id = typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw : null;
      const first = request.error.issues[0];
      return this.fail(id, 'bad-message', `not a request: ${first?.path.join('.') || 'message'}: ${first?.message}; send {id, channel, params}`);
    }
    const { id, channel, params } = request.data;
    this.inFlight += 1;
    void this.endpoint.dispatch(channel, params, this.client).then((reply) => {
      this.track(channel, params, reply);
      this.write({ id, reply });
      this.inFlight -= 1;
      if (this.endWhenIdle && this.inFlight === 0) this.socket.end();
    });
  }

  private track(channel: string, params: unknown, reply: Reply): void {
    if (!reply.ok) return;
    if (channel === 'nic.capture' || channel === 'bridge.capture') {
      const captureId = (reply.result as { captureId?: unknown }).captureId;
      if (typeof captureId === 'string') this.captures.add(captureId);
    } else if (channel === 'capture.stop') {
      this.captures.delete((params as { captureId: string }).captureId);
    }
  }
}

/** A listening control socket. */
export class ControlSocketServer {
  private readonly connections = new Set<ControlConnection>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly inode: number,
  ) {}

  /**
   * Listens on `path` (mode 0600). Replaces a stale socket file; refuses (`lab-held`) when
   * another engine answers there.
   */
  static async listen(path: string, endpoint: ControlEndpoint): Promise<ControlSocketServer> {
    if (await socketAnswers(path)) {
      throw Object.assign(new Error(`another Wirebench engine already serves ${path}`), { code: 'lab-held' });
    }
    // Bound under a private name, made 0600, then moved into place: no moment where the socket
    // is reachable with the umask's mode, and a stale file is replaced in one step.
    const temporary = `${path}.${process.pid}.tmp`;
    rmSync(temporary, { force: true });
    let self: ControlSocketServer | null = null;
    const server = createServer((socket) => {
      if (!self || self.closed) return socket.destroy();
      const connection: ControlConnection = new ControlConnection(socket, endpoint, () => self?.connections.delete(connection));
      self.connections.add(connection);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(temporary, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      chmodSync(temporary, 0o600);
      renameSync(temporary, path);
    } catch (err) {
      server.close();
      rmSync(temporary, { force: true });
      throw err;
    }
    self = new ControlSocketServer(path, server, statSync(path).ino);
    // Never keeps the process alive by itself (a CLI exits when its work is done).
    server.unref();
    return self;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops listening and removes the socket file (if it is still ours). `graceful`: connections
   * end once their requests in flight are answered (the lab went down by one of them);
   * otherwise they end now (the engine closes).
   */
  async close(graceful: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (statSync(this.path).ino === this.inode) rmSync(this.path, { force: true });
    } catch {
      // Gone already (lab down removes the whole runtime folder).
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const connection of this.connections) {
        if (graceful) connection.finish();
        else connection.destroy();
      }
    });
  }
}

/**
 * Keeps an engine's control socket in step with its lab: `update(namespace)` when the lab is
 * up in this engine, `update(null)` when it is not. Failures never reach the command that
 * caused the update; an unexpected one is reported through `onError`.
 */
export class LabControl {
  private server: ControlSocketServer | null = null;
  private namespace: string | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly endpoint: ControlEndpoint,
    private readonly options: {
      /** Where a lab's socket goes (default `controlSocketPath`; tests use a temporary folder). */
      pathFor?: (namespace: string) => string;
      onError?: (message: string) => void;
    } = {},
  ) {}

  /** The socket path while listening, else null. */
  get path(): string | null {
    return this.server?.path ?? null;
  }

  update(namespace: string | null): Promise<void> {
    this.chain = this.chain.then(() => this.apply(namespace)).catch((err: unknown) => this.report(`control socket: ${(err as Error).message}`));
    return this.chain;
  }

  private report(message: string): void {
    (this.options.onError ?? ((text: string) => process.stderr.write(`wirebench: ${text}\n`)))(message);
  }

  /** Stops listening and ends every connection now. */
  close(): Promise<void> {
    this.chain = this.chain.then(async () => {
      this.namespace = null;
      const server = this.server;
      this.server = null;
      await server?.close(false);
    });
    return this.chain;
  }

  private async apply(namespace: string | null): Promise<void> {
    // Same lab and already serving: nothing to do. Same lab but not serving (another engine
    // held it): try again, that engine may be gone.
    if (namespace === this.namespace && (this.server || !namespace)) return;
    this.namespace = namespace;
    const previous = this.server;
    this.server = null;
    // Not awaited: a graceful close waits for the very command that brought the lab down.
    if (previous) void previous.close(true);
    if (!namespace) return;
    const path = (this.options.pathFor ?? controlSocketPath)(namespace);
    // No runtime folder (a namespace made by hand): nothing to serve.
    if (!existsSync(dirname(path))) return;
    try {
      this.server = await ControlSocketServer.listen(path, this.endpoint);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // Another engine holds the lab.
      if (code === 'lab-held') return;
      this.report(`cannot serve the lab's control socket ${path}: ${(err as Error).message}`);
    }
  }
}
