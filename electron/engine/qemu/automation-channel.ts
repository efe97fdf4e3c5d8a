/**
 * Where `vm.run` types, so a person at the console neither disturbs automation nor sees it:
 * - the tiny guest keeps a shell without echo on its second serial port (ttyS1);
 * - a disk image may carry the QEMU guest agent on its virtio-serial port (guest-agent.ts);
 * - a guest with neither (an older tiny guest, an image without the agent) is run on its
 *   console, as before the channel existed.
 * All three sit on the VM's one agent socket (shared/qemu-spec.ts decides which device backs it).
 */
import { existsSync } from 'node:fs';
import type { QemuSpec } from '../../../shared/qemu-spec.js';
import { GuestAgent } from './guest-agent.js';
import { SerialConsole, type RunOptions, type RunResult } from './serial-console.js';

/**
 * The automation shell reads in the tty's canonical mode (4,095 bytes a line), not through
 * ash's 1,024-byte line editor, so its lines may be longer than the console's.
 */
const SHELL_MAX_INPUT_LINE = 4000;
/** The guest opens its automation shell before it prints READY; this only covers a slow start. */
const SHELL_READY_TIMEOUT_MS = 30_000;

export class AutomationChannel {
  private shell: SerialConsole | null = null;
  private guestAgent: GuestAgent | null = null;
  /** Whether an agent answers on a disk image's port: asked once, at the first run. */
  private guestAgentAnswers: Promise<boolean> | null = null;

  constructor(private readonly vm: string) {}

  /** The tiny guest's shell on ttyS1, waited for until it answers. */
  async connectShell(spec: QemuSpec, connectTimeoutMs: number): Promise<void> {
    const shell = await SerialConsole.connect({ socketPath: spec.agentSocket, vm: this.vm, connectTimeoutMs, maxInputLine: SHELL_MAX_INPUT_LINE });
    this.shell = shell;
    await shell.waitForShell(SHELL_READY_TIMEOUT_MS);
  }

  /**
   * A running tiny guest's shell, for an adopted VM. A QEMU started before the channel existed
   * has no agent socket, and a shell someone ended by hand does not answer: both fall back.
   */
  async adoptShell(spec: QemuSpec): Promise<void> {
    if (!existsSync(spec.agentSocket)) return;
    await this.connectShell(spec, 5_000).catch(() => this.close());
  }

  /** A disk image may or may not carry qemu-guest-agent; whether it answers is asked at the first run. */
  async connectGuestAgent(spec: QemuSpec): Promise<void> {
    this.guestAgent = await GuestAgent.connect(spec.agentSocket, this.vm, 5_000).catch(() => null);
    this.guestAgentAnswers = null;
  }

  /** Runs on the channel, or on `fallback()` (the console) when the guest has none. */
  async run(command: string, options: RunOptions, fallback: () => SerialConsole): Promise<RunResult> {
    if (this.shell) return this.shell.run(command, options);
    const agent = this.guestAgent;
    if (agent && (await (this.guestAgentAnswers ??= agent.answers()))) return agent.run(command, options);
    return fallback().run(command, options);
  }

  close(): void {
    void this.shell?.close();
    this.guestAgent?.close();
    this.shell = null;
    this.guestAgent = null;
    this.guestAgentAnswers = null;
  }
}
