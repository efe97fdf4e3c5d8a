/**
 * Link impairments with the netem qdisc: `tc -n NS qdisc replace dev DEV root netem ...`, with
 * only the parameters the request gives (the argv: shared/net-commands.ts). `replace` makes the call
 * idempotent (set twice = set once); clearing a device without impairments is not an error.
 *
 * Kernels built without sch_netem (these VMs' among them) still have `tbf`: a rate limit is
 * then applied with it, and the answer says which impairments could not be (delay, jitter,
 * loss need netem). Only a request with no rate at all is refused as unsupported.
 */
import type { z } from 'zod';
import type { netemSchema } from '../../../shared/helper-protocol.js';
import { netemCommands, qdiscClear } from '../../../shared/net-commands.js';
import { HelperFailure, clip } from '../errors.js';
import { commandFailure, run } from '../run-command.js';

export type Netem = z.infer<typeof netemSchema>;
type Empty = Record<string, never>;
export interface Applied {
  qdisc: 'netem' | 'tbf';
  notApplied: ('delay' | 'jitter' | 'loss')[];
}

export async function setNetem(ns: string, dev: string, netem: Netem): Promise<Applied> {
  // The same commands exported scripts run (shared/net-commands.ts).
  const commands = netemCommands(ns, dev, netem);
  const result = await run(commands.netem.tool, commands.netem.args);
  if (result.code === 0) return { qdisc: 'netem', notApplied: [] };
  if (!/qdisc kind is unknown/i.test(result.stderr)) throw commandFailure(`could not impair ${dev} in ${ns}`, result);
  const requested = { delay: netem.delayMs, jitter: netem.jitterMs, loss: netem.lossPercent };
  const notApplied = (['delay', 'jitter', 'loss'] as const).filter((what) => requested[what] !== undefined);
  if (!commands.fallback) {
    throw new HelperFailure(
      'unsupported',
      `could not impair ${dev} in ${ns}: this kernel has no netem qdisc, which ${notApplied.join(', ')} need${notApplied.length === 1 ? 's' : ''} (${clip(result.stderr, 200)})`,
      'load it with `modprobe sch_netem`; a kernel built without CONFIG_NET_SCH_NETEM (some VM and container hosts) can only limit the rate',
    );
  }
  const tbf = await run(commands.fallback.tool, commands.fallback.args);
  if (tbf.code !== 0) throw commandFailure(`could not limit the rate of ${dev} in ${ns} (no netem, tbf failed)`, tbf);
  return { qdisc: 'tbf', notApplied };
}

export async function clearNetem(ns: string, dev: string): Promise<Empty> {
  const clear = qdiscClear(ns, dev);
  const result = await run(clear.tool, clear.args);
  // "handle of zero" / "Invalid handle": the device has only its default qdisc, nothing to clear.
  if (result.code === 0 || /handle of zero|Invalid handle/i.test(result.stderr)) return {};
  throw commandFailure(`could not clear impairments on ${dev} in ${ns}`, result);
}
