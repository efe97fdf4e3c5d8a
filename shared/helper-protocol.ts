/**
 * The privileged helper's protocol: JSON lines on stdin (requests) and stdout (responses and
 * events). The helper parses every request with these schemas and answers anything else with
 * an error; the engine's helper client parses every response the same way.
 *
 * The helper only ever acts inside network namespaces it created itself (named `wb-<8 hex>`).
 */
import { z } from 'zod';
import { isValidInterfaceName } from './name-rules.js';
import { qemuSpecSchema } from './qemu-spec.js';

/** Longest request line the helper reads; longer lines are answered with an error and skipped. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export const namespaceNameSchema = z.string().regex(/^wb-[0-9a-f]{8}$/, 'must be "wb-" followed by 8 hex digits');
export const interfaceNameSchema = z.string().refine(isValidInterfaceName, 'must be a Linux interface name: 1–15 of A-Z a-z 0-9 _ . -');

const ns = namespaceNameSchema;
/** A NIC's MTU, as the lab document bounds it (shared/lab.ts) plus Linux's default 1500. */
const mtu = z.number().int().min(68).max(9000);
const dev = interfaceNameSchema;

/** One capture at a time per device per namespace is plenty; ids are the helper's. */
export const captureIdSchema = z.string().regex(/^cap-[0-9]{1,9}$/);

export const netemSchema = z.strictObject({
  delayMs: z.number().min(0).max(60_000).optional(),
  jitterMs: z.number().min(0).max(60_000).optional(),
  lossPercent: z.number().min(0).max(100).optional(),
  rateKbit: z.number().int().min(8).max(100_000_000).optional(),
});

/** Every operation with its parameters. Adding one means adding it here and in the helper's op table. */
export const helperRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('info') }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('ns.create'), ns }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('ns.delete'), ns }),
  /** Take over a lab namespace an exported script made: only when everything running in it is this user's QEMU. */
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('ns.adopt'), ns }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('bridge.create'), ns, bridge: dev }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('bridge.delete'), ns, bridge: dev }),
  /** `mtu`: the NIC's MTU in the lab document (the guest's); the TAP's bridge follows the smallest of its ports. */
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('tap.create'), ns, tap: dev, mtu: mtu.optional() }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('tap.delete'), ns, tap: dev }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('link.attach'), ns, tap: dev, bridge: dev }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('link.detach'), ns, tap: dev }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('link.set'), ns, dev, up: z.boolean() }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('link.mtu'), ns, dev, mtu }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('netem.set'), ns, dev, netem: netemSchema }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('netem.clear'), ns, dev }),
  z.strictObject({
    id: z.number().int().nonnegative(),
    op: z.literal('capture.start'),
    ns,
    dev,
    /** BPF capture filter; passed to tcpdump as one argv element, never through a shell. */
    filter: z.string().max(1024).optional(),
    snaplen: z.number().int().min(64).max(262_144).optional(),
  }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('capture.stop'), captureId: captureIdSchema }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('qemu.start'), ns, spec: qemuSpecSchema }),
  z.strictObject({ id: z.number().int().nonnegative(), op: z.literal('gc') }),
]);
export type HelperRequest = z.infer<typeof helperRequestSchema>;
export type HelperOp = HelperRequest['op'];
/** A request as the client writes it: the client assigns the id. */
export type HelperCall = HelperRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** What each op returns on success. */
export interface HelperResults {
  info: { version: string; uid: number; qemuUid: number; qemuGid: number; runtimeRoot: string; namespaces: string[] };
  'ns.create': { ns: string };
  'ns.delete': { ns: string };
  'ns.adopt': { ns: string; pids: number[] };
  'bridge.create': Record<string, never>;
  'bridge.delete': Record<string, never>;
  'tap.create': Record<string, never>;
  'tap.delete': Record<string, never>;
  'link.attach': Record<string, never>;
  'link.detach': Record<string, never>;
  'link.set': Record<string, never>;
  'link.mtu': Record<string, never>;
  /**
   * What was applied: netem does everything; a kernel without netem gets the rate alone from
   * `tbf`, and `notApplied` lists what it could not do.
   */
  'netem.set': { qdisc: 'netem' | 'tbf'; notApplied: ('delay' | 'jitter' | 'loss')[] };
  'netem.clear': Record<string, never>;
  /** `fifo` is a named pipe readable by the invoking user, carrying a pcap stream. */
  'capture.start': { captureId: string; fifo: string };
  'capture.stop': { packetsCaptured: number | null; kernelDrops: number | null };
  'qemu.start': { pid: number };
  gc: { removed: string[] };
}

export const helperErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
});
export type HelperError = z.infer<typeof helperErrorSchema>;

export const helperResponseSchema = z.union([
  z.object({ id: z.number().int().nonnegative(), ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  /** `id` is null when the request could not be read far enough to know its id. */
  z.object({ id: z.number().int().nonnegative().nullable(), ok: z.literal(false), error: helperErrorSchema }),
  /** Unsolicited: a capture's tcpdump exited (stopped, or the device went away). */
  z.object({
    event: z.literal('capture.ended'),
    captureId: captureIdSchema,
    packetsCaptured: z.number().int().nullable(),
    kernelDrops: z.number().int().nullable(),
  }),
]);
export type HelperResponse = z.infer<typeof helperResponseSchema>;
