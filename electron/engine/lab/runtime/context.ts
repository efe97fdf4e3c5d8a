/**
 * What every part of the running lab shares (lab/lab-runtime.ts builds it once): the engine's
 * document (read, never copied: the engine owns it), the lab's namespace and runtime folder, the
 * privileged helper and the event bus. The parts — network, VMs, NIC operations, captures —
 * each take this and nothing of each other but what they name.
 */
import { WirebenchError } from '../../../../shared/api.js';
import type { HelperCall, HelperOp, HelperResults } from '../../../../shared/helper-protocol.js';
import type { LabDocument } from '../../../../shared/lab.js';
import type { EventBus } from '../../event-bus.js';

/** What the runtime needs from the privileged helper (the real HelperClient, or a test double). */
export interface HelperPort {
  call<O extends HelperOp>(request: Extract<HelperCall, { op: O }>, options?: { timeoutMs?: number }): Promise<HelperResults[O]>;
  on(event: 'capture.ended', listener: (e: { captureId: string; packetsCaptured: number | null; kernelDrops: number | null }) => void): () => void;
  close(): Promise<void> | void;
}

export interface RuntimeContext {
  readonly events: EventBus;
  /** The engine's document as it is now. */
  document(): LabDocument;
  /** `wb-<id>`, from the document. */
  readonly namespace: string;
  /** The helper, started on first use. */
  helper(): Promise<HelperPort>;
  /** The lab's runtime folder (QEMU's sockets, logs, pid files, seed images). */
  labDir(): Promise<string>;
}

/** `not-found` naming what exists, e.g. `vm.start: no VM named "x" in lab "l" (VMs: a, b)`. */
export function unknownName(lab: LabDocument, action: string, kind: string, name: string, known: string[]): WirebenchError {
  return new WirebenchError('not-found', `${action}: no ${kind} named "${name}" in lab "${lab.name}" (${kind}s: ${known.join(', ') || 'none'})`, `check the ${kind} name`);
}
