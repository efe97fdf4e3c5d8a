/**
 * One VM's life: `stopped → starting → running → stopping → stopped`, or `crashed` (QEMU
 * went away while nobody asked it to, with the last serial lines as the reason).
 *
 * QEMU is started by the privileged helper inside the lab namespace as the unprivileged user
 * and daemonizes; from then on the engine talks to it only through its QMP and serial
 * sockets, which is also how a VM started by an exported script can be adopted.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { VmState, VmStatus } from '../../../shared/api.js';
import { WirebenchError } from '../../../shared/api.js';
import type { QemuSpec } from '../../../shared/qemu-spec.js';
import { isProcessRunning } from '../../../shared/process-state.js';
import { QmpClient } from './qmp-client.js';
import { SerialConsole } from './serial-console.js';

export interface VmHost {
  /** Asks the helper to start QEMU with exactly `qemuArgs(spec)`; resolves to its pid. */
  startQemu(spec: QemuSpec): Promise<number>;
  stateChanged(vm: string, state: VmState, reason: string | null): void;
  consoleData(vm: string, data: string): void;
}

/** How long a tiny guest may take to print its ready line under TCG on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;
const CONSOLE_HISTORY_BYTES = 64 * 1024;

export class VmProcess {
  private stateValue: VmState = 'stopped';
  private reasonValue: string | null = null;
  private pidValue: number | null = null;
  private qmpClient: QmpClient | null = null;
  private serialConsole: SerialConsole | null = null;
  private history = '';
  private watchdog: NodeJS.Timeout | null = null;
  private unsubscribers: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly host: VmHost,
  ) {}

  get state(): VmState {
    return this.stateValue;
  }

  status(): VmStatus {
    return { name: this.name, state: this.stateValue, pid: this.pidValue, reason: this.reasonValue };
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

  consoleHistory(): string {
    return this.history;
  }

  notRunning(action: string): WirebenchError {
    return new WirebenchError('vm-not-running', `${action}: VM "${this.name}" is ${this.stateValue}, not running`, `start the VM (or the lab) first`);
  }

  async start(spec: QemuSpec, waitForGuest: boolean): Promise<void> {
    if (this.stateValue === 'running' || this.stateValue === 'starting') return;
    this.setState('starting', null);
    // Stale sockets from a crashed run would make QEMU refuse to bind.
    for (const path of [spec.qmpSocket, spec.serialSocket, spec.pidFile]) rmSync(path, { force: true });
    rmSync(spec.serialLog, { force: true });
    try {
      this.pidValue = await this.host.startQemu(spec);
      const serial = await this.connect(spec, 30_000);
      if (waitForGuest) await serial.waitReady(READY_TIMEOUT_MS);
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
  async adopt(spec: QemuSpec, pid: number): Promise<void> {
    if (this.stateValue === 'running') return;
    this.pidValue = pid;
    try {
      // A running QEMU has its sockets already: no need to wait long for them.
      await this.connect(spec, 5_000);
      this.history = lastLines(spec.serialLog, 200);
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
    this.unsubscribers.push(
      qmp.onClose(() => this.onQemuGone(spec)),
      serial.onData((data) => this.recordConsole(data.toString('utf8'))),
    );
    this.watchPid(spec);
    return serial;
  }

  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    if (this.stateValue === 'crashed') {
      this.disconnect();
      this.setState('stopped', null);
      return;
    }
    this.setState('stopping', null);
    const qmp = this.qmpClient;
    try {
      // The tiny guest has no disk to flush, so quitting is safe and fast; disks get a powerdown first.
      if (qmp) await qmp.quit();
    } catch {
      // Already gone or not answering: the kill below settles it.
    }
    await this.waitForExit(STOP_TIMEOUT_MS);
    await this.kill();
    this.disconnect();
    this.setState('stopped', null);
  }

  /** Drop our connections but leave QEMU running (the app closes; the lab stays up). */
  detach(): void {
    this.disconnect();
  }

  private recordConsole(data: string): void {
    this.history = (this.history + data).slice(-CONSOLE_HISTORY_BYTES);
    this.host.consoleData(this.name, data);
  }

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


function lastLines(file: string, count: number): string {
  if (!existsSync(file)) return '';
  try {
    return readFileSync(file, 'utf8').replace(/\r/g, '').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}
