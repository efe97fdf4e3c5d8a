/**
 * The lab's network on the host: its namespace, bridges and TAPs, and each TAP's impairments
 * and MTU. Every step is a helper call from the network plan (net/net-plan.ts), the same calls
 * the exported script prints. Knows nothing of QEMU.
 */
import { chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { WirebenchError } from '../../../../shared/api.js';
import type { HelperCall } from '../../../../shared/helper-protocol.js';
import { hostBridgeName, tapName } from '../../../../shared/host-names.js';
import type { LabDocument, Nic } from '../../../../shared/lab.js';
import { labNetworkPlan, nicNetworkPlan, vmNetworkPlan, vmNetworkTeardown } from '../../net/net-plan.js';
import type { RuntimeContext } from './context.js';

export class LabNetwork {
  /** The namespace exists and is ours (created or adopted by this runtime). */
  private networkUp = false;

  constructor(private readonly ctx: RuntimeContext) {}

  get isUp(): boolean {
    return this.networkUp;
  }

  /**
   * Takes over a namespace this lab left running (another engine, the CLI) or an exported script
   * made: true when it is ours now. Costs one stat when there is none, so opening a lab never
   * prompts pkexec.
   */
  async adopt(): Promise<boolean> {
    if (this.networkUp) return true;
    if (!existsSync(`/run/netns/${this.ctx.namespace}`)) return false;
    const helper = await this.ctx.helper();
    const info = await helper.call({ op: 'info' });
    if (!info.namespaces.includes(this.ctx.namespace)) {
      // Made by an exported script (same names, same QEMU command lines): the helper takes it
      // over when everything inside runs as our QEMU user. Otherwise leave it; `up` and `down`
      // say what to do with it.
      try {
        await helper.call({ op: 'ns.adopt', ns: this.ctx.namespace });
      } catch {
        return false;
      }
    }
    this.networkUp = true;
    return true;
  }

  /** Creates the namespace and bridges (once), and the runtime folder QEMU writes its sockets to. */
  async ensure(): Promise<void> {
    if (this.networkUp) return;
    const helper = await this.ctx.helper();
    const info = await helper.call({ op: 'info' });
    if (info.namespaces.includes(this.ctx.namespace)) {
      // Left over from an earlier run of this lab (the app closed with the lab up, or crashed):
      // start clean rather than half-adopt unknown state.
      await helper.call({ op: 'ns.delete', ns: this.ctx.namespace });
    }
    for (const call of labNetworkPlan(this.ctx.document())) await helper.call(call);
    const dir = await this.ctx.labDir();
    // The parent is shared by every lab of this user and must stay traversable for the QEMU
    // user; only the lab's own folder is private to it.
    mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    // As root, QEMU runs as nobody and must be able to create its sockets here.
    if ((process.getuid?.() ?? -1) === 0) chownSync(dir, info.qemuUid, info.qemuGid);
    this.networkUp = true;
  }

  /** Deletes the namespace (everything in it goes too) and the runtime folder. */
  async delete(): Promise<void> {
    if (this.networkUp || (await this.namespaceExists())) {
      await (await this.ctx.helper()).call({ op: 'ns.delete', ns: this.ctx.namespace });
    }
    rmSync(await this.ctx.labDir(), { recursive: true, force: true });
    this.networkUp = false;
    if (existsSync(`/run/netns/${this.ctx.namespace}`)) {
      // Not ours (an exported script's, say): the helper will not touch it, so say so.
      throw new WirebenchError('not-owned', `lab down: namespace ${this.ctx.namespace} still exists but was not created by Wirebench's helper`, `if an exported script started this lab, stop it with "<lab>.sh down"; otherwise remove it with "ip netns del ${this.ctx.namespace}"`);
    }
  }

  /** A VM's TAPs, each on its bridge with its MTU, link state and impairments. */
  async vmUp(vm: string): Promise<void> {
    for (const call of vmNetworkPlan(this.ctx.document(), vm)) await this.step(call);
  }

  /** Removes a VM's TAPs as `lab` had them; best effort (a stopped or crashed VM may have left some). */
  async vmDown(lab: LabDocument, vm: string): Promise<void> {
    const helper = await this.ctx.helper();
    for (const call of vmNetworkTeardown(lab, vm)) await helper.call(call).catch(() => undefined);
  }

  /** One NIC's TAP (hot-plug). */
  async nicUp(nic: Nic): Promise<void> {
    for (const call of nicNetworkPlan(this.ctx.document(), nic)) await this.step(call);
  }

  async deleteTap(nic: Nic): Promise<void> {
    await (await this.ctx.helper()).call({ op: 'tap.delete', ns: this.ctx.namespace, tap: tapName(nic.vm, nic.bridge) });
  }

  async addBridge(bridge: string): Promise<void> {
    await (await this.ctx.helper()).call({ op: 'bridge.create', ns: this.ctx.namespace, bridge: hostBridgeName(bridge) });
  }

  async removeBridge(bridge: string): Promise<void> {
    await (await this.ctx.helper()).call({ op: 'bridge.delete', ns: this.ctx.namespace, bridge: hostBridgeName(bridge) }).catch(() => undefined);
  }

  /** The host side of a cable: the TAP on its bridge (`up`) or off it (`down`). */
  async setCable(nic: Nic): Promise<void> {
    const tap = tapName(nic.vm, nic.bridge);
    const helper = await this.ctx.helper();
    if (nic.link === 'down') await helper.call({ op: 'link.detach', ns: this.ctx.namespace, tap });
    else await helper.call({ op: 'link.attach', ns: this.ctx.namespace, tap, bridge: hostBridgeName(nic.bridge) });
  }

  /** The TAP's MTU (its bridge follows the smallest of its ports). */
  async setMtu(nic: Nic): Promise<void> {
    await (await this.ctx.helper()).call({ op: 'link.mtu', ns: this.ctx.namespace, dev: tapName(nic.vm, nic.bridge), mtu: nic.mtu ?? 1500 });
  }

  async setImpairments(nic: Nic): Promise<void> {
    const dev = tapName(nic.vm, nic.bridge);
    if (nic.impairments && Object.keys(nic.impairments).length) await this.impairTap({ op: 'netem.set', ns: this.ctx.namespace, dev, netem: nic.impairments });
    else await (await this.ctx.helper()).call({ op: 'netem.clear', ns: this.ctx.namespace, dev });
  }

  /** Whether the helper knows this lab's namespace (left up by an earlier run, say). */
  private async namespaceExists(): Promise<boolean> {
    const info = await (await this.ctx.helper()).call({ op: 'info' });
    return info.namespaces.includes(this.ctx.namespace);
  }

  /** One step of bringing the network up. */
  private async step(call: HelperCall): Promise<void> {
    if (call.op === 'netem.set') return this.impairTap(call);
    await (await this.ctx.helper()).call(call);
  }

  /**
   * Impairments are the one optional part of a NIC: a kernel built without `sch_netem` can only
   * limit the rate (the helper falls back to `tbf`), and a lab that asks for delay or loss
   * should still run. The person is told, each time they are applied, what was left out.
   */
  private async impairTap(call: Extract<HelperCall, { op: 'netem.set' }>): Promise<void> {
    const emit = (message: string, hint: string | undefined) => this.ctx.events.emit({ type: 'error', code: 'impairments-unsupported', message, ...(hint ? { hint } : {}) });
    try {
      const applied = await (await this.ctx.helper()).call(call);
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
}
