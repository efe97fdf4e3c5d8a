/**
 * The lab's VMs as processes: one VmProcess per VM, started from its QEMU spec (the builder the
 * exported script uses) and its cloud-init seed, adopted from its pid file when it outlived an
 * engine, stopped with the power button (or at once). Owns the accelerator decision and what to
 * tell a person whose guest ends up under TCG.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { VmStatus } from '../../../../shared/api.js';
import type { HelperCall, HelperOp } from '../../../../shared/helper-protocol.js';
import type { Vm } from '../../../../shared/lab.js';
import type { QemuSpec } from '../../../../shared/qemu-spec.js';
import { renderSeed } from '../../../../shared/cloud-init-seed.js';
import { kvmPermissionHint, type AccelDecision } from '../../../../shared/accel-rule.js';
import { vmRuntimePaths } from '../../../../shared/runtime-paths.js';
import { isProcessRunning } from '../../../common/process-state.js';
import { accelChoice, resolveAccel, type AccelChoice } from '../../qemu/accel.js';
import { writeSeedImage } from '../../qemu/seed-image.js';
import { findTinyGuest } from '../../qemu/tiny-guest.js';
import { VmProcess, type VmBootFacts } from '../../qemu/vm-process.js';
import { vmQemuSpec } from '../../qemu/vm-spec.js';
import type { RuntimeContext } from './context.js';

export interface LabVmsOptions {
  accel?: AccelChoice | undefined;
  /** How long a guest may take to power off after the ACPI power button before it is quit. */
  powerdownTimeoutMs?: number | undefined;
  /** Where console bytes go. */
  onConsoleData?: ((vm: string, data: string) => void) | undefined;
  /** Folder that relative qcow2 paths are resolved against (the lab file's folder). */
  labFileDir?: string | undefined;
  /** Told each spec a VM boots (or was booted) with: the PCI slots its NICs take. */
  onSpec?: ((vm: string, spec: QemuSpec) => void) | undefined;
}

export function stoppedStatus(name: string): VmStatus {
  return { name, state: 'stopped', pid: null, reason: null, accel: null, accelHint: null };
}

export class LabVms {
  private readonly vms = new Map<string, VmProcess>();

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly options: LabVmsOptions,
  ) {}

  get(name: string): VmProcess | undefined {
    return this.vms.get(name);
  }

  isRunning(name: string): boolean {
    return this.vms.get(name)?.state === 'running';
  }

  anyRunning(): boolean {
    return [...this.vms.values()].some((v) => v.state === 'running');
  }

  /** The pid of some running VM (its namespace's /proc/<pid>/net/dev has every TAP's counters). */
  runningPid(): number | null {
    return [...this.vms.values()].find((v) => v.state === 'running')?.status().pid ?? null;
  }

  status(name: string): VmStatus {
    return this.vms.get(name)?.status() ?? stoppedStatus(name);
  }

  /** The VM's process object (created on first use, stopped until started). */
  process(name: string): VmProcess {
    let vm = this.vms.get(name);
    if (!vm) {
      vm = this.create(name);
      this.vms.set(name, vm);
    }
    return vm;
  }

  /** Reconnects to each VM whose pid file names a live QEMU; true when any runs. */
  async adopt(): Promise<boolean> {
    const labDir = await this.ctx.labDir();
    for (const vm of this.ctx.document().vms) {
      const pid = readPidFile(vmRuntimePaths(labDir, vm.name).pidFile);
      if (pid === null) continue;
      await this.process(vm.name).adopt(await this.spec(vm), pid, await this.bootFacts(vm));
    }
    return this.anyRunning();
  }

  /**
   * VMs not running whose pid file names a live QEMU: their start failed after QEMU daemonized
   * (the helper died before answering). Adopted, so the lab's status tells the truth.
   */
  async adoptStrays(): Promise<void> {
    const labDir = await this.ctx.labDir();
    for (const vm of this.ctx.document().vms) {
      if (this.isRunning(vm.name)) continue;
      const pid = readPidFile(vmRuntimePaths(labDir, vm.name).pidFile);
      if (pid !== null) await this.process(vm.name).adopt(await this.spec(vm), pid, await this.bootFacts(vm));
    }
  }

  /** Boots a VM whose network is ready: its seed, rebuilt from the document at every start, then QEMU. */
  async start(vmDoc: Vm): Promise<void> {
    const spec = await this.spec(vmDoc);
    await writeSeedImage(renderSeed(this.ctx.document(), vmDoc.name), spec.seedImage);
    await this.process(vmDoc.name).start(spec, await this.bootFacts(vmDoc));
  }

  async stop(name: string, force: boolean): Promise<void> {
    await this.vms.get(name)?.stop(this.stopOptions(force));
  }

  /** Every VM at once: each guest gets the power button and its own bounded wait. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.vms.values()].map((vm) => vm.stop(this.stopOptions(false)).catch(() => undefined)));
  }

  /** Stops a VM that left the document and forgets it. */
  async remove(name: string): Promise<void> {
    await this.stop(name, false);
    this.vms.delete(name);
  }

  /** Leave VMs running but drop every connection (the app closes, the lab stays). */
  detach(): void {
    for (const vm of this.vms.values()) vm.detach();
  }

  private stopOptions(force: boolean): { force: boolean; powerdownTimeoutMs?: number } {
    return { force, ...(this.options.powerdownTimeoutMs !== undefined ? { powerdownTimeoutMs: this.options.powerdownTimeoutMs } : {}) };
  }

  /** The VM's QEMU spec (the same builder the exported script uses). */
  private async spec(vm: Vm): Promise<QemuSpec> {
    const spec = vmQemuSpec(this.ctx.document(), vm.name, {
      accel: await this.accelDecision(),
      labDir: await this.ctx.labDir(),
      tinyGuest: vm.image.kind === 'tiny' ? findTinyGuest() : { bootDisk: '/nonexistent' },
      // Relative disk paths in a lab file mean "next to the lab file".
      ...(vm.image.kind === 'qcow2' ? { disks: { [vm.name]: resolvePath(this.options.labFileDir ?? process.cwd(), vm.image.path) } } : {}),
    });
    this.options.onSpec?.(vm.name, spec);
    return spec;
  }

  private accelDecisionMemo: Promise<AccelDecision> | null = null;
  private qemuIsEngineUser = true;

  /** The accelerators of this host, decided once per runtime (asks the kernel as QEMU's user). */
  private accelDecision(): Promise<AccelDecision> {
    this.accelDecisionMemo ??= (async () => {
      const choice = accelChoice(this.options.accel);
      const info = await (await this.ctx.helper()).call({ op: 'info' });
      this.qemuIsEngineUser = info.qemuUid === (process.getuid?.() ?? -1);
      return resolveAccel(choice, { uid: info.qemuUid, gid: info.qemuGid });
    })().catch((err: unknown) => {
      this.accelDecisionMemo = null;
      throw err;
    });
    return this.accelDecisionMemo;
  }

  /** The guest's kind, and what to tell a person whose guest ends up under TCG given what was asked of QEMU. */
  private async bootFacts(vm: Vm): Promise<VmBootFacts> {
    const decision = await this.accelDecision();
    const tinyGuest = vm.image.kind === 'tiny';
    if (decision.kvmDenied) return { tinyGuest, accelHintIfTcg: kvmPermissionHint(this.qemuIsEngineUser) };
    if (decision.accelerators.includes('kvm')) {
      return { tinyGuest, accelHintIfTcg: 'running under TCG (slow): /dev/kvm opens but KVM did not start (no hardware virtualisation, or nested virtualisation off); QEMU fell back to TCG' };
    }
    return { tinyGuest, accelHintIfTcg: null };
  }

  private create(name: string): VmProcess {
    const helperCall = async <O extends HelperOp>(req: Extract<HelperCall, { op: O }>, timeoutMs?: number) => (await this.ctx.helper()).call(req, timeoutMs ? { timeoutMs } : undefined);
    const events = this.ctx.events;
    return new VmProcess(name, {
      startQemu: async (spec) => (await helperCall({ op: 'qemu.start', ns: this.ctx.namespace, spec }, 90_000)).pid,
      stateChanged: (vmName, state, reason) => events.emit({ type: 'vm.state', vm: vmName, state, reason }),
      consoleData: (vmName, data) => this.options.onConsoleData?.(vmName, data),
      startupFailed: (vmName, index, exitCode) => {
        const lab = this.ctx.document();
        const command = lab.vms.find((v) => v.name === vmName)?.startup?.[index];
        const vmIndex = lab.vms.findIndex((v) => v.name === vmName);
        events.emit({
          type: 'error',
          code: 'startup-failed',
          message: `VM "${vmName}": startup command ${index}${command !== undefined ? ` (${JSON.stringify(command)})` : ''} failed with exit code ${exitCode} (vms[${vmIndex}].startup[${index}])`,
          hint: `its output is on the serial console of VM "${vmName}"`,
          vm: vmName,
          path: `vms[${vmIndex}].startup[${index}]`,
        });
      },
    });
  }
}

/** The pid in a QEMU pid file when that process still runs, else null. */
function readPidFile(file: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && isProcessRunning(pid) ? pid : null;
}
