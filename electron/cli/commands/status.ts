/**
 * `wirebench status FILE`: the namespace up or down, each VM's state, pid, accelerator (and why
 * it is slower than it could be) and crash reason, and which engine answered. One fact per line:
 *
 *   namespace wb-1a2b3c4d: up
 *   vm a: running (pid 4242, accel tcg)
 *     accel: running under TCG (slow): …
 *   vm b: crashed
 *     reason: …
 *   served by: control socket /run/wirebench/0/wb-1a2b3c4d/control.sock
 */
import type { LabStatus } from '../../../shared/api.js';
import type { LabConnection } from '../lab-connection.js';

export function formatStatus(status: LabStatus): string[] {
  const lines = [`namespace ${status.namespace}: ${status.running ? 'up' : 'down'}`];
  for (const vm of status.vms) {
    const facts = [vm.pid ? `pid ${vm.pid}` : null, vm.accel ? `accel ${vm.accel}` : null].filter(Boolean);
    lines.push(`vm ${vm.name}: ${vm.state}${facts.length ? ` (${facts.join(', ')})` : ''}`);
    if (vm.accelHint) lines.push(`  accel: ${vm.accelHint}`);
    if (vm.reason) for (const [i, line] of vm.reason.split('\n').entries()) lines.push(`  ${i === 0 ? 'reason: ' : '        '}${line}`);
  }
  if (status.restartNeeded.length) lines.push(`restart needed: ${status.restartNeeded.join('; ')}`);
  return lines;
}

export async function statusCommand(lab: LabConnection, out: (line: string) => void): Promise<number> {
  const status = await lab.invoke('lab.status', {});
  for (const line of formatStatus(status)) out(line);
  out(`served by: ${lab.via === 'control-socket' ? `control socket ${lab.socketPath}` : 'this command (no engine held the lab)'}`);
  return 0;
}
