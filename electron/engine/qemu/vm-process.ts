/**
 * One VM's life: `stopped → starting → running → stopping → stopped`, or `crashed` (QEMU
 * went away while nobody asked it to, with the last serial lines as the reason).
 *
 * QEMU is started by the privileged helper inside the lab namespace as the unprivileged user
 * and daemonizes; from then on the engine talks to it only through its QMP, serial and
 * automation sockets (automation-channel.ts), which is also how a VM started by an exported
 * script can be adopted. What it prints goes through console/console-recorder.ts.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { AccelInUse, VmState, VmStatus } from '../../../shared/api.js';
import { WirebenchError } from '../../../shared/api.js';
import type { QemuSpec } from '../../../shared/qemu-spec.js';
import { isProcessRunning } from '../../common/process-state.js';
import { QmpClient } from './qmp-client.js';
import { SerialConsole, type RunOptions, type RunResult } from './serial-console.js';
import { AutomationChannel } from './automation-channel.js';
import { readLogTail } from '../console/serial-log.js';
import { ConsoleRecorder } from '../console/console-recorder.js';

export interface VmHost {
  /** Asks the helper to start QEMU with exactly `qemuArgs(spec)`; resolves to its pid. */
  startQemu(spec: QemuSpec): Promise<number>;
  stateChanged(vm: string, state: VmState, reason: string | null): void;
  consoleData(vm: string, data: string): void;
  /** A startup command of the guest's seed failed (its marker line on the console). */
  startupFailed?(vm: string, index: number, exitCode: number): void;
}

/** How long a tiny guest may take to print its ready line under TCG on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
/** How long a guest may take to power off after the ACPI power button (a disk guest flushes first). */
export const DEFAULT_POWERDOWN_TIMEOUT_MS = 30_000;

/** What the runtime knows about a VM before it boots. */
export interface VmBootFacts {
  /**
   * The built-in tiny guest prints a ready line and keeps a shell on its automation port
   * (ttyS1). Disk images do neither: they are running once QEMU is, and `vm.run` uses their
   * console.
   */
  tinyGuest: boolean;
  /** Shown when the guest runs under TCG (null: TCG was wanted, nothing to say). */
  accelHintIfTcg: string | null;
}

export class VmProcess {
  private stateValue: VmState = 'stopped';
  private reasonValue: string | null = null;
  private pidValue: number | null = null;
  private qmpClient: QmpClient | null = null;
  private serialConsole: SerialConsole | null = null;
  private readonly automation: AutomationChannel;
  private logPath: string | null = null;
  private accelValue: AccelInUse | null = null;
  private accelHintIfTcg: string | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private unsubscribers: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly host: VmHost,
  ) {
    this.automation = new AutomationChannel(name);
  }

  get state(): VmState {
    return this.stateValue;
  }

  status(): VmStatus {
    const accel = this.stateValue === 'running' ? this.accelValue : null;
    return { name: this.name, state: this.stateValue, pid: this.pidValue, reason: this.reasonValue, accel, accelHint: accel === 'tcg' ? this.accelHintIfTcg : null };
  }

  /** The QMP session of a running VM; a clear error otherwise. */
  qmp(action: string): QmpClient {
    if (this.stateValue !== 'running' || !this.qmpClient) throw this.notRunning(action);
    return this.qmpClient;
  }

  console(action: string): SerialConsole {
    if (this.stateValue !== 'running' || !this.serialConsole) throw this.notRunning(action);
    return this.serialConsole;
  }

  /** The console a person watches: also while the guest boots, so its boot can be followed live. */
  liveConsole(action: string): SerialConsole {
    if ((this.stateValue !== 'running' && this.stateValue !== 'starting') || !this.serialConsole) throw this.notRunning(action);
    return this.serialConsole;
  }

  /**
   * Runs a command in the guest over the automation channel, so a person typing in the
   * console neither disturbs it nor sees it. Guests without one fall back to the console.
   */
  async run(command: string, options: RunOptions): Promise<RunResult> {
    if (this.stateValue !== 'running') throw this.notRunning('vm.run');
    return this.automation.run(command, options, () => this.console('vm.run'));
  }

  /** The console's history from the serial log on disk ('' before the first boot). */
  consoleHistory(): Promise<string> {
    return this.logPath ? readLogTail(this.logPath) : Promise.resolve('');
  }

  notRunning(action: string): WirebenchError {
    return new WirebenchError('vm-not-running', `${action}: VM "${this.name}" is ${this.stateValue}, not running`, `start the VM (or the lab) first`);
  }

  async start(spec: QemuSpec, facts: VmBootFacts): Promise<void> {
    if (this.stateValue === 'running' || this.stateValue === 'starting') return;
    this.accelHintIfTcg = facts.accelHintIfTcg;
    this.setState('starting', null);
    // Stale sockets from a crashed run would make QEMU refuse to bind.
    for (const path of [spec.qmpSocket, spec.serialSocket, spec.agentSocket, spec.pidFile]) rmSync(path, { force: true });
    // Each boot starts a new history: the console shows this boot, not the last one's.
    rmSync(spec.serialLog, { force: true });
    this.startupDoneAt = null;
    try {
      this.pidValue = await this.host.startQemu(spec);
      const serial = await this.connect(spec, 30_000);
      if (facts.tinyGuest) {
        await serial.waitReady(READY_TIMEOUT_MS);
        await this.automation.connectShell(spec, 10_000);
      } else {
        await this.automation.connectGuestAgent(spec);
      }
      this.setState('running', null);
    } catch (err) {
      const tail = lastLines(spec.serialLog, 15);
      await this.kill();
      this.disconnect();
      this.setState('crashed', `${(err as Error).message}${tail ? `\n--- last serial output ---\n${tail}` : ''}`);
      throw err;
    }
  }

  /**
   * Takes over a QEMU that is already running (started by an earlier engine): reconnects QMP
   * and the serial console. If they do not answer, the VM is reported crashed, not hidden.
   */
  async adopt(spec: QemuSpec, pid: number, facts: VmBootFacts): Promise<void> {
    if (this.stateValue === 'running') return;
    this.pidValue = pid;
    this.accelHintIfTcg = facts.accelHintIfTcg;
    try {
      // A running QEMU has its sockets already: no need to wait long for them.
      await this.connect(spec, 5_000);
      if (facts.tinyGuest) await this.automation.adoptShell(spec);
      else await this.automation.connectGuestAgent(spec);
      this.setState('running', null);
    } catch (err) {
      this.disconnect();
      this.setState('crashed', `found running (pid ${pid}) but could not reconnect: ${(err as Error).message}`);
    }
  }

  /**
   * Opens the VM's QMP and serial sockets and watches for QEMU going away (QMP closing, or the
   * pid vanishing). Shared by a fresh start and by adopting a running VM.
   */
  private async connect(spec: QemuSpec, connectTimeoutMs: number): Promise<SerialConsole> {
    const qmp = await QmpClient.connect({ socketPath: spec.qmpSocket, vm: this.name, connectTimeoutMs });
    this.qmpClient = qmp;
    const serial = await SerialConsole.connect({ socketPath: spec.serialSocket, vm: this.name, logPath: spec.serialLog, connectTimeoutMs });
    this.serialConsole = serial;
    this.logPath = spec.serialLog;
    const recorder = new ConsoleRecorder(this.name, spec.serialLog, {
      consoleData: (data) => this.host.consoleData(this.name, data),
      startupFailed: (index, exitCode) => this.host.startupFailed?.(this.name, index, exitCode),
      startupDone: () => (this.startupDoneAt = Date.now()),
    });
    this.unsubscribers.push(
      qmp.onClose(() => this.onQemuGone(spec)),
      serial.onData((data) => recorder.record(data)),
    );
    this.watchPid(spec);
    this.accelValue = await queryAccel(qmp);
    return serial;
  }

  /**
   * Stops the VM as a person would stop a machine: the ACPI power button first, so a guest
   * with a disk flushes it and powers off by itself (QEMU then exits), and `quit` only when
   * the guest has not done so within `powerdownTimeoutMs` (a guest that ignores the button,
   * or has no OS). `force` quits at once, also while an earlier stop is still waiting.
   */
  async stop(options: { force?: boolean; powerdownTimeoutMs?: number } = {}): Promise<void> {
    if (this.stateValue === 'stopped') return;
    if (this.stateValue === 'crashed') {
      this.disconnect();
      this.setState('stopped', null);
      return;
    }
    if (this.stopping) {
      if (options.force) this.forceStop?.();
      return this.stopping;
    }
    this.stopping = this.stopNow(options.force ?? false, options.powerdownTimeoutMs ?? DEFAULT_POWERDOWN_TIMEOUT_MS).finally(() => {
      this.stopping = null;
      this.forceStop = null;
    });
    return this.stopping;
  }

  private stopping: Promise<void> | null = null;
  private forceStop: (() => void) | null = null;

  private async stopNow(force: boolean, powerdownTimeoutMs: number): Promise<void> {
    const qmp = this.qmpClient;
    let outcome = 'quit';
    if (!force && qmp) {
      this.setState('stopping', `power button pressed; quitting in ${Math.round(powerdownTimeoutMs / 1000)} s unless the guest powers off`);
      const forced = new Promise<'forced'>((resolve) => (this.forceStop = () => resolve('forced')));
      const shutdown = qmp.waitForEvent('SHUTDOWN', () => true, powerdownTimeoutMs).then(
        (event) => event.data,
        () => null,
      );
      try {
        await qmp.systemPowerdown();
        const first = await Promise.race([shutdown, forced]);
        if (first === 'forced') outcome = 'force-stopped while powering off';
        else if (first?.guest) {
          outcome = `the guest powered off (${first.reason})`;
          await Promise.race([this.waitForExit(STOP_TIMEOUT_MS), forced]);
        } else outcome = `the guest did not power off within ${Math.round(powerdownTimeoutMs / 1000)} s; quit`;
      } catch {
        // QMP gone already (QEMU exited): nothing left to ask; quit/kill below settle it.
      }
    } else this.setState('stopping', force ? 'force stop' : null);
    try {
      if (isProcessRunning(this.pidValue ?? -1)) await qmp?.quit();
    } catch {
      // Already gone or not answering: the kill below settles it.
    }
    await this.waitForExit(STOP_TIMEOUT_MS);
    await this.kill();
    this.disconnect();
    this.setState('stopped', outcome);
  }

  /** Drop our connections but leave QEMU running (the app closes; the lab stays up). */
  detach(): void {
    this.disconnect();
  }

  /** When this boot's startup script finished (its DONE marker), for benchmarks and tests. */
  startupDoneAt: number | null = null;

  private watchPid(spec: QemuSpec): void {
    // QMP's close is the fast signal; the pid check catches a QEMU that is wedged but gone.
    this.watchdog = setInterval(() => {
      if (this.pidValue !== null && !isProcessRunning(this.pidValue)) this.onQemuGone(spec);
    }, 1000);
    this.watchdog.unref();
  }

  private onQemuGone(spec: QemuSpec): void {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped' || this.stateValue === 'crashed') return;
    const tail = lastLines(spec.serialLog, 15);
    this.disconnect();
    this.pidValue = null;
    this.setState('crashed', `QEMU exited unexpectedly${tail ? `; last serial output:\n${tail}` : ''}`);
  }

  private async waitForExit(timeoutMs: number): Promise<void> {
    const pid = this.pidValue;
    if (pid === null) return;
    const deadline = Date.now() + timeoutMs;
    while (isProcessRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  private async kill(): Promise<void> {
    const pid = this.pidValue;
    if (pid === null || !isProcessRunning(pid)) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Not ours to kill (different user) or already gone: the namespace teardown will finish it.
    }
    const deadline = Date.now() + 3000;
    while (isProcessRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  private disconnect(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    void this.qmpClient?.close();
    void this.serialConsole?.close();
    this.automation.close();
    this.qmpClient = null;
    this.serialConsole = null;
  }

  private setState(state: VmState, reason: string | null): void {
    this.stateValue = state;
    this.reasonValue = reason;
    if (state === 'stopped') this.pidValue = null;
    this.host.stateChanged(this.name, state, reason);
  }
}

/** The accelerator QEMU really uses: with `-accel kvm -accel tcg` only QEMU knows. */
async function queryAccel(qmp: QmpClient): Promise<AccelInUse> {
  const reply = (await qmp.execute('query-kvm')) as { enabled?: unknown };
  return reply?.enabled === true ? 'kvm' : 'tcg';
}

function lastLines(file: string, count: number): string {
  if (!existsSync(file)) return '';
  try {
    return readFileSync(file, 'utf8').replace(/\r/g, '').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}
