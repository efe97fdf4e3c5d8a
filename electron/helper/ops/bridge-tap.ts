/**
 * Bridges, TAPs and the cables between them, all inside a lab namespace (`ip -n NS ...`; the
 * helper never names a host interface). Deletions check the interface kind first, so
 * `bridge.delete` cannot remove a TAP and `tap.delete` cannot remove a bridge.
 */
import { bridgeCreateCommands, linkAttach, linkDelete, linkDetach, linkMtu, linkSet, tapCreateCommands, tapDelete, type NetCommand } from '../../../shared/net-commands.js';
import { HelperFailure } from '../errors.js';
import { commandFailure, run, runChecked } from '../run-command.js';
import type { HelperContext } from '../context.js';

type Empty = Record<string, never>;
const done: Empty = {};

/** Runs the commands (shared/net-commands.ts, the ones exported scripts run too) in order. */
async function runAll(ns: string, commands: readonly NetCommand[]): Promise<void> {
  for (const command of commands) await runChecked(`could not ${command.what} in ${ns}`, command.tool, command.args);
}

interface LinkDetails {
  ifname: string;
  /** `bridge`, `tun` (TAPs), `veth`, …; absent for plain devices like `lo`. */
  kind: string | undefined;
}

/** Reads one interface's kind with `ip -j -d link show`; null when it does not exist. */
export async function linkDetails(ns: string, dev: string): Promise<LinkDetails | null> {
  const result = await run('ip', ['-n', ns, '-j', '-d', 'link', 'show', 'dev', dev]);
  if (result.code !== 0) {
    if (/does not exist|Cannot find device/i.test(result.stderr)) return null;
    throw commandFailure(`could not inspect ${dev} in ${ns}`, result);
  }
  const parsed: unknown = JSON.parse(result.stdout);
  const first = Array.isArray(parsed) ? (parsed[0] as { ifname?: unknown; linkinfo?: { info_kind?: unknown } } | undefined) : undefined;
  if (!first || typeof first.ifname !== 'string') return null;
  const kind = first.linkinfo?.info_kind;
  return { ifname: first.ifname, kind: typeof kind === 'string' ? kind : undefined };
}

async function requireKind(ns: string, dev: string, kind: 'bridge' | 'tun', label: string): Promise<void> {
  const details = await linkDetails(ns, dev);
  if (!details) throw new HelperFailure('not-found', `${label} ${dev} does not exist in ${ns}`, `create it first (${label}.create)`);
  if (details.kind !== kind) {
    throw new HelperFailure('bad-request', `${dev} in ${ns} is not a ${label} (it is a ${details.kind ?? 'plain device'})`, `use the operation for a ${details.kind ?? 'device'} of that kind`);
  }
}

export async function createBridge(ns: string, bridge: string): Promise<Empty> {
  await runAll(ns, bridgeCreateCommands(ns, bridge));
  return done;
}

export async function deleteBridge(ns: string, bridge: string): Promise<Empty> {
  await requireKind(ns, bridge, 'bridge', 'bridge');
  await runAll(ns, [linkDelete(ns, bridge)]);
  return done;
}

export async function createTap(ctx: HelperContext, ns: string, tap: string, mtu?: number): Promise<Empty> {
  const { qemuUid, qemuGid } = ctx.user;
  await runAll(ns, tapCreateCommands(ns, tap, { uid: qemuUid, gid: qemuGid }, mtu));
  return done;
}

export async function deleteTap(ns: string, tap: string): Promise<Empty> {
  await requireKind(ns, tap, 'tun', 'tap');
  await runAll(ns, [tapDelete(ns, tap)]);
  return done;
}

export async function attachLink(ns: string, tap: string, bridge: string): Promise<Empty> {
  await requireKind(ns, bridge, 'bridge', 'bridge');
  const port = await linkDetails(ns, tap);
  if (!port) throw new HelperFailure('not-found', `${tap} does not exist in ${ns}`, 'create the TAP first (tap.create)');
  if (port.kind === 'bridge') throw new HelperFailure('bad-request', `${tap} is a bridge; only TAPs and other ports can be attached to ${bridge}`);
  await runAll(ns, [linkAttach(ns, tap, bridge)]);
  return done;
}

export async function detachLink(ns: string, tap: string): Promise<Empty> {
  await runAll(ns, [linkDetach(ns, tap)]);
  return done;
}

export async function setLink(ns: string, dev: string, up: boolean): Promise<Empty> {
  await runAll(ns, [linkSet(ns, dev, up)]);
  return done;
}

/** A TAP's MTU (a running NIC's MTU edit); only TAPs: a bridge follows its ports by itself. */
export async function setMtu(ns: string, dev: string, mtu: number): Promise<Empty> {
  await requireKind(ns, dev, 'tun', 'tap');
  await runAll(ns, [linkMtu(ns, dev, mtu)]);
  return done;
}
