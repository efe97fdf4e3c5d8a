/**
 * The contract between the renderer and the engine: every command the UI can issue
 * (`commands`, read top to bottom = what the UI can do; the typed client `LabApi` is derived
 * from it) and every event the engine pushes (`LabEvent`). Both transports — Electron IPC through the preload, and WebSocket in browser
 * mode — carry exactly these messages, and the receiving side of each parses them with the
 * schemas below; errors cross as data and are rebuilt as `Error`s on the client.
 */
import { z } from 'zod';
import { labSchema } from './lab.js';
import { labChangeBatchSchema } from './lab-changes.js';

// ---------------------------------------------------------------------------------------------
// Values that appear in commands and events
// ---------------------------------------------------------------------------------------------

/** A NIC is identified by its VM and its bridge (the pair is unique in a lab); events and results use this form. */
export const nicRefSchema = z.strictObject({ vm: z.string().min(1).max(64), bridge: z.string().min(1).max(64) });
export type NicRef = z.infer<typeof nicRefSchema>;

/**
 * How a caller may name a NIC (the Provium seed's `vm:nic(...)`): by its bridge, or by its
 * guest name (`eth<N>`, or the `enp0s<N>` / `ens<N>` aliases of the same N). The engine
 * resolves it to a `NicRef` at its door (electron/engine/lab/nic-lookup.ts).
 */
export const nicSelectorSchema = z.union([nicRefSchema, z.strictObject({ vm: z.string().min(1).max(64), guestName: z.string().min(1).max(32) })]);
export type NicSelector = z.infer<typeof nicSelectorSchema>;

export const vmStateSchema = z.enum(['stopped', 'starting', 'running', 'stopping', 'crashed']);
export type VmState = z.infer<typeof vmStateSchema>;

/** Guest-perspective counters (guest rx = host TAP tx). Zeros before the TAP exists. */
export const nicCountersSchema = z.strictObject({
  rx_bytes: z.number(),
  tx_bytes: z.number(),
  rx_packets: z.number(),
  tx_packets: z.number(),
  errors: z.number(),
});
export type NicCounters = z.infer<typeof nicCountersSchema>;

/** Per-second rates over the last tick, guest perspective. */
export const nicRatesSchema = z.strictObject({
  rx_bps: z.number(),
  tx_bps: z.number(),
  rx_pps: z.number(),
  tx_pps: z.number(),
});
export type NicRates = z.infer<typeof nicRatesSchema>;

export const nicInfoSchema = z.strictObject({
  vm: z.string(),
  bridge: z.string(),
  /** `eth<N>`: N = position of the bridge among the VM's bridges sorted by name. */
  guestName: z.string(),
  hostTap: z.string(),
  hostBridge: z.string(),
  namespace: z.string(),
  mac: z.string(),
  ip: z.string().nullable(),
  link: z.enum(['up', 'down']),
});
export type NicInfo = z.infer<typeof nicInfoSchema>;

/** Which accelerator QEMU really uses (QMP `query-kvm`), null while the VM does not run. */
export const accelInUseSchema = z.enum(['kvm', 'tcg']);
export type AccelInUse = z.infer<typeof accelInUseSchema>;

export const vmStatusSchema = z.strictObject({
  name: z.string(),
  state: vmStateSchema,
  pid: z.number().nullable(),
  /** Why it crashed: the exit reason and the last serial lines. */
  reason: z.string().nullable(),
  accel: accelInUseSchema.nullable(),
  /** One line when the guest runs slower than it could (TCG because of /dev/kvm permissions), else null. */
  accelHint: z.string().nullable(),
});
export type VmStatus = z.infer<typeof vmStatusSchema>;

export const labStatusSchema = z.strictObject({
  namespace: z.string(),
  running: z.boolean(),
  vms: z.array(vmStatusSchema),
  /** Edits that could not be applied live and need a VM restart. */
  restartNeeded: z.array(z.string()),
});
export type LabStatus = z.infer<typeof labStatusSchema>;

export const labProblemSchema = z.strictObject({
  path: z.string(),
  message: z.string(),
  severity: z.enum(['error', 'warning']),
});

export const openLabSchema = z.strictObject({
  /** Null for a lab that was never saved. */
  path: z.string().nullable(),
  document: labSchema,
  problems: z.array(labProblemSchema),
  /** The document's revision: each applied change batch adds one; a batch names the one it was made against. */
  revision: z.number().int().min(0),
});
export type OpenLab = z.infer<typeof openLabSchema>;

export const captureStartSchema = z.strictObject({
  /** BPF capture filter, validated before tcpdump runs. */
  filter: z.string().max(1024).optional(),
  /** Also write every packet to this pcap file (complete even when the viewer evicts). */
  saveTo: z.string().max(4096).optional(),
});

export const captureInfoSchema = z.strictObject({
  captureId: z.string(),
  /** `a/eth0 (lan)` for a NIC, `bridge lan` for a bridge. */
  title: z.string(),
});
export type CaptureInfo = z.infer<typeof captureInfoSchema>;

export const exportFormatSchema = z.enum(['bash', 'libvirt', 'json']);

// ---------------------------------------------------------------------------------------------
// Commands: channel name → params and result schemas
// ---------------------------------------------------------------------------------------------

const none = z.strictObject({});
const ok = z.strictObject({});

export const commands = {
  // The lab document
  /** The lab this engine holds, or null when none is open. */
  'lab.current': { params: none, result: openLabSchema.nullable() },
  /** Opens a `*.lab.json` file of the engine host (broadcast as `lab.opened`). */
  'lab.open': { params: z.strictObject({ path: z.string().min(1).max(4096) }), result: openLabSchema },
  /** Opens the bundled demo lab (unsaved). */
  'lab.openDemo': { params: none, result: openLabSchema },
  /** Starts a new, empty, unsaved lab with this name. */
  'lab.create': { params: z.strictObject({ name: z.string().min(1).max(100) }), result: openLabSchema },
  /**
   * Edits of the document, made against `baseRevision` (shared/lab-changes.ts). The engine
   * applies the batch to its document and to the running lab (live where possible, else listed
   * in `restartNeeded`) and broadcasts it as `lab.changed` with the new revision and `origin`
   * (the sender's tag, so it knows its own echo). Refused as a whole: `stale-revision` (the lab
   * moved on since `baseRevision`: apply the `lab.changed` batches since, or reload with
   * `lab.current`, and send again) and `change-refused` (the batch does not fit the document).
   */
  'lab.change': {
    params: z.strictObject({ baseRevision: z.number().int().min(0), changes: labChangeBatchSchema, origin: z.string().min(1).max(64).optional() }),
    result: z.strictObject({ revision: z.number().int().min(0), problems: z.array(labProblemSchema), restartNeeded: z.array(z.string()) }),
  },
  /**
   * Writes the document to `path` (default: where it was opened or last saved). Errors a person
   * chooses from: `changed-on-disk` (another program changed the file since it was opened or
   * saved here; pass `overwrite: true` to replace it anyway), `read-only`, `disk-full`,
   * `save-failed`. On any of them the file on disk is unchanged.
   */
  'lab.save': { params: z.strictObject({ path: z.string().min(1).max(4096).optional(), overwrite: z.boolean().optional() }), result: z.strictObject({ path: z.string() }) },
  /** The problems `document` has (any JSON; nothing is opened or changed). */
  'lab.validate': { params: z.strictObject({ document: z.unknown() }), result: z.strictObject({ problems: z.array(labProblemSchema) }) },
  // Autosave copies of unsaved edits, kept by the engine (see electron/engine/lab/recovery-store.ts)
  /** Keeps an autosave copy of the unsaved document of the lab at `path` (null: never saved). */
  'recovery.write': { params: z.strictObject({ path: z.string().max(4096).nullable(), document: labSchema }), result: ok },
  /** The autosave copy of the lab at `path` (or of the unsaved lab with this id and name), or null. */
  'recovery.read': { params: z.strictObject({ path: z.string().max(4096).nullable(), id: z.string().max(64).optional(), name: z.string().max(100) }), result: z.strictObject({ savedAt: z.number(), path: z.string().nullable(), document: labSchema }).nullable() },
  /** Drops that autosave copy (after a save, or when the person declined to restore it). */
  'recovery.clear': { params: z.strictObject({ path: z.string().max(4096).nullable(), id: z.string().max(64).optional(), name: z.string().max(100) }), result: ok },
  // Running the lab
  /** Creates the network and boots every VM; refused (`invalid-lab`) while the document has errors. */
  'lab.up': { params: none, result: labStatusSchema },
  /** Namespace, bridges and every TAP, without booting VMs (the CLI's `up --network-only`). */
  'lab.upNetwork': { params: none, result: labStatusSchema },
  /** Stops every VM and removes the lab's namespace. */
  'lab.down': { params: none, result: labStatusSchema },
  /** Whether the lab runs, each VM's state and accelerator, what needs a restart. */
  'lab.status': { params: none, result: labStatusSchema },
  /** Boots one VM (creating the network first if needed). */
  'vm.start': { params: z.strictObject({ vm: z.string() }), result: vmStatusSchema },
  /** ACPI power button, then quit after a bounded wait; `force` quits at once (also while a stop waits). */
  'vm.stop': { params: z.strictObject({ vm: z.string(), force: z.boolean().optional() }), result: vmStatusSchema },
  /** Runs a shell command in the guest over its automation channel (tests, scripted checks). */
  'vm.run': { params: z.strictObject({ vm: z.string(), command: z.string().min(1).max(4096), timeoutMs: z.number().int().min(100).max(600_000).optional() }), result: z.strictObject({ exitCode: z.number(), output: z.string() }) },
  /** Saves a QEMU snapshot of a running VM under `tag`. */
  'vm.snapshot': { params: z.strictObject({ vm: z.string(), tag: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/) }), result: ok },
  // NICs
  /** Everything about one NIC: guest name, host TAP and bridge, namespace, MAC, address, cable. */
  'nic.info': { params: nicSelectorSchema, result: nicInfoSchema },
  /** libvirt's look-up by MAC: every NIC with that MAC (a lab may repeat one), possibly none. */
  'nic.findByMac': { params: z.strictObject({ mac: z.string().regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/, 'a MAC address like 52:54:00:12:34:56') }), result: z.strictObject({ nics: z.array(nicInfoSchema) }) },
  /** The NIC's counters, guest perspective (zeros before its TAP exists). */
  'nic.counters': { params: nicSelectorSchema, result: nicCountersSchema },
  /** Starts the NIC's counters from zero again. */
  'nic.resetCounters': { params: nicSelectorSchema, result: ok },
  /** Pull the cable: the same change as `lab.change` with the NIC's `link: "down"` (and `lab.changed` follows). */
  'nic.disconnect': { params: nicSelectorSchema, result: nicInfoSchema },
  /** Plug the cable back in: `link: "up"`, the same way. */
  'nic.reconnect': { params: nicSelectorSchema, result: nicInfoSchema },
  // Captures
  /** Captures on one NIC; its bytes stream to this client alone (`capture.stream`). */
  'nic.capture': { params: z.strictObject({ nic: nicSelectorSchema, options: captureStartSchema }), result: captureInfoSchema },
  /** Captures everything on one bridge; its bytes stream to this client alone (`capture.stream`). */
  'bridge.capture': { params: z.strictObject({ bridge: z.string(), options: captureStartSchema }), result: captureInfoSchema },
  /** Stops a capture; the counts are null when tcpdump did not report them. */
  'capture.stop': { params: z.strictObject({ captureId: z.string() }), result: z.strictObject({ packets: z.number().nullable(), kernelDrops: z.number().nullable() }) },
  // Wireshark on the engine host (the packet viewer's "Open in Wireshark")
  /** Whether Wireshark is installed where the engine runs. */
  'wireshark.status': { params: none, result: z.strictObject({ available: z.boolean(), path: z.string().nullable() }) },
  /** Launches Wireshark on a capture file of the engine host (e.g. a capture's `saveTo`). */
  'wireshark.open': { params: z.strictObject({ path: z.string().min(1).max(4096) }), result: z.strictObject({ pid: z.number() }) },
  // Consoles: only clients that opened a VM's console get its `console.data` (closing a client ends all of its).
  /** Subscribes the calling client to the VM's console output; answers with its state and the serial history kept on disk. */
  'console.open': { params: z.strictObject({ vm: z.string() }), result: z.strictObject({ state: vmStateSchema, history: z.string() }) },
  /** Ends that subscription. */
  'console.close': { params: z.strictObject({ vm: z.string() }), result: ok },
  /** Types into the VM's serial console. */
  'console.write': { params: z.strictObject({ vm: z.string(), data: z.string().max(65_536) }), result: ok },
  /** The serial history kept on disk, without subscribing. */
  'console.history': { params: z.strictObject({ vm: z.string() }), result: z.strictObject({ data: z.string() }) },
  // Export
  /** The lab as files (name → content): a bash script, libvirt XML or the JSON document. */
  'export.script': { params: z.strictObject({ format: exportFormatSchema }), result: z.strictObject({ files: z.record(z.string(), z.string()) }) },
} as const;

export type Channel = keyof typeof commands;
export type CommandParams<C extends Channel> = z.infer<(typeof commands)[C]['params']>;
export type CommandResult<C extends Channel> = z.infer<(typeof commands)[C]['result']>;

// ---------------------------------------------------------------------------------------------
// Events pushed from engine to renderer
// ---------------------------------------------------------------------------------------------

export const countersTickNicSchema = z.strictObject({
  vm: z.string(),
  bridge: z.string(),
  counters: nicCountersSchema,
  rates: nicRatesSchema,
});
export type CountersTickNic = z.infer<typeof countersTickNicSchema>;

export const labEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('vm.state'), vm: z.string(), state: vmStateSchema, reason: z.string().nullable() }),
  z.strictObject({ type: z.literal('counters.tick'), at: z.number(), nics: z.array(countersTickNicSchema) }),
  // A capture's bytes are no event: they stream to the client that started it alone, on a
  // channel of their own (binary WebSocket frames, a MessagePort per capture in Electron, lines
  // on the control socket; see `LabApi.capture.stream`). The end of a capture is broadcast:
  z.strictObject({ type: z.literal('capture.ended'), captureId: z.string(), packets: z.number().nullable(), kernelDrops: z.number().nullable() }),
  /** Sent only to the clients that opened this VM's console (`console.open`). */
  z.strictObject({ type: z.literal('console.data'), vm: z.string(), data: z.string() }),
  /** A lab was opened or created (by any client): its whole document, starting a new revision line. */
  z.strictObject({ type: z.literal('lab.opened'), path: z.string().nullable(), document: labSchema, revision: z.number().int().min(0) }),
  /** A batch the engine applied (`lab.change`, a pulled cable): what changed, its revision, who sent it, the document's problems now. */
  z.strictObject({ type: z.literal('lab.changed'), revision: z.number().int().min(0), changes: labChangeBatchSchema, origin: z.string(), problems: z.array(labProblemSchema) }),
  /** `vm` and `path` (a JSON path into the document) say where it happened, when it happened in one VM. */
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string(), hint: z.string().optional(), vm: z.string().optional(), path: z.string().optional() }),
]);
export type LabEvent = z.infer<typeof labEventSchema>;
export type LabEventType = LabEvent['type'];

// ---------------------------------------------------------------------------------------------
// Errors and the wire envelope (shared by both transports)
// ---------------------------------------------------------------------------------------------

export const apiErrorSchema = z.strictObject({ code: z.string(), message: z.string(), hint: z.string().optional() });
export type ApiError = z.infer<typeof apiErrorSchema>;

export const replySchema = z.union([
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: apiErrorSchema }),
]);
export type Reply = z.infer<typeof replySchema>;

/** An error that knows its code and hint, so both sides can show "what happened, what to do". */
export class WirebenchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'WirebenchError';
  }
}

export function errorToData(err: unknown): ApiError {
  if (err instanceof WirebenchError) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  if (err instanceof Error) return { code: (err as { code?: string }).code ?? 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}

export function errorFromData(data: ApiError): WirebenchError {
  return new WirebenchError(data.code, data.message, data.hint);
}

/** Parses a command's params, turning a schema failure into an error that names the field. */
export function parseParams<C extends Channel>(channel: C, params: unknown): CommandParams<C> {
  const parsed = commands[channel].params.safeParse(params);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length ? ` at ${first.path.join('.')}` : '';
    throw new WirebenchError('bad-request', `${channel}: invalid parameters${where}: ${first?.message ?? 'unreadable'}`);
  }
  return parsed.data as CommandParams<C>;
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}

// ---------------------------------------------------------------------------------------------
// The typed client, derived from `commands` (built over the WebSocket client or the preload's
// bridge; the CLI and the engine call the same channels by name): `'lab.open'` is `api.lab.open({ path })`
// (group = the text before the dot, method = after), called with exactly the command's params
// (none for a command whose params are all optional) and resolving to exactly its result.
// ---------------------------------------------------------------------------------------------

type Invoke = <C extends Channel>(channel: C, params: CommandParams<C>) => Promise<CommandResult<C>>;

/** `lab` of `'lab.open'`. */
export type CommandGroup = Channel extends infer C ? (C extends `${infer G}.${string}` ? G : never) : never;

/** One command as a method (its doc is its entry in `commands`); params may be left out when the schema allows `{}`. */
export interface CommandMethod<C extends Channel> {
  (...params: {} extends CommandParams<C> ? [params?: CommandParams<C>] : [params: CommandParams<C>]): Promise<CommandResult<C>>;
}

/** Every command of the table, grouped: `{ lab: { open, ... }, vm: { start, ... }, ... }`. */
export type CommandClient = {
  [G in CommandGroup]: { [C in keyof typeof commands as C extends `${G}.${infer M}` ? M : never]: CommandMethod<C> };
};

/** Receives the pcap bytes of one capture this client started. */
export interface CaptureStreamSink {
  /** The next bytes, in order; the first starts with the pcap file header. */
  data(bytes: Uint8Array): void;
  /** The capture's stream ended: no bytes after this. */
  end(): void;
}

/** A transport's way to hand a capture's bytes to its sink; returns the unsubscribe function. */
export type StreamCapture = (captureId: string, sink: CaptureStreamSink) => () => void;

/** What the UI can do: every command (`CommandClient`), plus the two things that are no command. */
export type LabApi = CommandClient & {
  capture: {
    /**
     * Receives the bytes of a capture this client started (only the client that called
     * `nic.capture` / `bridge.capture` gets them). The engine sends none before that command's
     * reply, so subscribing as soon as it resolves (in the same task) misses none; bytes of a
     * capture nobody streams are dropped.
     */
    stream: StreamCapture;
  };
  /** Subscribe to engine events; returns the unsubscribe function. */
  onEvent(listener: (event: LabEvent) => void): () => void;
};

/** `['lab', 'open']` of `'lab.open'`. */
export function channelParts(channel: Channel): [group: CommandGroup, method: string] {
  const dot = channel.indexOf('.');
  return [channel.slice(0, dot) as CommandGroup, channel.slice(dot + 1)];
}

const noCaptureStreams: StreamCapture = () => {
  throw new WirebenchError('unsupported', 'this connection does not carry capture bytes');
};

/** Builds the grouped API over any transport's `invoke`, event subscription and capture streams: one method per command of the table. */
export function createLabApi(invoke: Invoke, onEvent: LabApi['onEvent'], streamCapture: StreamCapture = noCaptureStreams): LabApi {
  const groups: Record<string, Record<string, unknown>> = {};
  for (const channel of Object.keys(commands) as Channel[]) {
    const [group, method] = channelParts(channel);
    (groups[group] ??= {})[method] = (params: CommandParams<Channel> = {}) => invoke(channel, params as never);
  }
  groups.capture!.stream = streamCapture;
  return { ...groups, onEvent } as unknown as LabApi;
}
