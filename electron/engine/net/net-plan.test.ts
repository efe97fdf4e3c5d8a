import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLabOrThrow } from '../../../shared/lab.js';
import { helperRequestSchema } from '../../../shared/helper-protocol.js';
import { networkDownPlan, networkUpPlan } from './net-plan.js';

const demo = parseLabOrThrow(readFileSync('assets/labs/demo.lab.json', 'utf8'));

describe('network plan', () => {
  it('creates namespace, bridges, then TAPs with their masters and impairments', () => {
    const plan = networkUpPlan(demo);
    expect(plan.slice(0, 3)).toEqual([
      { op: 'ns.create', ns: 'wb-de3a0c1e' },
      { op: 'bridge.create', ns: 'wb-de3a0c1e', bridge: 'br-lan' },
      { op: 'bridge.create', ns: 'wb-de3a0c1e', bridge: 'br-wan' },
    ]);
    expect(plan).toContainEqual({ op: 'link.attach', ns: 'wb-de3a0c1e', tap: 'r.wan', bridge: 'br-wan' });
    expect(plan).toContainEqual({ op: 'netem.set', ns: 'wb-de3a0c1e', dev: 'r.wan', netem: { delayMs: 20, jitterMs: 5, lossPercent: 0.5 } });
    // Every planned call is a request the helper accepts.
    plan.forEach((call, id) => expect(helperRequestSchema.safeParse({ id, ...call }).success).toBe(true));
  });

  it('leaves a pulled cable off its bridge', () => {
    const lab = { ...demo, nics: demo.nics.map((n) => (n.vm === 'a' ? { ...n, link: 'down' as const } : n)) };
    const plan = networkUpPlan(lab);
    expect(plan).not.toContainEqual(expect.objectContaining({ op: 'link.attach', tap: 'a.lan' }));
    expect(plan).toContainEqual({ op: 'link.set', ns: 'wb-de3a0c1e', dev: 'a.lan', up: true });
  });

  it('tears down by deleting the namespace', () => {
    expect(networkDownPlan(demo)).toEqual([{ op: 'ns.delete', ns: 'wb-de3a0c1e' }]);
  });
});

describe('per-VM network plan', () => {
  it('creates only the TAPs of that VM, and tears them down', async () => {
    const { vmNetworkPlan, vmNetworkTeardown, labNetworkPlan } = await import('./net-plan.js');
    expect(labNetworkPlan(demo).map((c) => c.op)).toEqual(['ns.create', 'bridge.create', 'bridge.create']);
    const taps = vmNetworkPlan(demo, 'r').filter((c) => c.op === 'tap.create');
    expect(taps).toEqual([
      { op: 'tap.create', ns: 'wb-de3a0c1e', tap: 'r.lan' },
      { op: 'tap.create', ns: 'wb-de3a0c1e', tap: 'r.wan' },
    ]);
    expect(vmNetworkTeardown(demo, 'a')).toEqual([{ op: 'tap.delete', ns: 'wb-de3a0c1e', tap: 'a.lan' }]);
  });
});
