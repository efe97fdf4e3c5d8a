import { describe, expect, it } from 'vitest';
import { CountersPoller, type PolledNic } from './counters-poller.js';
import { parseProcNetDev } from './proc-net-dev.js';

function procFile(rows: Array<[string, number[]]>): string {
  const header = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  return header + rows.map(([name, f]) => `${name.padStart(6)}: ${f.join(' ')}`).join('\n') + '\n';
}
// rx_bytes rx_packets rx_errs rx_drop rx_fifo rx_frame rx_comp rx_mcast tx_bytes tx_packets tx_errs ...
const row = (rxB: number, rxP: number, rxE: number, txB: number, txP: number, txE: number) => [rxB, rxP, rxE, 0, 0, 0, 0, 0, txB, txP, txE, 0, 0, 0, 0, 0];

describe('proc net dev', () => {
  it('parses every interface, names with dots included', () => {
    const stats = parseProcNetDev(procFile([['lo', row(1, 2, 0, 3, 4, 0)], ['a.lan', row(100, 2, 1, 900, 9, 2)]]));
    expect(stats.get('a.lan')).toEqual({ rxBytes: 100, rxPackets: 2, rxErrors: 1, txBytes: 900, txPackets: 9, txErrors: 2 });
    expect([...stats.keys()]).toEqual(['lo', 'a.lan']);
  });
});

describe('counters poller', () => {
  const nics: PolledNic[] = [{ vm: 'a', bridge: 'lan', tap: 'a.lan' }, { vm: 'b', bridge: 'lan', tap: 'b.lan' }];

  function setup(initial: string | null) {
    let file = initial;
    let reads = 0;
    const ticks: unknown[] = [];
    const poller = new CountersPoller(
      { nics: () => nics, procNetDevPath: () => (file === null ? null : '/proc/x/net/dev') },
      (t) => ticks.push(t),
      250,
      () => {
        reads++;
        return file ?? '';
      },
    );
    return { poller, ticks, setFile: (f: string | null) => (file = f), reads: () => reads };
  }

  it('reports the guest perspective: guest rx is TAP tx; errors add both directions', () => {
    const { poller } = setup(procFile([['a.lan', row(100, 2, 1, 900, 9, 2)]]));
    const [a, b] = poller.tick(1000);
    expect(a?.counters).toEqual({ rx_bytes: 900, rx_packets: 9, tx_bytes: 100, tx_packets: 2, errors: 3 });
    // b's TAP does not exist: zeros, not an error.
    expect(b?.counters).toEqual({ rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0, errors: 0 });
  });

  it('reads the file once per tick whatever the number of NICs', () => {
    const { poller, reads } = setup(procFile([['a.lan', row(1, 1, 0, 1, 1, 0)], ['b.lan', row(1, 1, 0, 1, 1, 0)]]));
    poller.tick(1000);
    expect(reads()).toBe(1);
  });

  it('gives zeros before anything runs', () => {
    const { poller } = setup(null);
    expect(poller.tick(1000).every((n) => n.counters.rx_bytes === 0 && n.rates.rx_bps === 0)).toBe(true);
  });

  it('computes rates per second between ticks', () => {
    const { poller, setFile } = setup(procFile([['a.lan', row(0, 0, 0, 1000, 10, 0)]]));
    poller.tick(1000);
    setFile(procFile([['a.lan', row(500, 5, 0, 3000, 30, 0)]]));
    const [a] = poller.tick(1500);
    expect(a?.rates).toEqual({ rx_bps: 32_000, tx_bps: 8_000, rx_pps: 40, tx_pps: 10 });
  });

  it('resets to a baseline, and drops the baseline when the TAP was recreated', () => {
    const { poller, setFile } = setup(procFile([['a.lan', row(100, 1, 0, 1000, 10, 0)]]));
    poller.reset({ vm: 'a', bridge: 'lan' });
    expect(poller.read({ vm: 'a', bridge: 'lan' })).toEqual({ rx_bytes: 0, tx_bytes: 0, rx_packets: 0, tx_packets: 0, errors: 0 });
    setFile(procFile([['a.lan', row(150, 2, 0, 1600, 16, 0)]]));
    expect(poller.read({ vm: 'a', bridge: 'lan' })).toEqual({ rx_bytes: 600, tx_bytes: 50, rx_packets: 6, tx_packets: 1, errors: 0 });
    // VM restarted: new TAP counting from zero, below the baseline.
    setFile(procFile([['a.lan', row(10, 1, 0, 20, 1, 0)]]));
    expect(poller.read({ vm: 'a', bridge: 'lan' }).rx_bytes).toBe(20);
  });
});
