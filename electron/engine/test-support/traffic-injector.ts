/**
 * Puts known traffic onto a lab bridge from the host side, for tests and benches that must
 * count every packet: a veth pair created inside the lab's namespace (one end enslaved to the
 * bridge) and `tcpreplay` sending a pcap into the other end at a fixed rate. Only the pair it
 * creates is touched; removing the namespace removes it too.
 */
import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Injector {
  /** The end tcpreplay writes to (its peer is on the bridge). */
  dev: string;
  remove(): void;
}

export interface ReplayResult {
  /** Packets tcpreplay says it handed to the kernel successfully. */
  sent: number;
  failed: number;
  /** Rate tcpreplay measured over its own run. */
  pps: number;
  seconds: number;
}

/** Creates `<name>i` (injector) ↔ `<name>b` (on `bridge`) inside `ns`, both up. */
export function addInjector(ns: string, bridge: string, name = 'wbinj'): Injector {
  const dev = `${name}i`;
  const port = `${name}b`;
  const ip = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', port);
  ip('link', 'set', port, 'master', bridge);
  ip('link', 'set', port, 'up');
  ip('link', 'set', dev, 'up');
  return {
    dev,
    remove: () => {
      try {
        ip('link', 'del', dev);
      } catch {
        // already gone with its namespace
      }
    },
  };
}

/** Replays `pcap` into `dev` inside `ns` at `pps` packets per second; resolves when done. */
export async function replay(ns: string, dev: string, pcap: string, pps: number): Promise<ReplayResult> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'tcpreplay', `--pps=${pps}`, `--intf1=${dev}`, pcap], { maxBuffer: 1 << 20 });
  const number = (pattern: RegExp): number => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`tcpreplay printed no ${pattern.source} line; its output was:\n${stdout}`);
    return Number(match[1]);
  };
  return {
    sent: number(/Successful packets:\s+(\d+)/),
    failed: number(/Failed packets:\s+(\d+)/),
    pps: number(/Rated:.*?([\d.]+) pps/),
    seconds: number(/Actual: \d+ packets \(\d+ bytes\) sent in ([\d.]+) seconds/),
  };
}
