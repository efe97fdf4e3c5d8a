/**
 * A QMP session with one VM over its unix socket: handshake, commands matched to replies by
 * `id` while events interleave, a deadline on everything, and typed events.
 *
 * Why not an npm package: `node-qemu` (the typed one) sends one command at a time and matches
 * replies by order instead of `id`, has no connect, greeting or per-command timeouts (a QEMU
 * that never answers hangs every later call), does not wait for the socket to appear, and
 * resolves `device_del` before the guest has released the device. `qemu-qmp` is untyped
 * JavaScript with none of that either. What the engine needs fits in this file.
 *
 * QEMU serves one QMP client per socket at a time: a second client connects but gets no
 * greeting until the first one leaves, which `connect` reports as such.
 */
import type { Socket } from 'node:net';
import { Correlator } from '../../../shared/correlator.js';
import {
  qmpGreetingSchema,
  qmpMessageSchema,
  type QmpMessage,
  qmpStatusSchema,
  type QmpDevice,
  type QmpEvent,
  type QmpEventData,
  type QmpEventName,
  type QmpGreeting,
  type QmpStatus,
  type QmpTapNetdev,
} from './qmp-types.js';
import { connectUnixSocket } from './unix-socket.js';

export interface QmpConnectOptions {
  socketPath: string;
  /** The VM's name, for error messages. */
  vm: string;
  /** Budget for the socket to appear, the greeting and `qmp_capabilities` (default 10 s). */
  connectTimeoutMs?: number;
  /** Default reply deadline of each command (default 10 s). */
  commandTimeoutMs?: number;
}

export interface QmpCommandOptions {
  timeoutMs?: number;
}

type JsonObject = Record<string, unknown>;

/** A reply (not an event) from QEMU. */
type QmpReply = Exclude<QmpMessage, { event: string }>;

export class QmpError extends Error {
  constructor(
    message: string,
    /** QMP's error class, e.g. `GenericError`, `DeviceNotFound`. */
    readonly qmpClass: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

export class QmpClient {
  readonly vm: string;
  readonly greeting: QmpGreeting;
  private readonly socket: Socket;
  private readonly commandTimeoutMs: number;
  /** Commands waiting for their reply, keyed by the `id` QEMU echoes. The entry is the command's name. */
  private readonly commands: Correlator<string, string, QmpReply>;
  private readonly eventHandlers = new Map<string, Set<(event: QmpEvent) => void>>();
  private readonly anyEventHandlers = new Set<(event: QmpEvent) => void>();
  private readonly closeHandlers = new Set<(reason: Error) => void>();
  private closeReason: Error | null = null;
  private readonly closedPromise: Promise<void>;

  /** Connects (waiting for QEMU to create the socket), reads the greeting, negotiates. */
  static async connect(options: QmpConnectOptions): Promise<QmpClient> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const deadline = Date.now() + connectTimeoutMs;
    const socket = await connectUnixSocket(options.socketPath, `QMP socket of VM ${options.vm}`, connectTimeoutMs);
    const reader = new LineReader(socket);
    let greetingLine: string;
    try {
      greetingLine = await reader.nextLine(deadline - Date.now());
    } catch (error) {
      socket.destroy();
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(
        `QMP socket ${options.socketPath} of VM ${options.vm} sent no greeting (${why}); ` +
          'another client may hold it (QEMU serves one QMP client at a time) or QEMU is stuck',
      );
    }
    const greeting = qmpGreetingSchema.safeParse(parseJson(greetingLine));
    if (!greeting.success) {
      socket.destroy();
      throw new Error(`QMP socket ${options.socketPath} of VM ${options.vm} did not greet like QEMU: ${greetingLine.slice(0, 200)}`);
    }
    const client = new QmpClient(socket, reader, options.vm, greeting.data, options.commandTimeoutMs ?? 10_000);
    try {
      await client.execute('qmp_capabilities', undefined, { timeoutMs: Math.max(1, deadline - Date.now()) });
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  private constructor(socket: Socket, reader: LineReader, vm: string, greeting: QmpGreeting, commandTimeoutMs: number) {
    this.socket = socket;
    this.vm = vm;
    this.greeting = greeting;
    this.commandTimeoutMs = commandTimeoutMs;
    this.commands = new Correlator({
      makeId: (n) => `wb-${n}`,
      timeoutError: (command, timeoutMs) =>
        new Error(`QMP command "${command}" to VM ${vm} got no reply within ${timeoutMs} ms; QEMU may be hung or overloaded (check its process)`),
      // A late reply (its command timed out) is dropped; later commands are unaffected.
    });
    this.closedPromise = new Promise((resolve) => {
      const closed = (): void => {
        this.onClosed();
        resolve();
      };
      // QEMU may have gone away while the greeting was read.
      if (socket.closed) closed();
      else socket.once('close', closed);
    });
    reader.onLine((line) => this.onLine(line));
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  /**
   * Runs a QMP command and resolves with its `return`. Rejects with a `QmpError` when QEMU
   * answers with an error, and with a plain Error on timeout or when the connection closes.
   */
  execute(command: string, args?: JsonObject, options: QmpCommandOptions = {}): Promise<unknown> {
    // Once the connection closed, the correlator refuses with closedError (see onClosed).
    return this.commands.request(
      command,
      (id) => {
        const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
        this.socket.write(`${JSON.stringify(message)}\n`);
      },
      { timeoutMs: options.timeoutMs ?? this.commandTimeoutMs },
    );
  }

  /** Subscribes to one event by name; returns the unsubscribe. */
  on<K extends QmpEventName>(name: K, handler: (event: QmpEvent<K>) => void): () => void {
    let handlers = this.eventHandlers.get(name);
    if (!handlers) {
      handlers = new Set();
      this.eventHandlers.set(name, handlers);
    }
    // Stored untyped: dispatch looks handlers up by the same name, so the payload type holds.
    const stored = handler as unknown as (event: QmpEvent) => void;
    handlers.add(stored);
    return () => {
      handlers.delete(stored);
    };
  }

  /** Subscribes to every event; returns the unsubscribe. */
  onEvent(handler: (event: QmpEvent) => void): () => void {
    this.anyEventHandlers.add(handler);
    return () => {
      this.anyEventHandlers.delete(handler);
    };
  }

  /** Called once when the connection closes (QEMU exited, or `close()`); returns the unsubscribe. */
  onClose(handler: (reason: Error) => void): () => void {
    if (this.closeReason) {
      const reason = this.closeReason;
      queueMicrotask(() => handler(reason));
      return () => {};
    }
    this.closeHandlers.add(handler);
    return () => {
      this.closeHandlers.delete(handler);
    };
  }

  /**
   * The next event `name` that satisfies `predicate`, arriving after this call. Subscribe
   * before causing the event (call this first, await it after the command).
   */
  waitForEvent<K extends QmpEventName>(
    name: K,
    predicate: (event: QmpEvent<K>) => boolean = () => true,
    timeoutMs = this.commandTimeoutMs,
  ): Promise<QmpEvent<K>> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        unsubscribe();
        unsubscribeClose();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`VM ${this.vm} sent no QMP event ${name} matching the wait within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.on(name, (event) => {
        if (!predicate(event)) return;
        finish();
        resolve(event);
      });
      const unsubscribeClose = this.onClose(() => {
        finish();
        reject(new Error(`QMP connection to VM ${this.vm} closed while waiting for event ${name}`));
      });
    });
  }

  /** Closes the session (QEMU keeps running). Pending commands are rejected. */
  async close(): Promise<void> {
    if (!this.socket.destroyed) this.socket.destroy();
    await this.closedPromise;
  }

  // ---- typed commands -------------------------------------------------------------------

  /** Cable plugged (`up`) or pulled; `name` is the netdev id. The guest sees carrier change. */
  async setLink(name: string, up: boolean): Promise<void> {
    await this.execute('set_link', { name, up });
  }

  /** Adds a backend for a TAP that already exists in the VM's namespace. */
  async netdevAdd(netdev: QmpTapNetdev): Promise<void> {
    await this.execute('netdev_add', { script: 'no', downscript: 'no', ...netdev });
  }

  async netdevDel(id: string): Promise<void> {
    await this.execute('netdev_del', { id });
  }

  /** Hot-plugs a device; on the `pc` machine pass `bus: 'pci.0'` and a free `addr` slot. */
  async deviceAdd(device: QmpDevice): Promise<void> {
    await this.execute('device_add', definedOnly(device));
  }

  /**
   * Unplugs a device and resolves once it is gone: `device_del` only asks the guest (ACPI
   * eject), QEMU emits DEVICE_DELETED when the guest has let go. A guest that does not handle
   * hot-unplug (or is still booting) never does, hence the deadline (default 20 s: TCG is slow).
   */
  async deviceDel(id: string, options: QmpCommandOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const deleted = this.waitForEvent('DEVICE_DELETED', (event) => event.data.device === id, timeoutMs);
    deleted.catch(() => {}); // observed below; avoid an unhandled rejection if device_del fails first
    await this.execute('device_del', { id });
    try {
      await deleted;
    } catch (error) {
      if (this.closed) throw error;
      throw new Error(
        `VM ${this.vm} did not release device ${id} within ${timeoutMs} ms after device_del; ` +
          'the guest must acknowledge the ACPI unplug (a guest still booting or without hot-plug support never does). ' +
          'The device stays until it does or the VM restarts',
      );
    }
  }

  async queryStatus(): Promise<QmpStatus> {
    const reply = await this.execute('query-status');
    const status = qmpStatusSchema.safeParse(reply);
    if (!status.success) throw new Error(`VM ${this.vm} answered query-status with an unexpected shape: ${JSON.stringify(reply).slice(0, 200)}`);
    return status.data;
  }

  /** Presses the ACPI power button; the guest decides whether and when to power off. */
  async systemPowerdown(): Promise<void> {
    await this.execute('system_powerdown');
  }

  /** Stops QEMU at once (like pulling the plug) and resolves when its socket has closed. */
  async quit(options: QmpCommandOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    try {
      await this.execute('quit', undefined, { timeoutMs });
    } catch (error) {
      // QEMU may close the socket before its reply is read: that is the success case.
      if (!this.closed) throw error;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`VM ${this.vm} acknowledged quit but kept its QMP socket open for ${timeoutMs} ms; kill its process`)), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs a human-monitor (HMP) command such as `savevm snap1` or `loadvm snap1` and returns
   * its text. HMP reports failures as text, not as QMP errors: lines starting with "Error"
   * become a rejected promise carrying that text.
   */
  async humanMonitorCommand(commandLine: string, options: QmpCommandOptions = {}): Promise<string> {
    const reply = await this.execute('human-monitor-command', { 'command-line': commandLine }, options);
    const output = typeof reply === 'string' ? reply : '';
    const errorLines = output.split(/\r?\n/).filter((line) => /^\s*error\b/i.test(line));
    if (errorLines.length > 0) {
      throw new Error(`HMP command "${commandLine}" failed on VM ${this.vm}: ${errorLines.join('; ').trim()}`);
    }
    return output;
  }

  // ---- internals ------------------------------------------------------------------------

  private onLine(line: string): void {
    const parsed = qmpMessageSchema.safeParse(parseJson(line));
    // QEMU sends only QMP JSON; anything else is dropped rather than ending the session.
    if (!parsed.success) return;
    const message = parsed.data;
    if ('event' in message) {
      this.dispatchEvent({ event: message.event, data: message.data ?? {}, timestamp: message.timestamp });
      return;
    }
    // Replies without an id (QEMU's answer to unparseable input) cannot be matched: drop them.
    if (message.id === undefined) return;
    this.commands.answer(message.id, message, (reply, command) => {
      if ('error' in reply) throw new QmpError(`QMP command "${command}" failed on VM ${this.vm}: ${reply.error.desc} (${reply.error.class})`, reply.error.class);
      return reply.return;
    });
  }

  private dispatchEvent(event: QmpEvent): void {
    const handlers = [...(this.eventHandlers.get(event.event) ?? []), ...this.anyEventHandlers];
    for (const handler of handlers) {
      try {
        handler(event);
      } catch (error) {
        // One subscriber's bug must not starve the others or break reply matching.
        process.emitWarning(`QMP event handler for ${event.event} on VM ${this.vm} threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private closedError(command: string): Error {
    return new Error(`QMP connection to VM ${this.vm} closed before "${command}" was answered; QEMU exited or the session was closed`);
  }

  private onClosed(): void {
    if (this.closeReason) return;
    this.closeReason = new Error(`QMP connection to VM ${this.vm} closed`);
    this.commands.close((command) => this.closedError(command));
    const reason = this.closeReason;
    for (const handler of [...this.closeHandlers]) handler(reason);
    this.closeHandlers.clear();
  }
}

/** Splits a socket's bytes into lines; lines before a subscriber exists are kept for it. */
class LineReader {
  private buffer = '';
  private readonly queued: string[] = [];
  private listener: ((line: string) => void) | null = null;
  private waiter: ((line: string) => void) | null = null;
  private ended = false;
  private endWaiter: (() => void) | null = null;

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline).trim();
        this.buffer = this.buffer.slice(newline + 1);
        if (line) this.emit(line);
      }
    });
    socket.on('close', () => {
      this.ended = true;
      this.endWaiter?.();
    });
    // Errors always precede 'close', which is where they are handled; without a listener
    // Node would throw them.
    socket.on('error', () => {});
  }

  private emit(line: string): void {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter(line);
    } else if (this.listener) {
      this.listener(line);
    } else {
      this.queued.push(line);
    }
  }

  nextLine(timeoutMs: number): Promise<string> {
    const queued = this.queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(new Error('the socket closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.endWaiter = null;
        reject(new Error(`nothing within ${Math.max(0, timeoutMs)} ms`));
      }, Math.max(0, timeoutMs));
      this.waiter = (line) => {
        clearTimeout(timer);
        this.endWaiter = null;
        resolve(line);
      };
      this.endWaiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        reject(new Error('the socket closed'));
      };
    });
  }

  onLine(listener: (line: string) => void): void {
    this.listener = listener;
    for (const line of this.queued.splice(0)) listener(line);
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

function definedOnly(object: QmpDevice): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** Re-exported so callers need one import for the client and its event types. */
export type { QmpEvent, QmpEventData, QmpEventName, QmpGreeting, QmpStatus };
