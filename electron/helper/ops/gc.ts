/**
 * Explicit clean-up (never run on exit: guests may outlive the app). Removes:
 * - every namespace this helper created, and those whose creating helper is no longer running
 *   (a crashed app) and that hold no process any more, for the same invoking user. A namespace
 *   whose creator is gone but whose guests still run is a lab left up on purpose (`wirebench
 *   up` exits, the app closes with the lab running): it is someone's, and `down` removes it.
 *   A namespace created by another live helper (a parallel test worker, the app while the CLI
 *   runs) belongs to that helper.
 * - every capture this helper runs, and capture FIFOs in the user's folder that no process has
 *   open (left by a helper that was killed).
 */
import { lstatSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import type { HelperContext } from '../context.js';
import { createdByThisHelper, creatorAlive, listMarkers, release } from '../ownership.js';
import { deleteNamespace, namespaceExists, namespacePids } from './namespace.js';

/** Paths open by any process, read from /proc/<pid>/fd (the helper is root and can see all). */
function openPaths(): Set<string> {
  const paths = new Set<string>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return paths;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        paths.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        // the fd closed while we looked
      }
    }
  }
  return paths;
}

function orphanFifos(folder: string, active: Set<string>): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const candidates = names
    .filter((name) => /^cap-\d{1,9}\.pcap$/.test(name))
    .map((name) => `${folder}/${name}`)
    .filter((file) => !active.has(file))
    .filter((file) => {
      try {
        return lstatSync(file).isFIFO();
      } catch {
        return false;
      }
    });
  if (candidates.length === 0) return [];
  const open = openPaths();
  return candidates.filter((file) => !open.has(file));
}

export async function collectGarbage(ctx: HelperContext): Promise<{ removed: string[] }> {
  const removed: string[] = [];
  removed.push(...(await ctx.captures.stopAll('gc')));

  const mine = listMarkers().filter((m) => m.uid === ctx.user.uid && (createdByThisHelper(m) || !creatorAlive(m)));
  for (const marker of mine) {
    await ctx.queue.run(marker.ns, async () => {
      // Re-read under the namespace's queue: another request may have deleted it meanwhile.
      if (!listMarkers().some((m) => m.ns === marker.ns)) return;
      if (!createdByThisHelper(marker) && (await namespacePids(marker.ns).catch(() => [])).length > 0) return;
      try {
        await deleteNamespace(ctx, marker.ns);
        removed.push(marker.ns);
      } catch (err) {
        ctx.log(`gc: could not delete ${marker.ns}: ${(err as Error).message}`);
        // A marker whose namespace is gone is stale either way; one whose namespace remains keeps it ours.
        if (!namespaceExists(marker.ns)) release(marker.ns);
      }
    });
  }

  for (const fifo of orphanFifos(ctx.captures.folder, ctx.captures.activeFifos)) {
    rmSync(fifo, { force: true });
    removed.push(fifo);
  }
  return { removed };
}
