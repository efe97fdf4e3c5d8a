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
 * Both give the same small interface, so verbs do not care which they got.
 */
import { connect, type Socket } from 'node:net';
import {
  commands,
  errorFromData,
  WirebenchError,
  type Channel,
  type CommandParams,
  type CommandResult,
  type LabEvent,
} from '../../shared/api.js';
import { namespaceName } from '../../shared/host-names.js';
import type { LabDocument } from '../../shared/lab.js';
import { serverMessageSchema } from '../../shared/ws-protocol.js';
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
  /** Called once if the engine behind the connection goes away (control socket closed). */
  onLost(listener: (why: string) => void): () => void;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Options of the in-process engine when no engine holds the lab. */
  engine?: EngineOptions;
  /** Control socket to try (default: the lab's `<labDir>/control.sock`). */
  socketPath?: string;
}

/** Opens the lab file and connects to whatever runs it (see the header). */
export async function connectLab(file: string, options: ConnectOptions = {}): Promise<LabConnection> {
  const fromFile = await readLabFile(file);
  const namespace = namespaceName(fromFile);
  const socketPath = options.socketPath ?? controlSocketPath(namespace);
  const socket = await tryConnect(socketPath);
  if (socket) {
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
  const engine = new Engine(options.engine);
  try {
    await engine.invoke('lab.open', { path: file });
  } catch (err) {
    await engine.close();
    throw err;
  }
  return new LocalLab(engine, fromFile, namespace, socketPath);
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
  private nextId = 1;
  private readonly pending = new Map<number, { channel: Channel; resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private readonly listeners = new Set<Listener>();
  private readonly lostListeners = new Set<(why: string) => void>();
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
    if (this.lost) return Promise.reject(this.lostError(channel));
    const id = this.nextId++;
    return new Promise<CommandResult<C>>((resolve, reject) => {
      this.pending.set(id, { channel, resolve: (value) => resolve(value as CommandResult<C>), reject });
      this.socket.write(`${JSON.stringify({ id, channel, params })}\n`);
    });
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
      message = serverMessageSchema.parse(JSON.parse(line));
    } catch (err) {
      process.stderr.write(`wirebench: ignored an unreadable message on ${this.socketPath}: ${(err as Error).message.slice(0, 200)}\n`);
      return;
    }
    if ('event' in message) {
      for (const listener of this.listeners) listener(message.event);
      return;
    }
    if (!('reply' in message) || message.id === null) {
      if ('reply' in message && !message.reply.ok) process.stderr.write(`wirebench: the engine refused a message: ${message.reply.error.message}\n`);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (!message.reply.ok) return pending.reject(errorFromData(message.reply.error));
    const result = commands[pending.channel].result.safeParse(message.reply.result);
    if (!result.success) {
      return pending.reject(new WirebenchError('bad-response', `${pending.channel}: the engine on ${this.socketPath} answered in an unexpected shape`, 'the engine holding the lab is another Wirebench version; use the same version, or close it'));
    }
    pending.resolve(result.data);
  }

  private lostError(channel: string): WirebenchError {
    return new WirebenchError('engine-gone', `${channel}: ${this.lost}`, 'run the command again (the lab may have gone down)');
  }

  private onClose(): void {
    if (this.lost) return;
    this.lost = this.closing ? 'the connection was closed' : `the engine holding the lab closed its control socket (${this.socketPath})`;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(this.lostError(pending.channel));
    }
    if (!this.closing) for (const listener of this.lostListeners) listener(this.lost);
  }
}

/** This process's own engine (nothing else holds the lab). */
class LocalLab implements LabConnection {
  readonly via = 'engine' as const;
  private readonly listeners = new Set<Listener>();
  private readonly client: EngineClient;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly engine: Engine,
    private readonly fromFile: LabDocument,
    readonly namespace: string,
    readonly socketPath: string,
  ) {
    const deliver = (event: LabEvent) => {
      for (const listener of this.listeners) listener(event);
    };
    this.client = { send: deliver };
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

  onLost(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.engine.disconnectClient(this.client);
    await this.engine.close();
  }
}
