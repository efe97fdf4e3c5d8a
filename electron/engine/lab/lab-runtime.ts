/**
 * The *created* lab (libvirt's create, next to the document's define): a thin coordinator over
 * its parts, each with one reason to change —
 *   runtime/network.ts  namespace, bridges, TAPs, impairments, MTU (helper calls of the net plan)
 *   runtime/vms.ts      VM processes: start, adopt, stop, the accelerator decision
 *   runtime/nic-ops.ts  a running VM's NICs: cable, hot-plug in a free PCI slot, live guest edits
 *   runtime/captures.ts tcpdump on a TAP or a bridge
 * It owns no document: it reads the engine's (`document()`), and `reconcile(previous, next)`
 * makes the running lab follow an applied change batch (lab/document-diff.ts says what that
 * means). A pulled cable on a stopped lab is a document change only; on a running VM the TAP
 * leaves its bridge and QEMU `set_link` tells the guest.
 */
import { availableParallelism } from 'node:os';
import type { CaptureInfo, LabStatus, NicCounters, NicInfo, NicSelector, VmStatus } from '../../../shared/api.js';
import { WirebenchError } from '../../../shared/api.js';
import { namespaceName, tapName } from '../../../shared/host-names.js';
import type { LabDocument } from '../../../shared/lab.js';
import { labRuntimeDir, runtimeRoot } from '../../../shared/runtime-paths.js';
import type { EventBus } from '../event-bus.js';
import { CountersPoller } from '../net/counters-poller.js';
import { HelperClient } from '../net/helper-client.js';
import type { AccelChoice } from '../qemu/accel.js';
import type { VmProcess } from '../qemu/vm-process.js';
import { planDocumentChange } from './document-diff.js';
import { unknownName, type HelperPort, type RuntimeContext } from './runtime/context.js';
import { LabCaptures, type CaptureOptions } from './runtime/captures.js';
import type { CaptureDestination } from '../capture/capture-manager.js';
import { LabNetwork } from './runtime/network.js';
import { NicOps } from './runtime/nic-ops.js';
import { LabVms, stoppedStatus } from './runtime/vms.js';

export type { HelperPort } from './runtime/context.js';

export interface LabRuntimeOptions {
  events: EventBus;
  /** Starts (or returns) the privileged helper. Default: the bundled helper, via pkexec unless root. */
  helper?: () => Promise<HelperPort>;
  accel?: AccelChoice;
  countersIntervalMs?: number;
  /** How long a guest may take to power off after the ACPI power button before it is quit (default 30 s). */
  powerdownTimeoutMs?: number;
  /** Where console bytes go (the engine's ConsoleHub, which knows who opened which console). */
  onConsoleData?: (vm: string, data: string) => void;
  /** Folder that relative qcow2 paths are resolved against (the lab file's folder). */
  labFileDir?: string;
  /**
   * How many VMs `lab up` boots at once (default 4 per core, at least 4). Boots are CPU-bound
   * under TCG: starting 100 at once makes each take as long as all of them together (over its
   * ready timeout) without finishing the lot sooner (bench/scale, docs/platform-notes.md).
   */
  bootConcurrency?: number;
}

export class LabRuntime {
  private helperPort: HelperPort | null = null;
  private readonly ctx: RuntimeContext;
  private readonly network: LabNetwork;
  private readonly vms: LabVms;
  private readonly nics: NicOps;
  private readonly captures: LabCaptures;
  private readonly poller: CountersPoller;
  /** Edits of running VMs that only a restart applies; each VM's list clears when it (re)starts. */
  private readonly pendingRestarts = new Map<string, Set<string>>();

  /** `document`: the engine's document as it is now (the engine owns it; the runtime never copies it). */
  constructor(
    private readonly document: () => LabDocument,
    private readonly options: LabRuntimeOptions,
  ) {
    const runtime = this;
    this.ctx = {
      events: options.events,
      document,
      get namespace() {
        return runtime.namespace;
      },
      helper: () => this.helper(),
      labDir: async () => labRuntimeDir(runtimeRoot(process.getuid?.() ?? 0, process.env.XDG_RUNTIME_DIR), this.namespace),
    };
    this.network = new LabNetwork(this.ctx);
    this.vms = new LabVms(this.ctx, {
      accel: options.accel,
      powerdownTimeoutMs: options.powerdownTimeoutMs,
      onConsoleData: options.onConsoleData,
      labFileDir: options.labFileDir,
      onSpec: (vm, spec) => this.nics.bootSlots(vm, spec),
    });
    this.nics = new NicOps(this.ctx, this.network, this.vms, (vm, reason) => this.addRestartNeeded(vm, reason));
    this.captures = new LabCaptures(this.ctx, { isRunning: (vm) => this.vms.isRunning(vm), networkUp: () => this.network.isUp });
    this.poller = new CountersPoller(
      {
        nics: () => this.polledNics(),
        procNetDevPath: () => {
          const pid = this.vms.runningPid();
          return pid ? `/proc/${pid}/net/dev` : null;
        },
      },
      (tick) => options.events.emit({ type: 'counters.tick', ...tick }),
      options.countersIntervalMs ?? 250,
    );
  }

  private polledFor: LabDocument | null = null;
  private polled: Array<{ vm: string; bridge: string; tap: string }> = [];

  /** The NICs with their TAP names, recomputed only when the document changes (TAP names hash). */
  private polledNics() {
    const lab = this.document();
    if (this.polledFor !== lab) {
      this.polled = lab.nics.map((n) => ({ vm: n.vm, bridge: n.bridge, tap: tapName(n.vm, n.bridge) }));
      this.polledFor = lab;
    }
    return this.polled;
  }

  get namespace(): string {
    return namespaceName(this.document());
  }

  isUp(): boolean {
    return this.network.isUp;
  }

  // -------------------------------------------------------------------------------------------
  // Lab and VM lifecycle
  // -------------------------------------------------------------------------------------------

  private adoption: Promise<void> | null = null;

  /**
   * Picks up what of this lab already runs: QEMU daemonizes, so VMs outlive the process that
   * started them (`wirebench up`, an app that was closed). When the namespace exists and our
   * helper owns it, each VM whose pid file names a live QEMU is reconnected over its QMP and
   * serial sockets. Costs one stat when nothing runs, so opening a lab never prompts pkexec.
   */
  adoptRunning(): Promise<void> {
    this.adoption ??= (async () => {
      if (this.network.isUp || !(await this.network.adopt())) return;
      if (await this.vms.adopt()) this.poller.start();
    })().catch((err: unknown) => {
      this.adoption = null;
      throw err;
    });
    return this.adoption;
  }

  async up(): Promise<LabStatus> {
    try {
      await this.network.ensure();
    } catch (err) {
      throw await this.helperGoneDuringUp(err, 'while building the network');
    }
    const vms = this.document().vms;
    const limit = this.options.bootConcurrency ?? Math.max(4, 4 * availableParallelism());
    const results = await settledInBatches(vms, limit, (vm) => this.startVm(vm.name));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${vms[i]!.name}: ${(r.reason as Error).message}`] : []));
    if (failed.length) {
      const helperGone = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && (r.reason as { code?: unknown }).code === 'helper-exited');
      if (helperGone) throw await this.helperGoneDuringUp(helperGone.reason, 'while starting VMs');
      throw new WirebenchError('vm-start-failed', `lab up: ${failed.length} VM(s) did not start:\n${failed.join('\n')}`, 'see each VM\'s crash reason; `lab down` cleans up');
    }
    return this.status();
  }

  /**
   * The privileged helper died in the middle of `lab up` (killed, crashed): say so, say what is
   * left (a half-built lab) and what to do. Other errors pass through unchanged.
   */
  private async helperGoneDuringUp(err: unknown, when: string): Promise<unknown> {
    if ((err as { code?: unknown }).code !== 'helper-exited') return err;
    // A QEMU may have started although its answer was lost with the helper.
    await this.vms.adoptStrays().catch(() => undefined);
    const vms = this.status().vms;
    const running = vms.filter((v) => v.state === 'running').map((v) => v.name);
    const what = (err as Error).message.replace(/; it has been restarted — retry the operation$/, '');
    return new WirebenchError(
      'helper-exited',
      `lab up stopped half way ${when}: ${what}. ${running.length === vms.length ? 'Its VMs run, but the lab may be half built' : 'The lab is half built'}: ${running.length} of ${vms.length} VMs run${running.length ? ` (${running.join(', ')})` : ''}.`,
      'run `lab down` to remove what was built (the helper has been restarted), then `lab up` again',
    );
  }

  /** The network part alone: namespace, bridges, and every VM's TAPs (nothing boots). */
  async upNetworkOnly(): Promise<LabStatus> {
    await this.network.ensure();
    for (const vm of this.document().vms) await this.network.vmUp(vm.name);
    return this.status();
  }

  async down(): Promise<LabStatus> {
    this.poller.stop();
    await this.captures.stopAll();
    await this.vms.stopAll();
    await this.network.delete();
    this.poller.clear();
    this.nics.clearSlots();
    return this.status();
  }

  status(): LabStatus {
    return {
      namespace: this.namespace,
      running: this.network.isUp,
      vms: this.document().vms.map((vm) => this.vms.status(vm.name)),
      restartNeeded: this.restartNeeded(),
    };
  }

  async startVm(name: string): Promise<VmStatus> {
    const vmDoc = this.requireVm(name, 'vm.start');
    await this.network.ensure();
    const vm = this.vms.process(name);
    if (vm.state === 'running' || vm.state === 'starting') return vm.status();
    // A crashed run left its TAPs behind; a clean stop removed them already.
    if (vm.state === 'crashed') await this.network.vmDown(this.document(), name);
    await this.network.vmUp(name);
    this.pendingRestarts.delete(name);
    await this.vms.start(vmDoc);
    this.poller.start();
    return vm.status();
  }

  async stopVm(name: string, options: { force?: boolean } = {}): Promise<VmStatus> {
    this.requireVm(name, 'vm.stop');
    const vm = this.vms.get(name);
    if (!vm) return stoppedStatus(name);
    await this.vms.stop(name, options.force ?? false);
    if (this.network.isUp) await this.network.vmDown(this.document(), name);
    return vm.status();
  }

  async snapshotVm(name: string, tag: string): Promise<void> {
    const vmDoc = this.requireVm(name, 'vm.snapshot');
    if (vmDoc.image.kind !== 'qcow2') {
      throw new WirebenchError('not-supported', `vm.snapshot: VM "${name}" boots the built-in tiny guest, which has no disk to snapshot`, 'give the VM a qcow2 image to use snapshots');
    }
    const pinned = this.captures.pinnedBridges();
    const busy = this.document().nics.filter((n) => n.vm === name && pinned.has(n.bridge)).map((n) => n.bridge);
    if (busy.length) {
      throw new WirebenchError('capture-active', `vm.snapshot: a capture is running on bridge(s) ${busy.map((b) => `"${b}"`).join(', ')} of VM "${name}"; a snapshot now would cut it in half`, 'stop the capture first');
    }
    const output = await this.vms.process(name).qmp('vm.snapshot').humanMonitorCommand(`savevm ${tag}`);
    if (output.trim()) throw new WirebenchError('snapshot-failed', `vm.snapshot: QEMU said: ${output.trim()}`);
  }

  async runInVm(name: string, command: string, timeoutMs = 30_000): Promise<{ exitCode: number; output: string }> {
    this.requireVm(name, 'vm.run');
    return this.vms.process(name).run(command, { timeoutMs });
  }

  /** The console's state and history for a client that opens it; a clear error when the VM does not run. */
  async openConsole(name: string): Promise<{ state: VmStatus['state']; history: string }> {
    const vm = this.requireLiveConsole(name);
    return { state: vm.state, history: await vm.consoleHistory() };
  }

  /** The VM whose console can be watched now (booting or running), or a clear error. */
  requireLiveConsole(name: string): VmProcess {
    this.requireVm(name, 'console.open');
    const vm = this.vms.process(name);
    vm.liveConsole('console.open');
    return vm;
  }

  async consoleWrite(name: string, data: string): Promise<void> {
    this.requireVm(name, 'console.write');
    this.vms.process(name).console('console.write').write(data);
  }

  async consoleHistory(name: string): Promise<string> {
    this.requireVm(name, 'console.history');
    return (await this.vms.get(name)?.consoleHistory()) ?? '';
  }

  /** Leave VMs running but drop every connection (the app closes, the lab stays). */
  async detach(): Promise<void> {
    this.poller.stop();
    this.vms.detach();
    await this.helperPort?.close();
    this.helperPort = null;
  }

  // -------------------------------------------------------------------------------------------
  // NICs and captures
  // -------------------------------------------------------------------------------------------

  nicInfo(ref: NicSelector): NicInfo {
    return this.nics.info(ref);
  }

  /**
   * Makes the running lab's cable match the document's `link`, even when the document did not
   * change: a lab adopted from its file after an unsaved `link` (CLI, another engine) can differ.
   */
  async enforceLink(ref: NicSelector): Promise<void> {
    await this.nics.applyLink(this.nics.resolve(ref, 'nic.link'));
  }

  nicCounters(ref: NicSelector): NicCounters {
    const nic = this.nics.resolve(ref, 'nic.counters');
    return this.poller.read({ vm: nic.vm, bridge: nic.bridge });
  }

  resetNicCounters(ref: NicSelector): void {
    const nic = this.nics.resolve(ref, 'nic.resetCounters');
    this.poller.reset({ vm: nic.vm, bridge: nic.bridge });
  }

  captureNic(ref: NicSelector, options: CaptureOptions, destination?: CaptureDestination): Promise<CaptureInfo> {
    return this.captures.captureNic(ref, options, destination);
  }

  captureBridge(bridge: string, options: CaptureOptions, destination?: CaptureDestination): Promise<CaptureInfo> {
    return this.captures.captureBridge(bridge, options, destination);
  }

  stopCapture(captureId: string): Promise<{ packets: number | null; kernelDrops: number | null }> {
    return this.captures.stop(captureId);
  }

  // -------------------------------------------------------------------------------------------
  // Following the document
  // -------------------------------------------------------------------------------------------

  /**
   * Makes the running lab follow an edit of the document from `previous` to `next` (the engine's
   * document now): link state, impairments, MTU, NICs added to or removed from running VMs
   * (hot-plug), bridges, the guests' live configuration. Returns what needs a VM restart.
   */
  async reconcile(previous: LabDocument, next: LabDocument): Promise<string[]> {
    const change = planDocumentChange(previous, next, (vm) => this.vms.isRunning(vm));
    for (const { vm, reason } of change.restartNeeded) this.addRestartNeeded(vm, reason);
    if (!this.network.isUp) return this.restartNeeded();
    for (const vm of change.vmsRemoved) {
      await this.vms.remove(vm);
      await this.network.vmDown(previous, vm);
    }
    for (const bridge of change.bridgesAdded) await this.network.addBridge(bridge);
    for (const nic of change.nicsRemoved) await this.nics.hotUnplug(nic);
    for (const nic of change.nicsAdded) await this.nics.hotPlug(nic);
    for (const nic of change.linkChanged) await this.nics.applyLink(nic);
    for (const nic of change.impairmentsChanged) await this.network.setImpairments(nic);
    // The host side of an MTU edit: the TAP (its bridge follows the smallest port MTU).
    for (const nic of change.mtuChanged) await this.network.setMtu(nic);
    for (const { vm, commands } of change.guestCommands) await this.nics.applyInGuest(vm, commands);
    for (const bridge of change.bridgesRemoved) await this.network.removeBridge(bridge);
    return this.restartNeeded();
  }

  private addRestartNeeded(vm: string, reason: string): void {
    const reasons = this.pendingRestarts.get(vm) ?? new Set<string>();
    reasons.add(reason);
    this.pendingRestarts.set(vm, reasons);
  }

  private restartNeeded(): string[] {
    return [...this.pendingRestarts.entries()].filter(([vm]) => this.vms.isRunning(vm)).flatMap(([, reasons]) => [...reasons]);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  private async helper(): Promise<HelperPort> {
    if (!this.helperPort) {
      const port = this.options.helper ? await this.options.helper() : await HelperClient.start();
      port.on('capture.ended', (e) => this.captures.ended(e.captureId, e.packetsCaptured, e.kernelDrops));
      this.helperPort = port;
    }
    return this.helperPort;
  }

  private requireVm(name: string, action: string) {
    const lab = this.document();
    const vm = lab.vms.find((v) => v.name === name);
    if (!vm) throw unknownName(lab, action, 'VM', name, lab.vms.map((v) => v.name));
    return vm;
  }
}

/** `Promise.allSettled` of `run` over `items`, at most `limit` running at a time, results in order. */
async function settledInBatches<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await run(items[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
