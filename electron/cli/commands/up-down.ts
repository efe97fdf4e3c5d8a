/**
 * `wirebench up FILE [--network-only]` and `wirebench down FILE`: the engine without a window.
 * `up` leaves the lab running when it exits (QEMU daemonizes; the helper never deletes
 * namespaces on exit); `down` removes the namespace, which stops everything inside it.
 */
import { Engine } from '../../engine/engine.js';
import type { LabStatus } from '../../../shared/api.js';

function printStatus(status: LabStatus, out: (line: string) => void): void {
  out(`namespace ${status.namespace}: ${status.running ? 'up' : 'down'}`);
  for (const vm of status.vms) out(`  ${vm.name}: ${vm.state}${vm.pid ? ` (pid ${vm.pid})` : ''}${vm.reason ? ` — ${vm.reason}` : ''}`);
}

export async function upCommand(file: string, networkOnly: boolean, out: (line: string) => void): Promise<number> {
  const engine = new Engine();
  try {
    await engine.invoke('lab.open', { path: file });
    const status = networkOnly ? await engine.invoke('lab.upNetwork', {}) : await engine.invoke('lab.up', {});
    printStatus(status, out);
    return 0;
  } finally {
    await engine.close();
  }
}

export async function downCommand(file: string, out: (line: string) => void): Promise<number> {
  const engine = new Engine();
  try {
    await engine.invoke('lab.open', { path: file });
    printStatus(await engine.invoke('lab.down', {}), out);
    return 0;
  } finally {
    await engine.close();
  }
}
