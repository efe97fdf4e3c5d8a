/**
 * The per-VM NIC limit is what boots: a tiny guest with MAX_NICS_PER_VM NICs (26 on the root
 * PCI bus, the rest behind the PCI bridge), every one with an address, boots and configures
 * them all from its cloud-init seed (no kernel command line limit); one NIC more is refused by
 * `validate` with its JSON path. Runs as root.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceName } from '../../../shared/host-names.js';
import { LAB_FORMAT, validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import { MAX_NICS_PER_VM } from '../../../shared/qemu-spec.js';
import type { Engine } from '../engine.js';
import { namespaces, openEngine } from '../test-support/system-lab.js';

function manyNics(count: number): LabDocumentInput {
  const bridges = Array.from({ length: count }, (_, i) => ({ name: `n${String(i).padStart(2, '0')}` }));
  return {
    format: LAB_FORMAT,
    id: randomBytes(8).toString('hex'),
    name: 'nic-limit',
    bridges,
    vms: [{ name: 'v' }, { name: 'w' }],
    nics: [
      ...bridges.map((b, i) => ({ vm: 'v', bridge: b.name, ip: `10.${i}.0.1/24` })),
      // A neighbour on the last NIC's bridge (behind the PCI bridge) to talk to.
      { vm: 'w', bridge: bridges[count - 1]!.name, ip: `10.${count - 1}.0.2/24` },
    ],
  };
}

const result = validateLab(manyNics(MAX_NICS_PER_VM));
if (!result.ok) throw new Error(JSON.stringify(result.problems));
const lab: LabDocument = result.lab;
const ns = namespaceName(lab);
let engine: Engine;

describe(`a VM with ${MAX_NICS_PER_VM} NICs (the limit)`, () => {
  beforeAll(async () => {
    ({ engine } = await openEngine(lab));
  });

  afterAll(async () => {
    await engine.invoke('lab.down', {}).catch(() => undefined);
    await engine.close();
    if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('boots with every NIC named, addressed and up', { timeout: 300_000 }, async () => {
    const status = await engine.invoke('lab.up', {});
    expect(status.vms.map((v) => v.state)).toEqual(['running', 'running']);
    const addresses = (await engine.invoke('vm.run', { vm: 'v', command: "ip -4 -o addr show | grep -v ' lo ' | awk '{print $2, $4}'" })).output.split('\n');
    expect(addresses).toHaveLength(MAX_NICS_PER_VM);
    for (let i = 0; i < MAX_NICS_PER_VM; i++) expect(addresses).toContain(`eth${i} 10.${i}.0.1/24`);
    const up = (await engine.invoke('vm.run', { vm: 'v', command: 'cat /sys/class/net/eth*/operstate | sort | uniq -c' })).output.trim();
    expect(up).toBe(`${MAX_NICS_PER_VM} up`);
    // The last NIC sits behind the PCI bridge and carries traffic.
    const last = MAX_NICS_PER_VM - 1;
    expect((await engine.invoke('vm.run', { vm: 'v', command: `ping -c 1 -W 5 10.${last}.0.2 >/dev/null 2>&1`, timeoutMs: 30_000 })).exitCode).toBe(0);
  });

  it('refuses one NIC more in validate, at its path', async () => {
    const over = manyNics(MAX_NICS_PER_VM + 1);
    const { problems } = await engine.invoke('lab.validate', { document: over });
    expect(problems).toContainEqual({
      path: `nics[${MAX_NICS_PER_VM}]`,
      message: `VM "v" has ${MAX_NICS_PER_VM + 1} NICs; a VM boots with at most ${MAX_NICS_PER_VM} (PCI slots of QEMU's pc machine and one PCI bridge); remove 1`,
      severity: 'error',
    });
  });
});
