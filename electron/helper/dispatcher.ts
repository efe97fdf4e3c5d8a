/**
 * From one request line to one response: parse (JSON, then the protocol schema), check
 * ownership, serialize per namespace, run the operation, and turn any failure into an error
 * response. `handleLine` never throws: a root process that a bad line could crash is a bug.
 */
import type { z } from 'zod';
import { helperRequestSchema, type HelperError, type HelperOp, type HelperRequest, type HelperResults } from '../../shared/helper-protocol.js';
import type { HelperContext } from './context.js';
import { HelperFailure, clip, toWireError } from './errors.js';
import { isOwned, listMarkers } from './ownership.js';
import { attachLink, createBridge, createTap, deleteBridge, deleteTap, detachLink, setLink, setMtu } from './ops/bridge-tap.js';
import { collectGarbage } from './ops/gc.js';
import { createNamespace, adoptNamespace, deleteNamespace, namespaceExists } from './ops/namespace.js';
import { clearNetem, setNetem } from './ops/netem.js';
import { startQemu } from './ops/qemu.js';
import { HELPER_VERSION } from './version.js';

export type Reply =
  | { id: number; ok: true; result: HelperResults[HelperOp] }
  | { id: number | null; ok: false; error: HelperError };

type RequestOf<K extends HelperOp> = Extract<HelperRequest, { op: K }>;
type Handler<K extends HelperOp> = (ctx: HelperContext, request: RequestOf<K>) => Promise<HelperResults[K]>;

/** Runs `task` in the namespace's queue once the namespace is known to be ours. */
function owned<T>(ctx: HelperContext, ns: string, task: () => Promise<T>): Promise<T> {
  return ctx.queue.run(ns, async () => {
    if (!isOwned(ns, ctx.user.uid)) {
      throw new HelperFailure('not-owned', `namespace ${ns} was not created by Wirebench's helper for this user; refusing to touch it`, 'create lab namespaces with ns.create; the helper never acts on other namespaces');
    }
    return task();
  });
}

/** The operation table: one entry per op of the protocol (the compiler checks it is complete). */
const handlers: { [K in HelperOp]: Handler<K> } = {
  info: async (ctx) => ({
    version: HELPER_VERSION,
    uid: ctx.user.uid,
    qemuUid: ctx.user.qemuUid,
    qemuGid: ctx.user.qemuGid,
    runtimeRoot: ctx.user.runtimeRoot,
    // Namespaces it may act on that still exist (a marker can outlive a namespace after a crash).
    namespaces: listMarkers()
      .filter((m) => m.uid === ctx.user.uid && namespaceExists(m.ns))
      .map((m) => m.ns)
      .sort(),
  }),
  'ns.create': (ctx, r) => ctx.queue.run(r.ns, () => createNamespace(ctx, r.ns)),
  'ns.delete': (ctx, r) => owned(ctx, r.ns, () => deleteNamespace(ctx, r.ns)),
  'ns.adopt': (ctx, r) => ctx.queue.run(r.ns, () => adoptNamespace(ctx, r.ns)),
  'bridge.create': (ctx, r) => owned(ctx, r.ns, () => createBridge(r.ns, r.bridge)),
  'bridge.delete': (ctx, r) => owned(ctx, r.ns, () => deleteBridge(r.ns, r.bridge)),
  'tap.create': (ctx, r) => owned(ctx, r.ns, () => createTap(ctx, r.ns, r.tap, r.mtu)),
  'tap.delete': (ctx, r) => owned(ctx, r.ns, () => deleteTap(r.ns, r.tap)),
  'link.attach': (ctx, r) => owned(ctx, r.ns, () => attachLink(r.ns, r.tap, r.bridge)),
  'link.detach': (ctx, r) => owned(ctx, r.ns, () => detachLink(r.ns, r.tap)),
  'link.set': (ctx, r) => owned(ctx, r.ns, () => setLink(r.ns, r.dev, r.up)),
  'link.mtu': (ctx, r) => owned(ctx, r.ns, () => setMtu(r.ns, r.dev, r.mtu)),
  'netem.set': (ctx, r) => owned(ctx, r.ns, () => setNetem(r.ns, r.dev, r.netem)),
  'netem.clear': (ctx, r) => owned(ctx, r.ns, () => clearNetem(r.ns, r.dev)),
  'capture.start': (ctx, r) => owned(ctx, r.ns, () => ctx.captures.start(r.ns, r.dev, r.filter, r.snaplen)),
  // Not queued on the namespace: ns.delete stops captures while holding that queue.
  'capture.stop': (ctx, r) => ctx.captures.stop(r.captureId),
  'qemu.start': (ctx, r) => owned(ctx, r.ns, () => startQemu(ctx.user, r.ns, r.spec)),
  gc: (ctx) => collectGarbage(ctx),
};

function dispatch<K extends HelperOp>(ctx: HelperContext, request: RequestOf<K>): Promise<HelperResults[K]> {
  // TypeScript cannot correlate `request.op` with the handler's parameter; the table's type does.
  const handler = handlers[request.op as K];
  return handler(ctx, request);
}

/** The request's id when it is readable, so even a rejected request can be matched by the client. */
function idOf(value: unknown): number | null {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'id')) return null;
  const id = (value as { id: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 5).map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(request)';
    return `${where}: ${issue.message}`;
  });
  if (issues.length > 5) parts.push(`and ${issues.length - 5} more`);
  return clip(parts.join('; '), 1000);
}

function failure(id: number | null, error: HelperError): Reply {
  return { id, ok: false, error };
}

export async function handleLine(ctx: HelperContext, text: string): Promise<Reply> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return failure(null, { code: 'bad-json', message: `request is not JSON (${(err as Error).message})`, hint: 'send one JSON object per line' });
  }
  const parsed = helperRequestSchema.safeParse(value);
  if (!parsed.success) {
    return failure(idOf(value), { code: 'bad-request', message: `invalid request: ${describeIssues(parsed.error.issues)}`, hint: 'see shared/helper-protocol.ts for the operations and their fields' });
  }
  const request = parsed.data;
  try {
    const result = await dispatch(ctx, request);
    return { id: request.id, ok: true, result };
  } catch (err) {
    if (!(err instanceof HelperFailure)) ctx.log(`${request.op} failed unexpectedly: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return failure(request.id, toWireError(err));
  }
}
