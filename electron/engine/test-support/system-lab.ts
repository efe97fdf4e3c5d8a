/**
 * Helpers for system tests that boot real labs: a two-VM lab with its own random namespace,
 * an Engine around it, event recording, and listings that prove nothing was left behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabEvent } from '../../../shared/api.js';
import { LAB_FORMAT, serializeLab, validateLab, type LabDocument, type LabDocumentInput } from '../../../shared/lab.js';
import { Engine, type EngineOptions } from '../engine.js';
import { isProcessRunning } from '../../common/process-state.js';

export function twoVmLab(extra: Partial<LabDocumentInput> = {}): LabDocument {
  const result = validateLab({
    format: LAB_FORMAT,
    id: randomBytes(8).toString('hex'),
    name: 'systest',
    bridges: [{ name: 'lan' }],
    vms: [{ name: 'a' }, { name: 'b' }],
    nics: [
      { vm: 'a', bridge: 'lan', ip: '10.0.0.1/24' },
      { vm: 'b', bridge: 'lan', ip: '10.0.0.2/24' },
    ],
    ...extra,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.lab;
}

/** Writes the lab to a temp file and opens it in a fresh engine, on the default accelerator path (auto) a person takes. */
export async function openEngine(lab: LabDocument, dir = mkdtempSync(join(tmpdir(), 'wb-sys-')), options: EngineOptions = {}): Promise<{ engine: Engine; events: LabEvent[]; path: string }> {
  const path = join(dir, 'lab.lab.json');
  writeFileSync(path, serializeLab(lab));
  const engine = new Engine(options);
  const events: LabEvent[] = [];
  engine.onEvent((e) => events.push(e));
  await engine.invoke('lab.open', { path });
  return { engine, events, path };
}

export function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** True while the process runs; a zombie waiting for init to reap it counts as gone. */
export const processExists = isProcessRunning;

export { waitFor } from '../../../test-support/wait-for.js';

/** Reads one counter of the guest's own view of an interface (`/sys/class/net/<if>/statistics`). */
export async function guestStat(engine: Engine, vm: string, ifname: string, stat: string): Promise<number> {
  const r = await engine.invoke('vm.run', { vm, command: `cat /sys/class/net/${ifname}/statistics/${stat}` });
  if (r.exitCode !== 0) throw new Error(`reading ${stat} in ${vm}: ${r.output}`);
  return Number(r.output.trim());
}

/** Packet counts by tshark display filter, from a pcap file. */
export function tsharkCount(file: string, filter: string): number {
  const out = execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').filter(Boolean).length;
}

export function tsharkFields(file: string, filter: string, field: string): string[] {
  return execFileSync('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', field], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')
    .filter(Boolean);
}
