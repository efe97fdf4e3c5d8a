/**
 * The engine's front door: one handler per command of `shared/api.ts`. Every transport hands
 * raw messages to `dispatch`, which parses the params with the contract's schema, runs the
 * handler and returns a `Reply` (errors as data). Runtime work is delegated to `LabRuntime`.
 *
 * The engine owns the open lab's document, the one copy every other holds a replica of: each
 * edit arrives as a change batch (`lab.change`, or a pulled cable) made against a revision, is
 * applied here and to the running lab, and goes out to every client as `lab.changed`.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  commands,
  errorToData,
  isChannel,
  parseParams,
  WirebenchError,
  type Channel,
  type CommandParams,
  type CommandResult,
  type OpenLab,
  type Reply,
} from '../../shared/api.js';
import { LAB_FORMAT, validateLab, type LabDocument, type LabProblem } from '../../shared/lab.js';
import { applyChanges, ChangeError, changesFromWire, changesToWire, type LabChange } from '../../shared/lab-changes.js';
import { EventBus, type EventListener } from './event-bus.js';
import type { CaptureSink, EngineClient } from './engine-client.js';
import type { CaptureDestination } from './capture/capture-manager.js';
import { ConsoleHub } from './console/console-hub.js';
import { readLabFile, readLabFileStamped, writeLabFile } from './lab/lab-file.js';
import { unchangedSince, type FileStamp } from './lab/file-stamp.js';
import { changedOnDisk } from './lab/save-errors.js';
import { LabRuntime, type LabRuntimeOptions } from './lab/lab-runtime.js';
import { findNicsByMac, resolveNic } from './lab/nic-lookup.js';
import { LabControl, refuseIfHeldElsewhere } from './server/control-socket.js';
import { RecoveryStore } from './lab/recovery-store.js';
import { exportLab } from './export/export-lab.js';
import { openInWireshark, wiresharkStatus } from './capture/wireshark-launcher.js';

export const DEMO_LAB_PATH = fileURLToPath(new URL('../../assets/labs/demo.lab.json', import.meta.url));

/** What a handler may ask of the call it serves: work to do once the reply has gone out. */
interface CallContext {
  afterReply(run: () => void): void;
}

type Handlers = { [C in Channel]: (params: CommandParams<C>, client: EngineClient, call: CallContext) => Promise<CommandResult<C>> };

/** The caller of an in-process `invoke` that passes no client: it receives no targeted events. */
const NO_CLIENT: EngineClient = { send: () => {} };

export interface EngineOptions {
  runtime?: Omit<LabRuntimeOptions, 'events'>;
  /** Where autosave copies go (default `$XDG_STATE_HOME/wirebench/recovery`). */
  recoveryDir?: string;
  /** Where the demo lab lives (bundles move files around). */
  demoLabPath?: string;
  /** Serve `<labDir>/control.sock` while the open lab runs in this engine (default true; see server/control-socket.ts). */
  controlSocket?: boolean;
}

export class Engine {
  readonly events = new EventBus();
  private path: string | null = null;
  /** The open file as last read or written here: a save refuses if another program changed it since. */
  private stamp: FileStamp | null = null;
  private document: LabDocument | null = null;
  /** Counts applied batches; opening a lab starts a new one above every earlier, so an old lab's batch is stale too. */
  private revision = 0;
  /** The last valid document the running lab was made to follow (a document with errors is not applied live). */
  private live: LabDocument | null = null;
  /** Batches are applied one at a time, in the order they arrive. */
  private edits: Promise<unknown> = Promise.resolve();
  private runtime: LabRuntime | null = null;
  private readonly recovery: RecoveryStore;
  private readonly consoles = new ConsoleHub();
  /** Who started each running capture: its bytes go to that client alone, and its leaving stops the capture. */
  private readonly captureOwners = new Map<string, EngineClient>();

  /** The lab's control socket: other programs' commands reach the lab through this engine while it holds it. */
  private readonly control: LabControl | null;

  constructor(private readonly options: EngineOptions = {}) {
    this.recovery = new RecoveryStore(options.recoveryDir);
    this.control = options.controlSocket === false ? null : new LabControl(this);
  }

  onEvent(listener: EventListener): () => void {
    return this.events.on(listener);
  }

  /** Parses and runs one command for `client` (who gets its targeted events); never throws. */
  async dispatch(channel: unknown, params: unknown, client: EngineClient = NO_CLIENT): Promise<Reply> {
    try {
      if (!isChannel(channel)) throw new WirebenchError('unknown-command', `unknown command ${JSON.stringify(channel)}; see shared/api.ts for the list`);
      const result = await this.invoke(channel, parseParams(channel, params), client);
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: errorToData(err) };
    }
  }

  /** Typed in-process call (CLI, tests); throws on error. */
  async invoke<C extends Channel>(channel: C, params: CommandParams<C>, client: EngineClient = NO_CLIENT): Promise<CommandResult<C>> {
    const handler = this.handlers[channel] as (p: CommandParams<C>, c: EngineClient, call: CallContext) => Promise<CommandResult<C>>;
    const afterReply: Array<() => void> = [];
    let result: CommandResult<C>;
    try {
      result = await handler(params, client, { afterReply: (run) => afterReply.push(run) });
    } finally {
      // Any command may bring the lab up or down here (or adopt it): the control socket follows.
      await this.control?.update(this.runtime?.isUp() ? this.runtime.namespace : null);
      // A macrotask: every transport writes the reply in a continuation (microtask) of this
      // call, so whatever these start (a capture's bytes) comes after the reply on its channel.
      if (afterReply.length) setImmediate(() => afterReply.forEach((run) => run()));
    }
    // The engine checks its own answers too: a handler returning the wrong shape is a bug caught here.
    return commands[channel].result.parse(result) as CommandResult<C>;
  }

  /** The client went away (window closed, socket dropped): end everything it subscribed to. */
  disconnectClient(client: EngineClient): void {
    this.consoles.drop(client);
    // Nobody else receives a capture's bytes: one whose client left would run for nobody.
    for (const [captureId, owner] of [...this.captureOwners]) {
      if (owner !== client) continue;
      this.captureOwners.delete(captureId);
      void this.runtime?.stopCapture(captureId).catch(() => undefined);
    }
  }

  /**
   * Where a capture started by `client` streams: the client's own sink (nothing before the
   * reply naming the capture has gone out). An in-process caller without a client gets none.
   */
  private captureDestination(client: EngineClient, call: CallContext): CaptureDestination {
    const ready = new Promise<void>((resolve) => call.afterReply(resolve));
    return {
      ready,
      open: (captureId): CaptureSink | null => {
        if (!client.openCapture) return null;
        const sink = client.openCapture(captureId);
        this.captureOwners.set(captureId, client);
        return {
          write: (bytes) => sink.write(bytes),
          end: () => {
            if (this.captureOwners.get(captureId) === client) this.captureOwners.delete(captureId);
            sink.end();
          },
        };
      },
    };
  }

  async close(): Promise<void> {
    await this.control?.close();
    await this.runtime?.detach();
    this.runtime = null;
  }

  private requireLab(): LabDocument {
    if (!this.document) throw new WirebenchError('no-lab', 'no lab is open', 'open a lab file or the demo lab first');
    return this.document;
  }

  /** The runtime of the open lab; on first use it adopts whatever of the lab is already running. */
  private async getRuntime(): Promise<LabRuntime> {
    const lab = this.requireLab();
    if (!this.runtime) this.live = lab;
    this.runtime ??= new LabRuntime(() => this.requireLab(), {
      ...this.options.runtime,
      events: this.events,
      onConsoleData: (vm, data) => this.consoles.publish(vm, data),
      ...(this.path ? { labFileDir: dirname(this.path) } : {}),
    });
    // Another engine serving this lab's control socket owns its QEMU sockets: say so, do not half-adopt.
    if (!this.runtime.isUp()) await refuseIfHeldElsewhere(this.runtime.namespace, lab.name);
    await this.runtime.adoptRunning();
    return this.runtime;
  }

  private async adopt(path: string | null, document: LabDocument, problems: LabProblem[], stamp: FileStamp | null = null): Promise<OpenLab> {
    if (this.runtime?.isUp()) {
      throw new WirebenchError('lab-running', `lab "${this.document?.name}" is running`, 'stop it (lab down) before opening another lab');
    }
    await this.runtime?.detach();
    this.runtime = null;
    this.path = path;
    this.stamp = stamp;
    this.document = document;
    this.live = null;
    this.revision += 1;
    this.events.emit({ type: 'lab.opened', path, document, revision: this.revision });
    return { path, document, problems, revision: this.revision };
  }

  /**
   * Applies one batch: to the document (all or nothing), then to the running lab (live where
   * possible; the rest is "restart needed"). `baseRevision` null: the engine's own edit (a
   * cable pulled through `nic.disconnect`), made against whatever is current. The batch is
   * broadcast as soon as the document has it; a failure of the live part comes back as `liveError`.
   */
  private applyBatch(changes: LabChange[], origin: string, baseRevision: number | null) {
    const run = this.edits.then(async () => {
      const previous = this.requireLab();
      if (baseRevision !== null && baseRevision !== this.revision) {
        throw new WirebenchError('stale-revision', `lab.change: made against revision ${baseRevision}, but the lab is at revision ${this.revision}`, 'apply the lab.changed batches since (or reload with lab.current) and send it again');
      }
      let next: LabDocument;
      try {
        next = applyChanges(previous, changes).document;
      } catch (err) {
        if (!(err instanceof ChangeError)) throw err;
        throw new WirebenchError('change-refused', `lab.change: ${err.message}`, 'reload the lab (lab.current) and make the edit again');
      }
      const checked = validateLab(next);
      this.document = next;
      this.revision += 1;
      const revision = this.revision;
      this.events.emit({ type: 'lab.changed', revision, changes: changesToWire(changes), origin, problems: checked.problems });
      let restartNeeded: string[] = [];
      let liveError: unknown = null;
      if (this.runtime && checked.ok) {
        try {
          restartNeeded = await this.runtime.reconcile(this.live ?? previous, next);
        } catch (err) {
          liveError = err;
        }
        this.live = next;
      } else if (this.runtime) restartNeeded = this.runtime.status().restartNeeded;
      return { revision, problems: checked.problems, restartNeeded, liveError };
    });
    this.edits = run.catch(() => undefined);
    return run;
  }

  /** A document with errors is edited and saved, but not run: its errors would only fail at boot. */
  private requireRunnable(action: string): void {
    const errors = validateLab(this.requireLab()).problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      throw new WirebenchError('invalid-lab', `${action}: the lab has ${errors.length} error(s): ${errors.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`, 'fix the problems first');
    }
  }

  private readonly handlers: Handlers = {
    'lab.current': async () => (this.document ? { path: this.path, document: this.document, problems: validateLab(this.document).problems, revision: this.revision } : null),
    'lab.open': async ({ path }) => {
      const { document, stamp } = await readLabFileStamped(path);
      return this.adopt(path, document, validateLab(document).problems, stamp);
    },
    'lab.openDemo': async () => {
      const document = await readLabFile(this.options.demoLabPath ?? DEMO_LAB_PATH);
      // The demo is a template: saving must ask for a path instead of overwriting the asset.
      return this.adopt(null, document, []);
    },
    'lab.create': async ({ name }) => {
      const id = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('');
      const document = validateLab({ format: LAB_FORMAT, id, name });
      if (!document.ok) throw new WirebenchError('bad-request', document.problems.map((p) => p.message).join('; '));
      return this.adopt(null, document.lab, []);
    },
    'lab.change': async ({ baseRevision, changes, origin }) => {
      const { liveError, ...result } = await this.applyBatch(changesFromWire(changes), origin ?? 'engine', baseRevision);
      // The batch is in the document (every client has it): a part that did not apply live is a problem event, not a refusal.
      if (liveError) this.events.emit({ type: 'error', ...errorToData(liveError), code: (liveError as { code?: string }).code ?? 'live-edit-failed' });
      return result;
    },
    'lab.save': async ({ path, overwrite }) => {
      const lab = this.requireLab();
      const target = path ?? this.path;
      if (!target) throw new WirebenchError('no-path', 'this lab has never been saved', 'choose a file name (Save As…)');
      // Another program's edits since we read or wrote this file are not overwritten unasked.
      if (!overwrite && target === this.path && this.stamp && !(await unchangedSince(target, this.stamp))) throw changedOnDisk(target);
      this.stamp = await writeLabFile(target, lab);
      // Saved: the autosave copies (under the old name too, for a first save) are stale now.
      await this.recovery.clear(target, lab);
      if (this.path !== target) await this.recovery.clear(this.path, lab);
      this.path = target;
      return { path: target };
    },
    'lab.validate': async ({ document }) => ({ problems: validateLab(document).problems }),
    'recovery.write': async ({ path, document }) => {
      await this.recovery.write(path, document);
      return {};
    },
    'recovery.read': async ({ path, id, name }) => this.recovery.read(path, { id, name }),
    'recovery.clear': async ({ path, id, name }) => {
      await this.recovery.clear(path, { id, name });
      return {};
    },
    'lab.up': async () => {
      this.requireRunnable('lab.up');
      return (await this.getRuntime()).up();
    },
    'lab.upNetwork': async () => {
      this.requireRunnable('lab.upNetwork');
      return (await this.getRuntime()).upNetworkOnly();
    },
    'lab.down': async () => (await this.getRuntime()).down(),
    'lab.status': async () => (await this.getRuntime()).status(),
    'vm.start': async ({ vm }) => {
      this.requireRunnable('vm.start');
      return (await this.getRuntime()).startVm(vm);
    },
    'vm.stop': async ({ vm, force }) => (await this.getRuntime()).stopVm(vm, { force: force ?? false }),
    'vm.run': async ({ vm, command, timeoutMs }) => (await this.getRuntime()).runInVm(vm, command, timeoutMs),
    'vm.snapshot': async ({ vm, tag }) => {
      await (await this.getRuntime()).snapshotVm(vm, tag);
      return {};
    },
    'nic.info': async (nic) => (await this.getRuntime()).nicInfo(nic),
    'nic.findByMac': async ({ mac }) => {
      const runtime = await this.getRuntime();
      return { nics: findNicsByMac(this.requireLab(), mac).map((n) => runtime.nicInfo({ vm: n.vm, bridge: n.bridge })) };
    },
    'nic.counters': async (nic) => (await this.getRuntime()).nicCounters(nic),
    'nic.resetCounters': async (nic) => {
      (await this.getRuntime()).resetNicCounters(nic);
      return {};
    },
    'nic.disconnect': async (nic) => this.setLink(nic, 'down'),
    'nic.reconnect': async (nic) => this.setLink(nic, 'up'),
    'nic.capture': async ({ nic, options }, client, call) => (await this.getRuntime()).captureNic(nic, options, this.captureDestination(client, call)),
    'bridge.capture': async ({ bridge, options }, client, call) => (await this.getRuntime()).captureBridge(bridge, options, this.captureDestination(client, call)),
    'capture.stop': async ({ captureId }) => (await this.getRuntime()).stopCapture(captureId),
    'wireshark.status': async () => wiresharkStatus(),
    'wireshark.open': async ({ path }) => openInWireshark(path),
    'console.open': async ({ vm }, client) => {
      const runtime = await this.getRuntime();
      runtime.requireLiveConsole(vm);
      // Subscribed before the history is read: a byte written meanwhile may show twice, never not at all.
      this.consoles.subscribe(vm, client);
      try {
        return await runtime.openConsole(vm);
      } catch (err) {
        this.consoles.unsubscribe(vm, client);
        throw err;
      }
    },
    'console.close': async ({ vm }, client) => {
      this.consoles.unsubscribe(vm, client);
      return {};
    },
    'console.write': async ({ vm, data }) => {
      await (await this.getRuntime()).consoleWrite(vm, data);
      return {};
    },
    'console.history': async ({ vm }) => ({ data: await (await this.getRuntime()).consoleHistory(vm) }),
    'export.script': async ({ format }) => ({ files: exportLab(this.requireLab(), format) }),
  };

  /** A pulled or re-plugged cable is a change batch like any edit (it stays pulled after a save and reload). */
  private async setLink(selector: CommandParams<'nic.info'>, link: 'up' | 'down') {
    const runtime = await this.getRuntime();
    const nic = resolveNic(this.requireLab(), selector, link === 'down' ? 'nic.disconnect' : 'nic.reconnect');
    const ref = { vm: nic.vm, bridge: nic.bridge };
    const unchanged = nic.link === link;
    const { liveError } = await this.applyBatch([{ kind: 'nic.update', ...ref, patch: { link } }], 'engine', null);
    if (liveError) throw liveError;
    // A batch that changes nothing applies nothing; the running cable may still differ (see enforceLink).
    if (unchanged) await runtime.enforceLink(ref);
    return runtime.nicInfo(ref);
  }
}
