/**
 * The rate limit used where the kernel has no netem (sch_netem): `tbf`, with the same bucket
 * in the helper and in exported scripts, so a lab limits the same way wherever it runs.
 */

/**
 * The argv after `tc qdisc replace dev DEV root tbf`. Pure. The bucket holds 10 ms of traffic
 * but never less than one full frame (a smaller bucket would drop every full-size frame), and
 * at most 50 ms of traffic waits in the queue.
 */
export function tbfArgs(rateKbit: number): string[] {
  const burstBytes = Math.max(1600, Math.ceil((rateKbit * 1000) / 8 / 100));
  return ['rate', `${rateKbit}kbit`, 'burst', String(burstBytes), 'latency', '50ms'];
}
