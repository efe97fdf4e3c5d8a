/**
 * What the lab verbs share: their exit codes, and the checks that turn "unknown name" and "not
 * running" into one clear line before anything is asked of the engine.
 *
 * Exit codes: 0 done; 1 a failure at run time (lab or VM not running, the engine refused);
 * 2 a usage error or an unknown name (the message lists the names that exist).
 */
import { WirebenchError, type LabStatus, type NicSelector } from '../../../shared/api.js';
import type { LabDocument } from '../../../shared/lab.js';
import { resolveNic, selectorFromName } from '../../engine/lab/nic-lookup.js';
import type { LabConnection } from '../lab-connection.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure with its exit code and, maybe, what to do about it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Engine error codes that mean the command line named something that does not exist. */
const NAME_ERRORS = new Set(['not-found', 'bad-request']);

/** The exit code for any error a verb throws. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof WirebenchError && NAME_ERRORS.has(err.code)) return EXIT_USAGE;
  return EXIT_FAILURE;
}

export function requireVmName(lab: LabDocument, vm: string): void {
  if (lab.vms.some((v) => v.name === vm)) return;
  throw new CliError(`no VM named "${vm}" in lab "${lab.name}"; VMs: ${lab.vms.map((v) => v.name).join(', ') || 'none'}`, EXIT_USAGE);
}

export function requireBridgeName(lab: LabDocument, bridge: string): void {
  if (lab.bridges.some((b) => b.name === bridge)) return;
  throw new CliError(`no bridge named "${bridge}" in lab "${lab.name}"; bridges: ${lab.bridges.map((b) => b.name).join(', ') || 'none'}`, EXIT_USAGE);
}

/**
 * The selector for `NIC` of `vm` as typed (a bridge name, or eth<N>/enp0s<N>/ens<N>), checked
 * against the lab so an unknown one exits 2 with the VM's NICs listed.
 */
export function nicSelectorFor(lab: LabDocument, vm: string, nic: string): { selector: NicSelector; vm: string; bridge: string } {
  requireVmName(lab, vm);
  const selector = selectorFromName(lab, vm, nic);
  try {
    const found = resolveNic(lab, selector, 'NIC');
    return { selector, vm: found.vm, bridge: found.bridge };
  } catch (err) {
    const message = (err as Error).message.replace(/^NIC: /, '');
    throw new CliError(`no NIC "${nic}" on VM "${vm}": ${message}`, EXIT_USAGE);
  }
}

/**
 * The lab's status, failing with exit 1 when the lab (or `vm`) does not run, saying how to
 * start it.
 */
export async function requireRunning(lab: LabConnection, file: string, vm?: string): Promise<LabStatus> {
  const status = await lab.invoke('lab.status', {});
  const start = `start it with \`wirebench up ${file}\``;
  if (!status.running) throw new CliError(`lab "${lab.document.name}" is not running (namespace ${status.namespace} is down): ${start}`, EXIT_FAILURE);
  if (vm !== undefined) {
    const state = status.vms.find((v) => v.name === vm);
    if (state && state.state !== 'running') {
      const why = state.state === 'crashed' && state.reason ? ` (${state.reason.split('\n')[0]})` : '';
      throw new CliError(`VM ${vm} is ${state.state}${why}, not running: ${start}`, EXIT_FAILURE);
    }
  }
  return status;
}

/** Runs `work` with a connection, closing it afterwards whatever happens. */
export async function withLab<T>(connect: () => Promise<LabConnection>, work: (lab: LabConnection) => Promise<T>): Promise<T> {
  const lab = await connect();
  try {
    return await work(lab);
  } finally {
    await lab.close();
  }
}
