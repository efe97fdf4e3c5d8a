/**
 * The *created* lab (libvirt's create, next to the document's define): its namespace and
 * bridges, its running VMs with their TAPs, NIC operations, counters and captures.
 *
 * Every NIC operation works on the document first and on the running system where there is
 * one: pulling a cable on a stopped lab just records `link: "down"`; on a running VM it also
 * detaches the TAP from its bridge and tells QEMU `set_link` so the guest sees carrier loss.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import type { CaptureInfo, LabStatus, NicCounters, NicInfo, NicSelector, VmStatus } from '../../../shared/api.js';
import { WirebenchError } from '../../../shared/api.js';
import type { HelperCall, HelperOp, HelperResults } from '../../../shared/helper-protocol.js';
import { guestNicName, hostBridgeName, namespaceName, netdevId, nicDeviceId, tapName } from '../../../shared/host-names.js';
import { nicMac } from '../../../shared/guest-cmdline.js';
import type { Impairments, LabDocument, Nic, Vm } from '../../../shared/lab.js';
import { FIRST_NIC_SLOT, LAST_ROOT_NIC_SLOT, NIC_OFFLOADS_OFF, nicPlacement, type QemuSpec } from '../../../shared/qemu-spec.js';
import { renderSeed } from '../../../shared/cloud-init-seed.js';
import { writeSeedImage } from '../qemu/seed-image.js';
import { isProcessRunning } from '../../common/process-state.js';
import { labRuntimeDir, runtimeRoot, vmRuntimePaths } from '../../../shared/runtime-paths.js';
import { CaptureManager } from '../capture/capture-manager.js';
import type { EventBus } from '../event-bus.js';
import { CountersPoller } from '../net/counters-poller.js';
import { labNetworkPlan, nicNetworkPlan, vmNetworkPlan, vmNetworkTeardown } from '../net/net-plan.js';
import { HelperClient } from '../net/helper-client.js';
import { accelChoice, resolveAccel, type AccelChoice } from '../qemu/accel.js';
import { kvmPermissionHint, type AccelDecision } from '../../../shared/accel-rule.js';
import { findTinyGuest } from '../qemu/tiny-guest.js';
import { VmProcess, type VmBootFacts } from '../qemu/vm-process.js';
import { vmQemuSpec } from '../qemu/vm-spec.js';
import { planDocumentChange } from './document-diff.js';
import { resolveNic } from './nic-lookup.js';

/** What the runtime needs from the privileged helper (the real HelperClient, or a test double). */
export interface HelperPort {
  call<O extends HelperOp>(request: Extract<HelperCall, { op: O }>, options?: { timeoutMs?: number }): Promise<HelperResults[O]>;
  on(event: 'capture.ended', listener: (e: { captureId: string; packetsCaptured: number | null; kernelDrops: number | null }) => void): () => void;
  close(): Promise<void> | void;
}

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
}

export class LabRuntime {
  document: LabDocument;
  private readonly vms = new Map<string, VmProcess>();
  private helperPort: HelperPort | null = null;
  private networkUp = false;
  private readonly poller: CountersPoller;
  private readonly captures: CaptureManager;
  /** PCI slot of each hot-plugged NIC device, per VM (boot-time NICs use FIRST_NIC_SLOT + index). */
  private readonly slots = new Map<string, Map<string, number>>();

  constructor(
    lab: LabDocument,
    private readonly options: LabRuntimeOptions,
  ) {
    this.document = lab;
    this.captures = new CaptureManager(options.events);
    this.poller = new CountersPoller(
      {
        nics: () => this.polledNics(),
        procNetDevPath: () => {
          const pid = [...this.vms.values()].find((v) => v.state === 'running')?.status().pid;
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
    if (this.polledFor !== this.document) {
      this.polled = this.document.nics.map((n) => ({ vm: n.vm, bridge: n.bridge, tap: tapName(n.vm, n.bridge) }));
      this.polledFor = this.document;
    }
    return this.polled;
  }

  get namespace(): string {
    return namespaceName(this.document);
  }

  isUp(): boolean {
    return this.networkUp;
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
    this.adoption ??= this.adopt().catch((err: unknown) => {
      this.adoption = null;
      throw err;
    });
    return this.adoption;
  }

  private async adopt(): Promise<void> {
    if (this.networkUp || !existsSync(`/run/netns/${this.namespace}`)) return;
    const helper = await this.helper();
    const info = await helper.call({ op: 'info' });
    if (!info.namespaces.includes(this.namespace)) {
      // Made by an exported script (same names, same QEMU command lines): the helper takes it
      // over when everything inside runs as our QEMU user. Otherwise leave it; `up` and `down`
      // say what to do with it.
      try {
        await helper.call({ op: 'ns.adopt', ns: this.namespace });
      } catch {
        return;
      }
    }
    this.networkUp = true;
    const labDir = await this.labDir();
    for (const vm of this.document.vms) {
      const paths = vmRuntimePaths(labDir, vm.name);
      const pid = readPidFile(paths.pidFile);
      if (pid === null) continue;
      await this.vmProcess(vm.name).adopt(await this.vmSpec(vm), pid, await this.bootFacts(vm));
    }
    if ([...this.vms.values()].some((v) => v.state === 'running')) this.poller.start();
  }

  async up(): Promise<LabStatus> {
    await this.ensureNetwork();
    const results = await Promise.allSettled(this.document.vms.map((vm) => this.startVm(vm.name)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.document.vms[i]!.name}: ${(r.reason as Error).message}`] : []));
    if (failed.length) {
      throw new WirebenchError('vm-start-failed', `lab up: ${failed.length} VM(s) did not start:\n${failed.join('\n')}`, 'see each VM\'s crash reason; `lab down` cleans up');
    }
    return this.status();
  }

  /** The network part alone: namespace, bridges, and every VM's TAPs (nothing boots). */
  async upNetworkOnly(): Promise<LabStatus> {
    await this.ensureNetwork();
    for (const vm of this.document.vms) for (const call of vmNetworkPlan(this.document, vm.name)) await this.callNetworkStep(call);
    return this.status();
  }

  async down(): Promise<LabStatus> {
    this.poller.stop();
    for (const id of this.captures.ids()) await this.stopCapture(id).catch(() => undefined);
    // In parallel: each guest gets the power button and its own bounded wait.
    await Promise.all([...this.vms.values()].map((vm) => vm.stop(this.stopOptions(false)).catch(() => undefined)));
    if (this.networkUp || (await this.namespaceExists())) {
      const helper = await this.helper();
      await helper.call({ op: 'ns.delete', ns: this.namespace });
    }
    rmSync(await this.labDir(), { recursive: true, force: true });
    this.networkUp = false;
    if (existsSync(`/run/netns/${this.namespace}`)) {
      // Not ours (an exported script's, say): the helper will not touch it, so say so.
      throw new WirebenchError('not-owned', `lab down: namespace ${this.namespace} still exists but was not created by Wirebench's helper`, `if an exported script started this lab, stop it with "<lab>.sh down"; otherwise remove it with "ip netns del ${this.namespace}"`);
    }
    this.poller.clear();
    this.slots.clear();
    return this.status();
  }

  status(): LabStatus {
    return {
      namespace: this.namespace,
      running: this.networkUp,
      vms: this.document.vms.map((vm) => this.vms.get(vm.name)?.status() ?? stoppedStatus(vm.name)),
      restartNeeded: this.restartNeeded(),
    };
  }

  async startVm(name: string): Promise<VmStatus> {
    const vmDoc = this.requireVm(name, 'vm.start');
    await this.ensureNetwork();
    const vm = this.vmProcess(name);
    if (vm.state === 'running' || vm.state === 'starting') return vm.status();
    if (vm.state === 'crashed') {
      // A crashed run left its TAPs behind; a clean stop removed them already.
      const helper = await this.helper();
      for (const call of vmNetworkTeardown(this.document, name)) await helper.call(call).catch(() => undefined);
    }
    for (const call of vmNetworkPlan(this.document, name)) await this.callNetworkStep(call);
    const spec = await this.vmSpec(vmDoc);
    // The guest's configuration, rebuilt from the document at every start.
    await writeSeedImage(renderSeed(this.document, name), spec.seedImage);
    this.pendingRestarts.delete(name);
    await vm.start(spec, await this.bootFacts(vmDoc));
    this.poller.start();
    return vm.status();
  }

  /**
   * The VM's QEMU spec (the same builder the exported script uses), and the PCI slots its boot
   * NICs take, so hot-plugged NICs go to free ones.
   */
  private async vmSpec(vm: Vm): Promise<QemuSpec> {
    const spec = vmQemuSpec(this.document, vm.name, {
      accel: await this.accelDecision(),
      labDir: await this.labDir(),
      tinyGuest: vm.image.kind === 'tiny' ? findTinyGuest() : { kernel: '/nonexistent', initrd: '/nonexistent' },
      // Relative disk paths in a lab file mean "next to the lab file".
      ...(vm.image.kind === 'qcow2' ? { disks: { [vm.name]: resolvePath(this.options.labFileDir ?? process.cwd(), vm.image.path) } } : {}),
    });
    // Root-bus slots only: NICs behind the PCI bridge are not hot-plug candidates' neighbours.
    this.slots.set(vm.name, new Map(spec.nics.flatMap((n, i) => (nicPlacement(i).bus === 'pci.0' ? [[n.deviceId, nicPlacement(i).slot] as const] : []))));
    return spec;
  }

  async stopVm(name: string, options: { force?: boolean } = {}): Promise<VmStatus> {
    this.requireVm(name, 'vm.stop');
    const vm = this.vms.get(name);
    if (!vm) return stoppedStatus(name);
    await vm.stop(this.stopOptions(options.force ?? false));
    if (this.networkUp) {
      const helper = await this.helper();
      for (const call of vmNetworkTeardown(this.document, name)) await helper.call(call).catch(() => undefined);
    }
    return vm.status();
  }

  async snapshotVm(name: string, tag: string): Promise<void> {
    const vmDoc = this.requireVm(name, 'vm.snapshot');
    if (vmDoc.image.kind !== 'qcow2') {
      throw new WirebenchError('not-supported', `vm.snapshot: VM "${name}" boots the built-in tiny guest, which has no disk to snapshot`, 'give the VM a qcow2 image to use snapshots');
    }
    const pinned = this.captures.pinnedBridges();
    const busy = this.document.nics.filter((n) => n.vm === name && pinned.has(n.bridge)).map((n) => n.bridge);
    if (busy.length) {
      throw new WirebenchError('capture-active', `vm.snapshot: a capture is running on bridge(s) ${busy.map((b) => `"${b}"`).join(', ')} of VM "${name}"; a snapshot now would cut it in half`, 'stop the capture first');
    }
    const output = await this.requireVmProcess(name).qmp('vm.snapshot').humanMonitorCommand(`savevm ${tag}`);
    if (output.trim()) throw new WirebenchError('snapshot-failed', `vm.snapshot: QEMU said: ${output.trim()}`);
  }

  async runInVm(name: string, command: string, timeoutMs = 30_000): Promise<{ exitCode: number; output: string }> {
    this.requireVm(name, 'vm.run');
    return this.requireVmProcess(name).run(command, { timeoutMs });
  }

  /** The console's state and history for a client that opens it; a clear error when the VM does not run. */
  async openConsole(name: string): Promise<{ state: VmStatus['state']; history: string }> {
    const vm = this.requireLiveConsole(name);
    return { state: vm.state, history: await vm.consoleHistory() };
  }

  /** The VM whose console can be watched now (booting or running), or a clear error. */
  requireLiveConsole(name: string): VmProcess {
    this.requireVm(name, 'console.open');
    const vm = this.requireVmProcess(name);
    vm.liveConsole('console.open');
    return vm;
  }

  async consoleWrite(name: string, data: string): Promise<void> {
    this.requireVm(name, 'console.write');
    this.requireVmProcess(name).console('console.write').write(data);
  }

  async consoleHistory(name: string): Promise<string> {
    this.requireVm(name, 'console.history');
    return (await this.vms.get(name)?.consoleHistory()) ?? '';
  }

  /** Leave VMs running but drop every connection (the app closes, the lab stays). */
  async detach(): Promise<void> {
    this.poller.stop();
    for (const vm of this.vms.values()) vm.detach();
    await this.helperPort?.close();
    this.helperPort = null;
  }

  // -------------------------------------------------------------------------------------------
  // NICs
  // -------------------------------------------------------------------------------------------

  nicInfo(ref: NicSelector): NicInfo {
    const nic = this.requireNic(ref, 'nic.info');
    return {
      vm: nic.vm,
      bridge: nic.bridge,
      guestName: guestNicName(this.document.nics, nic.vm, nic.bridge)!,
      hostTap: tapName(nic.vm, nic.bridge),
      hostBridge: hostBridgeName(nic.bridge),
      namespace: this.namespace,
      mac: nicMac(this.document, nic),
      ip: nic.ip ?? null,
      link: nic.link,
    };
  }

  nicCounters(ref: NicSelector): NicCounters {
    const nic = this.requireNic(ref, 'nic.counters');
    return this.poller.read({ vm: nic.vm, bridge: nic.bridge });
  }

  resetNicCounters(ref: NicSelector): void {
    const nic = this.requireNic(ref, 'nic.resetCounters');
    this.poller.reset({ vm: nic.vm, bridge: nic.bridge });
  }

  /** Pull (`down`) or re-plug (`up`) the cable: bridge membership + QMP set_link, or document only. */
  async setLink(ref: NicSelector, link: 'up' | 'down'): Promise<NicInfo> {
    const nic = this.requireNic(ref, link === 'down' ? 'nic.disconnect' : 'nic.reconnect');
    const next: Nic = { ...nic, link };
    this.replaceNic(next);
    await this.applyLink(next);
    return this.nicInfo(ref);
  }

  async setImpairments(ref: NicSelector, impairments: Impairments | null): Promise<NicInfo> {
    const nic = this.requireNic(ref, 'nic.setImpairments');
    const next: Nic = { ...nic };
    if (impairments && Object.keys(impairments).length) next.impairments = impairments;
    else delete next.impairments;
    this.replaceNic(next);
    if (this.vms.get(nic.vm)?.state === 'running') await this.applyImpairments(next);
    return this.nicInfo(ref);
  }

  // -------------------------------------------------------------------------------------------
  // Captures
  // -------------------------------------------------------------------------------------------

  async captureNic(ref: NicSelector, options: { filter?: string | undefined; saveTo?: string | undefined }): Promise<CaptureInfo> {
    const nic = this.requireNic(ref, 'nic.capture');
    if (this.vms.get(nic.vm)?.state !== 'running') {
      throw new WirebenchError('not-booted', `nic:capture: vm \`${nic.vm}\` has no TAP on bridge \`${nic.bridge}\` (not booted?). Start the lab or the VM first.`);
    }
    const title = `${nic.vm}/${guestNicName(this.document.nics, nic.vm, nic.bridge)} (${nic.bridge})`;
    return this.startCapture(tapName(nic.vm, nic.bridge), { bridge: nic.bridge, title }, options);
  }

  async captureBridge(bridge: string, options: { filter?: string | undefined; saveTo?: string | undefined }): Promise<CaptureInfo> {
    if (!this.document.bridges.some((b) => b.name === bridge)) throw this.unknown('bridge.capture', 'bridge', bridge, this.document.bridges.map((b) => b.name));
    if (!this.networkUp) {
      throw new WirebenchError('not-running', `bridge:capture: bridge \`${bridge}\` does not exist yet (lab not started).`, 'Start the lab first.');
    }
    return this.startCapture(hostBridgeName(bridge), { bridge, title: `bridge ${bridge}` }, options);
  }

  async stopCapture(captureId: string): Promise<{ packets: number | null; kernelDrops: number | null }> {
    this.captures.require(captureId);
    const helper = await this.helper();
    const result = await helper.call({ op: 'capture.stop', captureId });
    await this.captures.finish(captureId, result.packetsCaptured, result.kernelDrops);
    return { packets: result.packetsCaptured, kernelDrops: result.kernelDrops };
  }

  private async startCapture(dev: string, target: { bridge: string; title: string }, options: { filter?: string | undefined; saveTo?: string | undefined }): Promise<CaptureInfo> {
    const helper = await this.helper();
    const started = await helper.call({ op: 'capture.start', ns: this.namespace, dev, ...(options.filter ? { filter: options.filter } : {}) });
    try {
      return this.captures.attach(started.captureId, started.fifo, target, options.saveTo);
    } catch (err) {
      // Nobody would ever read it: end the tcpdump the helper started.
      await helper.call({ op: 'capture.stop', captureId: started.captureId }).catch(() => undefined);
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Live edits of the document
  // -------------------------------------------------------------------------------------------

  /**
   * Adopts an edited document and applies what can be applied live: link state, impairments,
   * NICs added to or removed from running VMs (hot-plug). Returns what needs a VM restart.
   */
  async applyDocument(next: LabDocument): Promise<string[]> {
    const previous = this.document;
    const change = planDocumentChange(previous, next, (vm) => this.vms.get(vm)?.state === 'running');
    this.document = next;
    for (const { vm, reason } of change.restartNeeded) {
      const reasons = this.pendingRestarts.get(vm) ?? new Set<string>();
      reasons.add(reason);
      this.pendingRestarts.set(vm, reasons);
    }
    if (!this.networkUp) return this.restartNeeded();
    const helper = await this.helper();
    for (const vm of change.vmsRemoved) {
      await this.vms.get(vm)?.stop(this.stopOptions(false));
      this.vms.delete(vm);
      for (const call of vmNetworkTeardown(previous, vm)) await helper.call(call).catch(() => undefined);
    }
    for (const bridge of change.bridgesAdded) await helper.call({ op: 'bridge.create', ns: this.namespace, bridge: hostBridgeName(bridge) });
    for (const nic of change.nicsRemoved) await this.hotUnplug(nic);
    for (const nic of change.nicsAdded) await this.hotPlug(nic);
    for (const nic of change.linkChanged) await this.applyLink(nic);
    for (const nic of change.impairmentsChanged) await this.applyImpairments(nic);
    // The host side of an MTU edit: the TAP (its bridge follows the smallest port MTU).
    for (const nic of change.mtuChanged) await helper.call({ op: 'link.mtu', ns: this.namespace, dev: tapName(nic.vm, nic.bridge), mtu: nic.mtu ?? 1500 });
    for (const { vm, commands } of change.guestCommands) await this.applyInGuest(vm, commands);
    for (const bridge of change.bridgesRemoved) await helper.call({ op: 'bridge.delete', ns: this.namespace, bridge: hostBridgeName(bridge) }).catch(() => undefined);
    return this.restartNeeded();
  }

  /**
   * Runs a live edit's commands in a running guest (routes, forwarding, MTU, /etc/hosts) over its
   * automation channel. A failure is reported and the VM listed as needing a restart, which
   * applies the same configuration from its seed.
   */
  private async applyInGuest(vm: string, commands: string[]): Promise<void> {
    const process = this.vms.get(vm);
    if (process?.state !== 'running') return;
    let why: string | null = null;
    try {
      const result = await process.run(commands.join(' && '), { timeoutMs: 15_000 });
      if (result.exitCode !== 0) why = `exit ${result.exitCode}: ${result.output.trim().split('\n').slice(-3).join(' / ')}`;
    } catch (err) {
      why = (err as Error).message;
    }
    if (why === null) return;
    const reasons = this.pendingRestarts.get(vm) ?? new Set<string>();
    reasons.add(`VM "${vm}": a live change did not apply (${why}); restart it to apply`);
    this.pendingRestarts.set(vm, reasons);
    this.options.events.emit({ type: 'error', code: 'live-edit-failed', message: `VM "${vm}": applying the edit live failed (${why})`, hint: 'restart the VM: it boots with the new configuration' });
  }

  private stopOptions(force: boolean): { force: boolean; powerdownTimeoutMs?: number } {
    return { force, ...(this.options.powerdownTimeoutMs !== undefined ? { powerdownTimeoutMs: this.options.powerdownTimeoutMs } : {}) };
  }

  /** Edits of running VMs that only a restart applies; each VM's list clears when it (re)starts. */
  private readonly pendingRestarts = new Map<string, Set<string>>();

  private restartNeeded(): string[] {
    return [...this.pendingRestarts.entries()]
      .filter(([vm]) => this.vms.get(vm)?.state === 'running')
      .flatMap(([, reasons]) => [...reasons]);
  }

  /** Adds a NIC to a running VM: TAP first, then QEMU's netdev and device in a free PCI slot. */
  private async hotPlug(nic: Nic): Promise<void> {
    const vm = this.requireVmProcess(nic.vm);
    const helper = await this.helper();
    for (const call of nicNetworkPlan(this.document, nic)) await helper.call(call);
    const used = this.slots.get(nic.vm) ?? new Map<string, number>();
    this.slots.set(nic.vm, used);
    let slot = FIRST_NIC_SLOT;
    const taken = new Set(used.values());
    while (taken.has(slot)) slot++;
    if (slot > LAST_ROOT_NIC_SLOT) {
      throw new WirebenchError('no-free-slot', `hot-plug: VM "${nic.vm}" has no free PCI slot for NIC ${nic.vm}/${nic.bridge}`, `restart VM "${nic.vm}": it boots with up to its lab's NIC limit`);
    }
    const qmp = vm.qmp('hot-plug');
    await qmp.netdevAdd({ type: 'tap', id: netdevId(nic.bridge), ifname: tapName(nic.vm, nic.bridge), script: 'no', downscript: 'no' });
    await qmp.deviceAdd({ driver: 'virtio-net-pci', id: nicDeviceId(nic.bridge), netdev: netdevId(nic.bridge), mac: nicMac(this.document, nic), bus: 'pci.0', addr: `0x${slot.toString(16)}`, ...NIC_OFFLOADS_OFF });
    used.set(nicDeviceId(nic.bridge), slot);
    if (nic.link === 'down') await qmp.setLink(netdevId(nic.bridge), false);
  }

  private async hotUnplug(nic: Nic): Promise<void> {
    const vm = this.requireVmProcess(nic.vm);
    const qmp = vm.qmp('hot-unplug');
    await qmp.deviceDel(nicDeviceId(nic.bridge));
    await qmp.netdevDel(netdevId(nic.bridge));
    this.slots.get(nic.vm)?.delete(nicDeviceId(nic.bridge));
    const helper = await this.helper();
    await helper.call({ op: 'tap.delete', ns: this.namespace, tap: tapName(nic.vm, nic.bridge) });
  }

  /** Makes the running system match the NIC's `link` (nothing to do for a stopped VM), and says so. */
  private async applyLink(nic: Nic): Promise<void> {
    const vm = this.vms.get(nic.vm);
    if (vm?.state === 'running') {
      const helper = await this.helper();
      const tap = tapName(nic.vm, nic.bridge);
      // Off the bridge first, so not one more frame reaches the guest after it sees carrier loss.
      if (nic.link === 'down') await helper.call({ op: 'link.detach', ns: this.namespace, tap });
      else await helper.call({ op: 'link.attach', ns: this.namespace, tap, bridge: hostBridgeName(nic.bridge) });
      await vm.qmp(nic.link === 'down' ? 'nic.disconnect' : 'nic.reconnect').setLink(netdevId(nic.bridge), nic.link === 'up');
    }
    this.options.events.emit({ type: 'nic.link', vm: nic.vm, bridge: nic.bridge, link: nic.link });
  }

  private async applyImpairments(nic: Nic): Promise<void> {
    const dev = tapName(nic.vm, nic.bridge);
    if (nic.impairments && Object.keys(nic.impairments).length) await this.impairTap({ op: 'netem.set', ns: this.namespace, dev, netem: nic.impairments });
    else await (await this.helper()).call({ op: 'netem.clear', ns: this.namespace, dev });
  }

  /** One step of bringing a VM's network up. */
  private async callNetworkStep(call: HelperCall): Promise<void> {
    if (call.op === 'netem.set') return this.impairTap(call);
    await (await this.helper()).call(call);
  }

  /**
   * Impairments are the one optional part of a NIC: a kernel built without `sch_netem` can only
   * limit the rate (the helper falls back to `tbf`), and a lab that asks for delay or loss
   * should still run. The person is told, each time they are applied, what was left out.
   */
  private async impairTap(call: Extract<HelperCall, { op: 'netem.set' }>): Promise<void> {
    const emit = (message: string, hint: string | undefined) => this.options.events.emit({ type: 'error', code: 'impairments-unsupported', message, ...(hint ? { hint } : {}) });
    try {
      const applied = await (await this.helper()).call(call);
      if (applied.notApplied.length > 0) {
        emit(
          `impairments on ${call.dev}: the rate limit is applied (tbf), ${applied.notApplied.join(', ')} not: this kernel has no netem qdisc`,
          'load it with `modprobe sch_netem`; a kernel built without CONFIG_NET_SCH_NETEM (some VM and container hosts) can only limit the rate',
        );
      }
    } catch (err) {
      if ((err as { code?: string }).code !== 'unsupported') throw err;
      const e = err as WirebenchError;
      emit(`impairments on ${call.dev} not applied: ${e.message}`, e.hint);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  private accelDecisionMemo: Promise<AccelDecision> | null = null;
  private qemuIsEngineUser = true;

  /** The accelerators of this host, decided once per runtime (asks the kernel as QEMU's user). */
  private accelDecision(): Promise<AccelDecision> {
    this.accelDecisionMemo ??= (async () => {
      const choice = accelChoice(this.options.accel);
      const info = await (await this.helper()).call({ op: 'info' });
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

  private async helper(): Promise<HelperPort> {
    if (!this.helperPort) {
      const port = this.options.helper ? await this.options.helper() : await HelperClient.start();
      port.on('capture.ended', (e) => {
        if (this.captures.has(e.captureId)) void this.captures.finish(e.captureId, e.packetsCaptured, e.kernelDrops);
      });
      this.helperPort = port;
    }
    return this.helperPort;
  }

  /** Whether the helper knows this lab's namespace (left up by an earlier run, say). */
  private async namespaceExists(): Promise<boolean> {
    const info = await (await this.helper()).call({ op: 'info' });
    return info.namespaces.includes(this.namespace);
  }

  private async labDir(): Promise<string> {
    const uid = process.getuid?.() ?? 0;
    return labRuntimeDir(runtimeRoot(uid, process.env.XDG_RUNTIME_DIR), this.namespace);
  }

  /** Creates the namespace and bridges (once), and the runtime folder QEMU writes its sockets to. */
  private async ensureNetwork(): Promise<void> {
    if (this.networkUp) return;
    const helper = await this.helper();
    const info = await helper.call({ op: 'info' });
    if (info.namespaces.includes(this.namespace)) {
      // Left over from an earlier run of this lab (the app closed with the lab up, or crashed):
      // start clean rather than half-adopt unknown state.
      await helper.call({ op: 'ns.delete', ns: this.namespace });
    }
    for (const call of labNetworkPlan(this.document)) await helper.call(call);
    const dir = await this.labDir();
    // The parent is shared by every lab of this user and must stay traversable for the QEMU
    // user; only the lab's own folder is private to it.
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    // As root, QEMU runs as nobody and must be able to create its sockets here.
    if ((process.getuid?.() ?? -1) === 0) chownSync(dir, info.qemuUid, info.qemuGid);
    this.networkUp = true;
  }

  private vmProcess(name: string): VmProcess {
    let vm = this.vms.get(name);
    if (!vm) {
      const helperCall = async <O extends HelperOp>(req: Extract<HelperCall, { op: O }>, timeoutMs?: number) => (await this.helper()).call(req, timeoutMs ? { timeoutMs } : undefined);
      vm = new VmProcess(name, {
        startQemu: async (spec) => (await helperCall({ op: 'qemu.start', ns: this.namespace, spec }, 90_000)).pid,
        stateChanged: (vmName, state, reason) => this.options.events.emit({ type: 'vm.state', vm: vmName, state, reason }),
        consoleData: (vmName, data) => this.options.onConsoleData?.(vmName, data),
        startupFailed: (vmName, index, exitCode) => {
          const command = this.document.vms.find((v) => v.name === vmName)?.startup?.[index];
          const vmIndex = this.document.vms.findIndex((v) => v.name === vmName);
          this.options.events.emit({
            type: 'error',
            code: 'startup-failed',
            message: `VM "${vmName}": startup command ${index}${command !== undefined ? ` (${JSON.stringify(command)})` : ''} failed with exit code ${exitCode} (vms[${vmIndex}].startup[${index}])`,
            hint: `its output is on the serial console of VM "${vmName}"`,
          });
        },
      });
      this.vms.set(name, vm);
    }
    return vm;
  }

  private requireVmProcess(name: string): VmProcess {
    return this.vms.get(name) ?? this.vmProcess(name);
  }

  private requireVm(name: string, action: string) {
    const vm = this.document.vms.find((v) => v.name === name);
    if (!vm) throw this.unknown(action, 'VM', name, this.document.vms.map((v) => v.name));
    return vm;
  }

  /** The document's NIC named by VM and bridge or guest name (`eth0`, `enp0s0`, `ens0`); `not-found` lists what exists. */
  private requireNic(ref: NicSelector, action: string): Nic {
    return resolveNic(this.document, ref, action);
  }

  private unknown(action: string, kind: string, name: string, known: string[]): WirebenchError {
    return new WirebenchError('not-found', `${action}: no ${kind} named "${name}" in lab "${this.document.name}" (${kind}s: ${known.join(', ') || 'none'})`, `check the ${kind} name`);
  }

  private replaceNic(nic: Nic): void {
    this.document = { ...this.document, nics: this.document.nics.map((n) => (n.vm === nic.vm && n.bridge === nic.bridge ? nic : n)) };
  }
}

function stoppedStatus(name: string): VmStatus {
  return { name, state: 'stopped', pid: null, reason: null, accel: null, accelHint: null };
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
