/**
 * The one error type the helper's operations throw. It crosses the protocol as data
 * (`{ok:false, error:{code, message, hint}}`), so its code is what the engine branches on and
 * its message is what a person reads: say what happened and what to do.
 */
import type { HelperError } from '../../shared/helper-protocol.js';

/**
 * Codes the engine may branch on. `bad-json`, `too-long` and `bad-request` concern the request
 * itself; the rest concern what the helper found on the system.
 */
export type HelperErrorCode =
  | 'bad-json'
  | 'too-long'
  | 'bad-request'
  | 'not-owned'
  | 'exists'
  | 'not-found'
  | 'command-failed'
  | 'missing-package'
  | 'bad-filter'
  /** A file or folder exists but the QEMU user may not read/write it. */
  | 'permission-denied'
  /** The running kernel lacks a feature (e.g. the netem qdisc). */
  | 'unsupported'
  /** A bug in the helper; the request was not carried out. */
  | 'internal';

export class HelperFailure extends Error {
  constructor(
    readonly code: HelperErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'HelperFailure';
  }

  toWire(): HelperError {
    return this.hint === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Any thrown value as a wire error: our own failures keep their code, anything else is a bug. */
export function toWireError(err: unknown): HelperError {
  if (err instanceof HelperFailure) return err.toWire();
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message: `the helper hit an unexpected error: ${message}`,
    hint: 'this is a Wirebench bug; the request was not carried out. Please report it with the helper log',
  };
}

/** Keeps error text readable and bounded: a tool's stderr can be long, a request field 64 KiB. */
export function clip(text: string, max = 600): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max)}…`;
}
