/**
 * Every `ip` and `tc` command that builds or changes a lab's network, defined once. The root
 * helper runs them (after its own validation, through its audited runner) and the bash export
 * prints them into the script, so the app and the script cannot write different arguments.
 *
 * Each command is the argv after the tool's name (`ip` or `tc`), always naming the lab's
 * namespace (`-n NS`, or `netns add|del NS`). `what` says what it does, for error messages
 * ("could not <what> in NS"). The step functions give the commands of one helper operation,
 * in the order the helper runs them. Pure, and no `node:` imports (shared/ runs everywhere).
 */
import type { HelperCall } from './helper-protocol.js';

export type NetTool = 'ip' | 'tc';

export interface NetCommand {
  tool: NetTool;
  /** The argv after the tool's name. */
  args: string[];
  /** What it does, e.g. `create bridge br-lan`. */
  what: string;
}

/** What netem can do to a link; only the parameters given (and not zero) become arguments. */
export interface NetemParams {
  delayMs?: number | undefined;
  jitterMs?: number | undefined;
  lossPercent?: number | undefined;
  rateKbit?: number | undefined;
}

/** Who owns a lab's TAPs (QEMU's user and group): numbers in the helper, shell words in a script. */
export interface TapOwner {
  uid: number | string;
  gid: number | string;
}

/** Plain decimal text for tc: never exponent notation (1e-7), at most `digits` decimals. */
export function decimal(value: number, digits: number): string {
  const fixed = value.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * The argv after `tc qdisc replace dev DEV root netem`; empty when there is nothing to impair.
 * A zero delay, jitter or loss is netem's default, so it is left out.
 */
export function netemArgs(netem: NetemParams | undefined): string[] {
  if (!netem) return [];
  const { delayMs = 0, jitterMs = 0, lossPercent = 0, rateKbit } = netem;
  const args: string[] = [];
  if (delayMs > 0 || jitterMs > 0) {
    // netem's jitter is an argument of `delay`; jitter alone means "around 0 ms".
    args.push('delay', `${decimal(delayMs, 3)}ms`);
    if (jitterMs > 0) args.push(`${decimal(jitterMs, 3)}ms`);
  }
  if (lossPercent > 0) args.push('loss', `${decimal(lossPercent, 4)}%`);
  if (rateKbit !== undefined) args.push('rate', `${rateKbit}kbit`);
  return args;
}

/**
 * The rate limit used where the kernel has no netem (sch_netem): the argv after
 * `tc qdisc replace dev DEV root tbf`. The bucket holds 10 ms of traffic but never less than
 * one full frame (a smaller bucket would drop every full-size frame), and at most 50 ms of
 * traffic waits in the queue.
 */
export function tbfArgs(rateKbit: number): string[] {
  const burstBytes = Math.max(1600, Math.ceil((rateKbit * 1000) / 8 / 100));
  return ['rate', `${rateKbit}kbit`, 'burst', String(burstBytes), 'latency', '50ms'];
}

const ip = (what: string, ...args: string[]): NetCommand => ({ tool: 'ip', args, what });
const tc = (what: string, ...args: string[]): NetCommand => ({ tool: 'tc', args, what });

// ---- single commands -------------------------------------------------------------------

export const namespaceAdd = (ns: string): NetCommand => ip(`create namespace ${ns}`, 'netns', 'add', ns);
export const namespaceDelete = (ns: string): NetCommand => ip(`delete namespace ${ns}`, 'netns', 'del', ns);
export const loopbackUp = (ns: string): NetCommand => ip(`bring the loopback of namespace ${ns} up`, '-n', ns, 'link', 'set', 'dev', 'lo', 'up');

/**
 * A lab bridge: STP off and no forward delay, so it forwards from the first frame (with STP's
 * 15 s learning delay the first pings of a fresh lab would vanish).
 */
export const bridgeAdd = (ns: string, bridge: string): NetCommand =>
  ip(`create bridge ${bridge}`, '-n', ns, 'link', 'add', 'name', bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
export const linkDelete = (ns: string, dev: string): NetCommand => ip(`delete ${dev}`, '-n', ns, 'link', 'del', 'dev', dev);

/** A TAP owned by QEMU's user, so the unprivileged QEMU can open it. */
export const tapAdd = (ns: string, tap: string, owner: TapOwner): NetCommand =>
  ip(`create TAP ${tap}`, '-n', ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap', 'user', String(owner.uid), 'group', String(owner.gid));
export const tapDelete = (ns: string, tap: string): NetCommand => ip(`delete TAP ${tap}`, '-n', ns, 'tuntap', 'del', 'dev', tap, 'mode', 'tap');

export const linkSet = (ns: string, dev: string, up: boolean): NetCommand =>
  ip(`set ${dev} ${up ? 'up' : 'down'}`, '-n', ns, 'link', 'set', 'dev', dev, up ? 'up' : 'down');
/** A NIC's MTU on the host side (its TAP); a bridge takes the smallest MTU of its ports. */
export const linkMtu = (ns: string, dev: string, mtu: number): NetCommand => ip(`set the MTU of ${dev} to ${mtu}`, '-n', ns, 'link', 'set', 'dev', dev, 'mtu', String(mtu));
/** Plugs a cable: the TAP joins its bridge (and is up). */
export const linkAttach = (ns: string, tap: string, bridge: string): NetCommand =>
  ip(`attach ${tap} to ${bridge}`, '-n', ns, 'link', 'set', 'dev', tap, 'master', bridge, 'up');
/** Pulls a cable: the TAP leaves its bridge. */
export const linkDetach = (ns: string, tap: string): NetCommand => ip(`detach ${tap}`, '-n', ns, 'link', 'set', 'dev', tap, 'nomaster');

/** Impairments of traffic leaving `dev` (for a TAP: towards the guest). `replace`: idempotent. */
export const netemSet = (ns: string, dev: string, netem: NetemParams): NetCommand =>
  tc(`impair ${dev}`, '-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'netem', ...netemArgs(netem));
/** The rate alone, for kernels without netem. */
export const tbfSet = (ns: string, dev: string, rateKbit: number): NetCommand =>
  tc(`limit the rate of ${dev}`, '-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', ...tbfArgs(rateKbit));
export const qdiscClear = (ns: string, dev: string): NetCommand => tc(`clear the impairments of ${dev}`, '-n', ns, 'qdisc', 'del', 'dev', dev, 'root');

// ---- the commands of each helper operation ---------------------------------------------

export const namespaceCreateCommands = (ns: string): NetCommand[] => [namespaceAdd(ns), loopbackUp(ns)];
export const bridgeCreateCommands = (ns: string, bridge: string): NetCommand[] => [bridgeAdd(ns, bridge), linkSet(ns, bridge, true)];
/** Brought up at once, so a capture can start on it before the guest boots (no carrier until QEMU attaches). */
export const tapCreateCommands = (ns: string, tap: string, owner: TapOwner, mtu?: number): NetCommand[] => [
  tapAdd(ns, tap, owner),
  ...(mtu === undefined ? [] : [linkMtu(ns, tap, mtu)]),
  linkSet(ns, tap, true),
];

/** netem, and the tbf rate limit the helper falls back to on a kernel without netem (none without a rate). */
export function netemCommands(ns: string, dev: string, netem: NetemParams): { netem: NetCommand; fallback: NetCommand | undefined } {
  return { netem: netemSet(ns, dev, netem), fallback: netem.rateKbit === undefined ? undefined : tbfSet(ns, dev, netem.rateKbit) };
}

/** The helper operations that are nothing but ip/tc commands. */
export type NetworkStep = Extract<
  HelperCall,
  { op: 'ns.create' | 'ns.delete' | 'bridge.create' | 'bridge.delete' | 'tap.create' | 'tap.delete' | 'link.attach' | 'link.detach' | 'link.set' | 'link.mtu' | 'netem.set' | 'netem.clear' }
>;

/**
 * The commands of one step, in the helper's order. For `netem.set`, the netem command (its
 * fallback is `netemCommands(...).fallback`); for `ns.delete`, the final delete (the helper
 * first ends what runs inside).
 */
export function stepCommands(step: NetworkStep, owner: TapOwner): NetCommand[] {
  switch (step.op) {
    case 'ns.create':
      return namespaceCreateCommands(step.ns);
    case 'ns.delete':
      return [namespaceDelete(step.ns)];
    case 'bridge.create':
      return bridgeCreateCommands(step.ns, step.bridge);
    case 'bridge.delete':
      return [linkDelete(step.ns, step.bridge)];
    case 'tap.create':
      return tapCreateCommands(step.ns, step.tap, owner, step.mtu);
    case 'tap.delete':
      return [tapDelete(step.ns, step.tap)];
    case 'link.attach':
      return [linkAttach(step.ns, step.tap, step.bridge)];
    case 'link.detach':
      return [linkDetach(step.ns, step.tap)];
    case 'link.set':
      return [linkSet(step.ns, step.dev, step.up)];
    case 'link.mtu':
      return [linkMtu(step.ns, step.dev, step.mtu)];
    case 'netem.set':
      return [netemSet(step.ns, step.dev, step.netem)];
    case 'netem.clear':
      return [qdiscClear(step.ns, step.dev)];
  }
}
