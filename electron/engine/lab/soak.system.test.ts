/**
 * The soak's leak checks, short (bench/soak runs them long): 3 cycles of up, a capture on every
 * NIC, traffic, and down on a 4-VM lab; afterwards no namespace, TAP, process, open file or
 * runtime file of it is left.
 */
import { describe, expect, it } from 'vitest';
import { tally } from '../../../test-support/suite-tally.js';
import { runSoak } from '../test-support/soak.js';

describe('load held (short soak)', () => {
  it('3 cycles of a 4-VM lab with traffic and a capture on every NIC leave nothing behind', async () => {
    const result = await runSoak({ vms: 4, cycles: 3, log: (line) => console.log(line) });
    tally('short soak', { leaked: result.leaked });
    expect(result.problems).toEqual([]);
    expect(result.leaks).toEqual({ namespaces: 0, taps: 0, processes: 0, openFiles: 0, runtimeFiles: 0 });
    expect(result.cycles.every((c) => c.packets > 0)).toBe(true);
  }, 300_000);
});
