/**
 * What happens to one NIC of a running VM: its cable (bridge membership on the host, QMP
 * `set_link` in the guest), hot-plug and unplug in a free PCI slot, the host MTU and impairments
 * of its TAP, and live edits of the guest's own configuration (routes, forwarding, MTU, hosts)
 * over the automation channel. Stopped VMs need none of this: they read the document at start.
 */
import type { NicInfo, NicSelector } from '../../../../shared/api.js';
import { WirebenchError } from '../../../../shared/api.js';
import { guestNicName, hostBridgeName, netdevId, nicDeviceId, tapName } from '../../../../shared/host-names.js';
import { nicMac } from '../../../../shared/nic-mac.js';
import type { Nic } from '../../../../shared/lab.js';
import { FIRST_NIC_SLOT, LAST_ROOT_NIC_SLOT, NIC_OFFLOADS_OFF, nicPlacement, type QemuSpec } from '../../../../shared/qemu-spec.js';
import type { QmpClient } from '../../qemu/qmp-client.js';
import type { RunOptions, RunResult } from '../../qemu/serial-console.js';
import { resolveNic } from '../nic-lookup.js';
import type { RuntimeContext } from './context.js';
import type { LabNetwork } from './network.js';

/** The QMP commands NIC operations use (a running VM's session, or a test double). */
export type NicQmp = Pick<QmpClient, 'netdevAdd' | 'deviceAdd' | 'deviceDel' | 'netdevDel' | 'setLink'>;

/** The VMs as NIC operations see them. */
export interface NicVms {
  get(name: string): { readonly state: string; qmp(action: string): NicQmp; run(command: string, options: RunOptions): Promise<RunResult> } | undefined;
}

export class NicOps {
  /** PCI slot of each NIC device on the root bus, per VM: its boot NICs', then hot-plugged ones. */
  private readonly slots = new Map<string, Map<string, number>>();

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly network: Pick<LabNetwork, 'nicUp' | 'deleteTap' | 'setCable'>,
    private readonly vms: NicVms,
    /** Told when a live edit did not apply and only a restart will. */
    private readonly restartNeeded: (vm: string, reason: string) => void,
  ) {}

  /** The document's NIC named by VM and bridge or guest name (`eth0`, `enp0s0`, `ens0`); `not-found` lists what exists. */
  resolve(ref: NicSelector, action: string): Nic {
    return resolveNic(this.ctx.document(), ref, action);
  }

  info(ref: NicSelector): NicInfo {
    const lab = this.ctx.document();
    const nic = this.resolve(ref, 'nic.info');
    return {
      vm: nic.vm,
      bridge: nic.bridge,
      guestName: guestNicName(lab.nics, nic.vm, nic.bridge)!,
      hostTap: tapName(nic.vm, nic.bridge),
      hostBridge: hostBridgeName(nic.bridge),
      namespace: this.ctx.namespace,
      mac: nicMac(lab, nic),
      ip: nic.ip ?? null,
      link: nic.link,
    };
  }

  /** The slots a VM's boot NICs take (root bus only: NICs behind the PCI bridge are not hot-plug neighbours). */
  bootSlots(vm: string, spec: QemuSpec): void {
    this.slots.set(vm, new Map(spec.nics.flatMap((n, i) => (nicPlacement(i).bus === 'pci.0' ? [[n.deviceId, nicPlacement(i).slot] as const] : []))));
  }

  clearSlots(): void {
    this.slots.clear();
  }

  /** Makes a running VM's cable match the NIC's `link`; nothing to do for a stopped VM. */
  async applyLink(nic: Nic): Promise<void> {
    const vm = this.vms.get(nic.vm);
    if (vm?.state !== 'running') return;
    // Off the bridge first, so not one more frame reaches the guest after it sees carrier loss.
    await this.network.setCable(nic);
    await vm.qmp(nic.link === 'down' ? 'nic.disconnect' : 'nic.reconnect').setLink(netdevId(nic.bridge), nic.link === 'up');
  }

  /** Adds a NIC to a running VM: TAP first, then QEMU's netdev and device in a free PCI slot. */
  async hotPlug(nic: Nic): Promise<void> {
    const vm = this.requireRunning(nic.vm, 'hot-plug');
    await this.network.nicUp(nic);
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
    await qmp.deviceAdd({ driver: 'virtio-net-pci', id: nicDeviceId(nic.bridge), netdev: netdevId(nic.bridge), mac: nicMac(this.ctx.document(), nic), bus: 'pci.0', addr: `0x${slot.toString(16)}`, ...NIC_OFFLOADS_OFF });
    used.set(nicDeviceId(nic.bridge), slot);
    if (nic.link === 'down') await qmp.setLink(netdevId(nic.bridge), false);
  }

  async hotUnplug(nic: Nic): Promise<void> {
    const qmp = this.requireRunning(nic.vm, 'hot-unplug').qmp('hot-unplug');
    await qmp.deviceDel(nicDeviceId(nic.bridge));
    await qmp.netdevDel(netdevId(nic.bridge));
    this.slots.get(nic.vm)?.delete(nicDeviceId(nic.bridge));
    await this.network.deleteTap(nic);
  }

  /**
   * Runs a live edit's commands in a running guest (routes, forwarding, MTU, /etc/hosts) over its
   * automation channel. A failure is reported and the VM listed as needing a restart, which
   * applies the same configuration from its seed.
   */
  async applyInGuest(vm: string, commands: string[]): Promise<void> {
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
    this.restartNeeded(vm, `VM "${vm}": a live change did not apply (${why}); restart it to apply`);
    this.ctx.events.emit({ type: 'error', code: 'live-edit-failed', message: `VM "${vm}": applying the edit live failed (${why})`, hint: 'restart the VM: it boots with the new configuration' });
  }

  private requireRunning(name: string, action: string) {
    const vm = this.vms.get(name);
    if (!vm) throw new WirebenchError('vm-not-running', `${action}: VM "${name}" is stopped, not running`, 'start the VM (or the lab) first');
    return vm;
  }
}
