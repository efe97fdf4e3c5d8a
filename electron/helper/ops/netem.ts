/**
 * Link impairments with the netem qdisc: `tc qdisc replace dev DEV root netem ...` inside the
 * lab namespace, with only the parameters the request gives. `replace` makes the call
 * idempotent (set twice = set once); clearing a device without impairments is not an error.
 *
 * Kernels built without sch_netem (these VMs' among them) still have `tbf`: a rate limit is
 * then applied with it, and the answer says which impairments could not be (delay, jitter,
 * loss need netem). Only a request with no rate at all is refused as unsupported.
 */
import type { z } from 'zod';
import type { netemSchema } from '../../../shared/helper-protocol.js';
import { tbfArgs } from '../../../shared/rate-limit.js';
import { HelperFailure, clip } from '../errors.js';
import { commandFailure, runInNamespace } from '../run-command.js';

export type Netem = z.infer<typeof netemSchema>;
type Empty = Record<string, never>;
export interface Applied {
  qdisc: 'netem' | 'tbf';
  notApplied: ('delay' | 'jitter' | 'loss')[];
}

/** Plain decimal text for tc: never exponent notation (1e-7), at most `digits` decimals. */
export function decimal(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** The argv after `tc qdisc replace dev DEV root netem`. Pure. */
export function netemArgs(netem: Netem): string[] {
  const args: string[] = [];
  if (netem.delayMs !== undefined || netem.jitterMs !== undefined) {
    // netem's jitter is an argument of `delay`; jitter alone means "around 0 ms".
    args.push('delay', `${decimal(netem.delayMs ?? 0, 3)}ms`);
    if (netem.jitterMs !== undefined) args.push(`${decimal(netem.jitterMs, 3)}ms`);
  }
  if (netem.lossPercent !== undefined) args.push('loss', `${decimal(netem.lossPercent, 4)}%`);
  if (netem.rateKbit !== undefined) args.push('rate', `${netem.rateKbit}kbit`);
  return args;
}

export async function setNetem(ns: string, dev: string, netem: Netem): Promise<Applied> {
  const result = await runInNamespace(ns, 'tc', ['qdisc', 'replace', 'dev', dev, 'root', 'netem', ...netemArgs(netem)]);
  if (result.code === 0) return { qdisc: 'netem', notApplied: [] };
  if (!/qdisc kind is unknown/i.test(result.stderr)) throw commandFailure(`could not impair ${dev} in ${ns}`, result);
  const requested = { delay: netem.delayMs, jitter: netem.jitterMs, loss: netem.lossPercent };
  const notApplied = (['delay', 'jitter', 'loss'] as const).filter((what) => requested[what] !== undefined);
  if (netem.rateKbit === undefined) {
    throw new HelperFailure(
      'unsupported',
      `could not impair ${dev} in ${ns}: this kernel has no netem qdisc, which ${notApplied.join(', ')} need${notApplied.length === 1 ? 's' : ''} (${clip(result.stderr, 200)})`,
      'load it with `modprobe sch_netem`; a kernel built without CONFIG_NET_SCH_NETEM (some VM and container hosts) can only limit the rate',
    );
  }
  const tbf = await runInNamespace(ns, 'tc', ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', ...tbfArgs(netem.rateKbit)]);
  if (tbf.code !== 0) throw commandFailure(`could not limit the rate of ${dev} in ${ns} (no netem, tbf failed)`, tbf);
  return { qdisc: 'tbf', notApplied };
}

export async function clearNetem(ns: string, dev: string): Promise<Empty> {
  const result = await runInNamespace(ns, 'tc', ['qdisc', 'del', 'dev', dev, 'root']);
  // "handle of zero" / "Invalid handle": the device has only its default qdisc, nothing to clear.
  if (result.code === 0 || /handle of zero|Invalid handle/i.test(result.stderr)) return {};
  throw commandFailure(`could not clear impairments on ${dev} in ${ns}`, result);
}
