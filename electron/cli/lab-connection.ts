/**
 * How a CLI verb reaches a lab, whatever started it: `connectLab(FILE)`.
 *
 * QEMU serves one client per QMP and serial socket, so while an engine holds a running lab
 * (the app, `wirebench serve`, another CLI's `console` or `capture`), only that engine can talk
 * to its VMs. Such an engine listens on `<labDir>/control.sock`
 * (electron/engine/server/control-socket.ts). So:
 *
 * - the socket answers → the verb runs through it (a remote client: invoke + events);
 * - it does not (nothing holds the lab, or a stale file of a killed engine) → an in-process
 *   `Engine` opens the file and adopts what runs (LabRuntime.adoptRunning); while the verb
 *   runs, that engine serves the control socket itself.
 *
 * Who serves: only verbs that stay a while (`console`, `capture`: `serve: true`) serve the
 * socket from their in-process engine, so others can join them. A short verb (`status`, `exec`,
 * `link`, `counters`) does not: a long verb that joined it would be cut off when it exits.
 *
 * Two verbs started at the same moment on a lab nobody holds would both adopt it, and the
 * second would find QEMU's sockets taken. So an in-process engine works under a lock file next
 * to the socket (`control.lock`, created exclusively, holding our pid): a serving verb holds it
 * until it adopted the lab and listens, a short verb until it is done; the other waits for the
 * lock or the socket, whichever comes first. A lock whose process is gone is taken over.
 *
 * Both give the same small interface, so verbs do not care which they got.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import {
  commands,
  errorFromData,
  WirebenchError,
  type CaptureInfo,
  type CaptureStreamSink,
  type Channel,
  type CommandParams,
  type CommandResult,
  type LabEvent,
  type Reply,
} from '../../shared/api.js';
import { Correlator } from '../../shared/correlator.js';
import { namespaceName } from '../../shared/host-names.js';
import { isProcessRunning } from '../common/process-state.js';
import type { LabDocument } from '../../shared/lab.js';
import { controlMessageSchema } from '../../shared/ws-protocol.js';
import { Engine, type EngineOptions } from '../engine/engine.js';
import type { EngineClient } from '../engine/engine-client.js';
import { readLabFile } from '../engine/lab/lab-file.js';
import { controlSocketPath } from '../engine/server/control-socket.js';

export interface LabConnection {
  /** `control-socket`: another engine holds the lab; `engine`: this process runs its own. */
  readonly via: 'control-socket' | 'engine';
  /** The lab as the engine that runs the commands knows it (the holder may have unsaved edits). */
  readonly document: LabDocument;
  readonly namespace: string;
  /** The control socket this connection uses, or that its own engine would serve. */
  readonly socketPath: string;
  invoke<C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>>;
  /** Broadcast events and the events meant for this connection (its consoles' bytes). */
  onEvent(listener: (event: LabEvent) => void): () => void;
  /**
   * Starts a capture and streams its bytes to `sink` (only this connection gets them), from
   * the first byte: the sink is attached when the reply naming the capture is read, before
   * anything after it. The stream ends with the capture (`capture.ended`) or the connection.
   */
  startCapture(request: CaptureRequest, sink: CaptureStreamSink): Promise<CaptureInfo>;
  /** Called once if the engine behind the connection goes away (control socket closed). */
  onLost(listener: (why: string) => void): () => void;
  close(): Promise<void>;
}

export type CaptureRequest = { channel: 'nic.capture'; params: CommandParams<'nic.capture'> } | { channel: 'bridge.capture'; params: CommandParams<'bridge.capture'> };

export interface ConnectOptions {
  /** Options of the in-process engine when no engine holds the lab. */
  engine?: EngineOptions;
  /** Control socket to try (default: the lab's `<labDir>/control.sock`). */
  socketPath?: string;
  /** When this process runs the lab itself: serve the control socket to other commands (long verbs). */
  serve?: boolean;
  /** Told once when the command waits for another one that has the lab. */
  onWait?: (message: string) => void;
}

/** How long a verb waits for another Wirebench command that has the lab (an `exec` may take minutes). */
const LOCK_WAIT_MS = 10 * 60_000;

/** Opens the lab file and connects to whatever runs it (see the header). */
export async function connectLab(file: string, options: ConnectOptions = {}): Promise<LabConnection> {
  const fromFile = await readLabFile(file);
  const namespace = namespaceName(fromFile);
  const socketPath = options.socketPath ?? controlSocketPath(namespace);
  const lockPath = join(dirname(socketPath), 'control.lock');
  const started = Date.now();
  let told = false;
  for (;;) {
    const socket = await tryConnect(socketPath);
    if (socket) return remoteLab(socket, namespace, socketPath, fromFile);
    // No runtime folder: the lab does not run, nobody can hold it, no lock needed.
    if (!existsSync(dirname(socketPath))) return localLab(file, fromFile, namespace, socketPath, options, null);
    if (takeLock(lockPath)) return localLab(file, fromFile, namespace, socketPath, options, lockPath);
    const holder = readLockPid(lockPath) ?? '?';
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new WirebenchError('lab-busy', `another Wirebench command (pid ${holder}) has had lab "${fromFile.name}" for ${LOCK_WAIT_MS / 60_000} minutes`, `wait for it to finish, or remove ${lockPath} if that process is gone`);
    }
    if (!told && Date.now() - started > 1_000) {
      told = true;
      options.onWait?.(`waiting for another wirebench command (pid ${holder}) to finish with lab "${fromFile.name}"`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The engine that holds the lab, over its control socket, or null when none does (for `up` and
 * `down`, which otherwise run their own engine: a lab held by the app is brought down by the app).
 */
export async function connectHolder(file: string): Promise<LabConnection | null> {
  const fromFile = await readLabFile(file);
  const namespace = namespaceName(fromFile);
  const socketPath = controlSocketPath(namespace);
  const socket = await tryConnect(socketPath);
  return socket ? remoteLab(socket, namespace, socketPath, fromFile) : null;
}

async function remoteLab(socket: Socket, namespace: string, socketPath: string, fromFile: LabDocument): Promise<LabConnection> {
  const remote = new RemoteLab(socket, namespace, socketPath, fromFile);
  try {
    const current = await remote.invoke('lab.current', {});
    // The socket is named after the namespace, so the holder runs this lab; take its view.
    if (current && namespaceName(current.document) === namespace) remote.document = current.document;
    return remote;
  } catch (err) {
    await remote.close();
    throw err;
  }
}

/**
 * This process's own engine. Serving, it adopts what runs and listens before the lock is
 * released; not serving, it keeps the lock until the connection closes.
 */
async function localLab(file: string, fromFile: LabDocument, namespace: string, socketPath: string, options: ConnectOptions, lockPath: string | null): Promise<LabConnection> {
  const serve = options.serve ?? false;
  const engine = new Engine({ ...options.engine, ...(serve ? {} : { controlSocket: false }) });
  const release = () => {
    if (lockPath) rmSync(lockPath, { force: true });
  };
  try {
    await engine.invoke('lab.open', { path: file });
    if (serve && lockPath) await engine.invoke('lab.status', {});
  } catch (err) {
    await engine.close();
    release();
    throw err;
  }
  if (serve) release();
  return new LocalLab(engine, fromFile, namespace, socketPath, serve ? () => undefined : release);
}

/** Creates the lock file exclusively; a lock whose process is gone is taken over. */
function takeLock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false; // the folder went away (lab down): the caller looks again
      if (code !== 'EEXIST') throw err;
      const pid = readLockPid(path);
      if (pid !== null ? isProcessRunning(pid) : lockIsFresh(path)) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

/** A lock without a pid yet: just being written (young), or left half-written by a crash (old). */
function lockIsFresh(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 5_000;
  } catch {
    return false;
  }
}

function readLockPid(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A connected socket, or null when nothing listens there (no file, or a stale one). */
function tryConnect(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

type Listener = (event: LabEvent) => void;

/** Commands and events over the control socket of the engine that holds the lab. */
class RemoteLab implements LabConnection {
  readonly via = 'control-socket' as const;
  /** Commands waiting for their reply; no deadline (an `exec` may take minutes). The entry is the channel. */
  private readonly calls = new Correlator<Channel, number, Reply>();
  private readonly listeners = new Set<Listener>();
  private readonly lostListeners = new Set<(why: string) => void>();
  /** Sinks of capture commands waiting for their reply, by request id; then of running captures, by capture id. */
  private readonly captureRequests = new Map<number, CaptureStreamSink>();
  private readonly captureSinks = new Map<string, CaptureStreamSink>();
  private buffer = '';
  private lost: string | null = null;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    readonly namespace: string,
    readonly socketPath: string,
    public document: LabDocument,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (line.trim()) this.onLine(line);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
  }

  invoke<C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>> {
    // Once the socket closed, the correlator refuses with lostError (see onClose).
    return this.calls.request<CommandResult<C>>(channel, (id) => this.socket.write(`${JSON.stringify({ id, channel, params })}\n`));
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  startCapture(request: CaptureRequest, sink: CaptureStreamSink): Promise<CaptureInfo> {
    return this.calls.request<CaptureInfo>(request.channel, (id) => {
      this.captureRequests.set(id, sink);
      this.socket.write(`${JSON.stringify({ id, channel: request.channel, params: request.params })}\n`);
    });
  }

  onLost(listener: (why: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      this.socket.destroySoon();
    });
  }

  private onLine(line: string): void {
    let message;
    try {
      message = controlMessageSchema.parse(JSON.parse(line));
    } catch (err) {
      process.stderr.write(`wirebench: ignored an unreadable message on ${this.socketPath}: ${(err as Error).message.slice(0, 200)}\n`);
      return;
    }
    if ('capture' in message) {
      this.captureSinks.get(message.capture)?.data(Buffer.from(message.data, 'base64'));
      return;
    }
    if ('event' in message) {
      if (message.event.type === 'capture.ended') {
        // The socket is ordered: every byte of this capture came before.
        this.captureSinks.get(message.event.captureId)?.end();
        this.captureSinks.delete(message.event.captureId);
      }
      for (const listener of this.listeners) listener(message.event);
      return;
    }
    if (!('reply' in message) || message.id === null) {
      if ('reply' in message && !message.reply.ok) process.stderr.write(`wirebench: the engine refused a message: ${message.reply.error.message}\n`);
      return;
    }
    // A capture's sink is attached now, before the next line (its first bytes) is read.
    const sink = this.captureRequests.get(message.id);
    this.captureRequests.delete(message.id);
    const captureId = message.reply.ok ? (message.reply.result as { captureId?: unknown } | null)?.captureId : undefined;
    if (sink && typeof captureId === 'string') this.captureSinks.set(captureId, sink);
    this.calls.answer(message.id, message.reply, (reply, channel) => {
      if (!reply.ok) throw errorFromData(reply.error);
      const result = commands[channel].result.safeParse(reply.result);
      if (!result.success) {
        throw new WirebenchError('bad-response', `${channel}: the engine on ${this.socketPath} answered in an unexpected shape`, 'the engine holding the lab is another Wirebench version; use the same version, or close it');
      }
      return result.data;
    });
  }

  private lostError(channel: string): WirebenchError {
    return new WirebenchError('engine-gone', `${channel}: ${this.lost}`, 'run the command again (the lab may have gone down)');
  }

  private onClose(): void {
    if (this.lost) return;
    this.lost = this.closing ? 'the connection was closed' : `the engine holding the lab closed its control socket (${this.socketPath})`;
    this.calls.close((channel) => this.lostError(channel));
    for (const sink of this.captureSinks.values()) sink.end();
    this.captureSinks.clear();
    if (!this.closing) for (const listener of this.lostListeners) listener(this.lost);
  }
}

/** This process's own engine (nothing else holds the lab). */
class LocalLab implements LabConnection {
  readonly via = 'engine' as const;
  private readonly listeners = new Set<Listener>();
  private readonly client: EngineClient;
  private readonly unsubscribe: () => void;
  /** Sinks of running captures, by capture id (the engine sends no byte before the reply naming it). */
  private readonly captureSinks = new Map<string, CaptureStreamSink>();

  constructor(
    private readonly engine: Engine,
    private readonly fromFile: LabDocument,
    readonly namespace: string,
    readonly socketPath: string,
    private readonly releaseLock: () => void,
  ) {
    const deliver = (event: LabEvent) => {
      for (const listener of this.listeners) listener(event);
    };
    this.client = {
      send: deliver,
      openCapture: (captureId) => ({
        write: (bytes) => this.captureSinks.get(captureId)?.data(bytes),
        end: () => {
          this.captureSinks.get(captureId)?.end();
          this.captureSinks.delete(captureId);
        },
      }),
    };
    this.unsubscribe = engine.onEvent(deliver);
  }

  get document(): LabDocument {
    return this.fromFile;
  }

  async invoke<C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>> {
    const reply = await this.engine.dispatch(channel, params, this.client);
    if (!reply.ok) throw errorFromData(reply.error);
    return reply.result as CommandResult<C>;
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async startCapture(request: CaptureRequest, sink: CaptureStreamSink): Promise<CaptureInfo> {
    const info = (await this.invoke(request.channel, request.params as never)) as CaptureInfo;
    this.captureSinks.set(info.captureId, sink);
    return info;
  }

  onLost(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.engine.disconnectClient(this.client);
    try {
      await this.engine.close();
    } finally {
      this.releaseLock();
    }
  }
}
