/**
 * Captures of a running lab: tcpdump (started by the helper) on a NIC's TAP or a whole bridge,
 * its pcap stream handed to the CaptureManager, which sends it to the client that started it
 * (`CaptureDestination`) and a file.
 */
import type { CaptureInfo, NicSelector } from '../../../../shared/api.js';
import { WirebenchError } from '../../../../shared/api.js';
import { guestNicName, hostBridgeName, tapName } from '../../../../shared/host-names.js';
import { CaptureManager, NO_DESTINATION, type CaptureDestination } from '../../capture/capture-manager.js';
import { resolveNic } from '../nic-lookup.js';
import { unknownName, type RuntimeContext } from './context.js';

export interface CaptureOptions {
  filter?: string | undefined;
  saveTo?: string | undefined;
}

export class LabCaptures {
  private readonly manager: CaptureManager;
  /** Stops under way: a second stop of the same capture (its client left while someone stopped it) waits for the first. */
  private readonly stopping = new Map<string, Promise<{ packets: number | null; kernelDrops: number | null }>>();

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly facts: { isRunning(vm: string): boolean; networkUp(): boolean },
  ) {
    this.manager = new CaptureManager(ctx.events);
  }

  /** Bridges a running capture watches (a snapshot then would cut it in half). */
  pinnedBridges(): Set<string> {
    return this.manager.pinnedBridges();
  }

  /** The helper says a capture ended by itself (tcpdump exited). */
  ended(captureId: string, packets: number | null, kernelDrops: number | null): void {
    if (this.manager.has(captureId)) void this.manager.finish(captureId, packets, kernelDrops);
  }

  async captureNic(ref: NicSelector, options: CaptureOptions, destination: CaptureDestination = NO_DESTINATION): Promise<CaptureInfo> {
    const lab = this.ctx.document();
    const nic = resolveNic(lab, ref, 'nic.capture');
    if (!this.facts.isRunning(nic.vm)) {
      throw new WirebenchError('not-booted', `nic:capture: vm \`${nic.vm}\` has no TAP on bridge \`${nic.bridge}\` (not booted?). Start the lab or the VM first.`);
    }
    const title = `${nic.vm}/${guestNicName(lab.nics, nic.vm, nic.bridge)} (${nic.bridge})`;
    return this.start(tapName(nic.vm, nic.bridge), { bridge: nic.bridge, title }, options, destination);
  }

  async captureBridge(bridge: string, options: CaptureOptions, destination: CaptureDestination = NO_DESTINATION): Promise<CaptureInfo> {
    const lab = this.ctx.document();
    if (!lab.bridges.some((b) => b.name === bridge)) throw unknownName(lab, 'bridge.capture', 'bridge', bridge, lab.bridges.map((b) => b.name));
    if (!this.facts.networkUp()) {
      throw new WirebenchError('not-running', `bridge:capture: bridge \`${bridge}\` does not exist yet (lab not started).`, 'Start the lab first.');
    }
    return this.start(hostBridgeName(bridge), { bridge, title: `bridge ${bridge}` }, options, destination);
  }

  stop(captureId: string): Promise<{ packets: number | null; kernelDrops: number | null }> {
    const under = this.stopping.get(captureId);
    if (under) return under;
    this.manager.require(captureId);
    const run = (async () => {
      const helper = await this.ctx.helper();
      const result = await helper.call({ op: 'capture.stop', captureId });
      await this.manager.finish(captureId, result.packetsCaptured, result.kernelDrops);
      return { packets: result.packetsCaptured, kernelDrops: result.kernelDrops };
    })();
    this.stopping.set(captureId, run);
    const forget = () => this.stopping.delete(captureId);
    run.then(forget, forget);
    return run;
  }

  async stopAll(): Promise<void> {
    for (const id of this.manager.ids()) await this.stop(id).catch(() => undefined);
  }

  private async start(dev: string, target: { bridge: string; title: string }, options: CaptureOptions, destination: CaptureDestination): Promise<CaptureInfo> {
    const helper = await this.ctx.helper();
    const started = await helper.call({ op: 'capture.start', ns: this.ctx.namespace, dev, ...(options.filter ? { filter: options.filter } : {}) });
    try {
      return this.manager.attach(started.captureId, started.fifo, target, options.saveTo, destination);
    } catch (err) {
      // Nobody would ever read it: end the tcpdump the helper started.
      await helper.call({ op: 'capture.stop', captureId: started.captureId }).catch(() => undefined);
      throw err;
    }
  }
}
