/**
 * Creating and deleting lab namespaces. Creation claims the ownership marker first, so a
 * namespace that exists without a marker (the host's, another tool's) is never adopted; deletion
 * ends everything running inside (QEMU guests, tcpdump) before removing it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessRunning } from '../../common/process-state.js';
import { loopbackUp, namespaceAdd, namespaceDelete } from '../../../shared/net-commands.js';
import { HelperFailure } from '../errors.js';
import { claim, createdByThisHelper, creatorAlive, readMarker, reclaim, release } from '../ownership.js';
import { commandFailure, run, runInNamespace } from '../run-command.js';
import { findTool } from '../tools.js';
import type { HelperContext } from '../context.js';

/** `ip netns add` keeps one bind-mounted file per namespace here. */
export function namespaceExists(ns: string): boolean {
  return existsSync(`/run/netns/${ns}`);
}

export async function createNamespace(ctx: HelperContext, ns: string): Promise<{ ns: string }> {
  if (!claim(ns, ctx.user.uid)) {
    const marker = readMarker(ns);
    if (namespaceExists(ns) || marker === null || marker.uid !== ctx.user.uid) {
      throw new HelperFailure('exists', `namespace ${ns} already exists (created by Wirebench)`, 'adopt the running lab, or delete it (ns.delete) before creating it again');
    }
    // The marker outlived its namespace (its helper died between the two steps): take it over,
    // unless that helper is alive and simply has not run `ip netns add` yet.
    if ((creatorAlive(marker) && !createdByThisHelper(marker)) || !reclaim(ns, ctx.user.uid)) {
      throw new HelperFailure('exists', `namespace ${ns} is being created by another Wirebench helper right now`, 'wait a moment and adopt it');
    }
  }
  try {
    if (namespaceExists(ns)) {
      throw new HelperFailure('exists', `namespace ${ns} already exists and was not created by Wirebench`, `if an exported script started this lab, stop it with "<lab>.sh down"; if it is left over, remove it with "ip netns del ${ns}"; or give the lab another id (the namespace name comes from it)`);
    }
    const add = namespaceAdd(ns);
    const added = await run(add.tool, add.args);
    if (added.code !== 0) throw commandFailure(`could not create namespace ${ns}`, added);
  } catch (err) {
    releaseIfMine(ns);
    throw err;
  }
  const loUp = loopbackUp(ns);
  const lo = await run(loUp.tool, loUp.args);
  if (lo.code !== 0) throw commandFailure(`namespace ${ns} was created but its loopback would not come up`, lo);
  // The namespace is a switch, not a host: without IPv6 on the bridges and TAPs the host side
  // sends no router solicitations or MLD reports, so captures show only what the guests send.
  if (findTool('sysctl')) {
    const quiet = await runInNamespace(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    if (quiet.code !== 0) ctx.log(`ns.create ${ns}: could not disable host-side IPv6 (${quiet.stderr.trim()}); captures may show host IPv6 chatter`);
  }
  return { ns };
}

/**
 * Takes ownership of a lab namespace this helper did not create — one an exported script made
 * (it builds exactly what the app builds). Refused unless the namespace runs at least one
 * process and every process in it belongs to this user's QEMU user: then the caller could
 * already control everything inside, and adopting gives them nothing they did not have.
 */
export async function adoptNamespace(ctx: HelperContext, ns: string): Promise<{ ns: string; pids: number[] }> {
  if (!namespaceExists(ns)) throw new HelperFailure('not-found', `namespace ${ns} does not exist`, 'start the lab first');
  const marker = readMarker(ns);
  if (marker) {
    if (marker.uid !== ctx.user.uid) throw new HelperFailure('not-owned', `namespace ${ns} belongs to another user's Wirebench`, 'leave it alone');
    return { ns, pids: await namespacePids(ns) };
  }
  const pids = await namespacePids(ns);
  if (pids.length === 0) {
    throw new HelperFailure('not-owned', `namespace ${ns} runs nothing, so nothing shows whose it is; refusing to adopt it`, `if it is a leftover, remove it with "ip netns del ${ns}"`);
  }
  for (const pid of pids) {
    const uid = processRealUid(pid);
    if (uid !== null && uid !== ctx.user.qemuUid) {
      throw new HelperFailure('not-owned', `namespace ${ns} runs process ${pid} of uid ${uid}, not this user's QEMU (uid ${ctx.user.qemuUid}); refusing to adopt it`, 'stop that lab with the tool that started it');
    }
  }
  if (!claim(ns, ctx.user.uid)) throw new HelperFailure('exists', `namespace ${ns} was just adopted by another Wirebench helper`, 'retry');
  return { ns, pids };
}

export async function namespacePids(ns: string): Promise<number[]> {
  const listed = await run('ip', ['netns', 'pids', ns]);
  if (listed.code !== 0) throw commandFailure(`could not list the processes of namespace ${ns}`, listed);
  return listed.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
}

/** Real uid of a process, or null when it has already exited. */
function processRealUid(pid: number): number | null {
  try {
    const match = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function releaseIfMine(ns: string): void {
  const marker = readMarker(ns);
  if (marker && createdByThisHelper(marker)) release(ns);
}


function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Grace period between SIGTERM and SIGKILL: QEMU exits on SIGTERM within milliseconds. */
const TERM_GRACE_MS = 2_000;

/** Ends every process whose network namespace is `ns`: SIGTERM, then SIGKILL for stragglers. */
export async function killNamespaceProcesses(ns: string): Promise<number[]> {
  const listed = await run('ip', ['netns', 'pids', ns]);
  if (listed.code !== 0) return [];
  const pids = listed.stdout
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => pid > 1 && pid !== process.pid);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + TERM_GRACE_MS;
  while (pids.some((pid) => isProcessRunning(pid)) && Date.now() < deadline) await sleep(50);
  for (const pid of pids) if (isProcessRunning(pid)) signal(pid, 'SIGKILL');
  return pids;
}

export async function deleteNamespace(ctx: HelperContext, ns: string): Promise<{ ns: string }> {
  await ctx.captures.stopAllIn(ns, 'namespace deleted');
  await killNamespaceProcesses(ns);
  if (namespaceExists(ns)) {
    const del = namespaceDelete(ns);
    const deleted = await run(del.tool, del.args);
    if (deleted.code !== 0 && namespaceExists(ns)) throw commandFailure(`could not delete namespace ${ns}`, deleted);
  }
  release(ns);
  return { ns };
}
