/**
 * Keeps this window's replica of the document in step with the engine's, which owns it, and
 * feeds engine events into the stores:
 *
 * - Local edits (the lab store's `unsent` queue) go out, debounced, as one `lab.change` batch
 *   made against the revision the replica has; batches go one at a time.
 * - `lab.changed` from another client (or the engine itself: a cable pulled by the CLI) is
 *   applied to the replica without entering undo history; our own batch's echo (same `origin`)
 *   only moves the revision on.
 * - A batch the engine refuses as stale is sent again on top of the batches that arrived
 *   meanwhile (they are applied under our edits already); when that cannot work (a gap in the
 *   revisions, a batch that no longer fits) the replica reloads the engine's document.
 * - `lab.opened` replaces the document (another lab) or takes it over (the same lab).
 * - `vm.state` and `counters.tick` update runtime data.
 */
import type { LabApi, LabEvent } from '../../shared/api.js';
import type { LabDocument } from '../../shared/lab.js';
import { changesFromWire, changesToWire, type LabChange } from '../../shared/lab-changes.js';
import type { CounterHub } from './counter-hub.js';
import type { LabStore } from './lab-store.js';
import type { RuntimeState } from './runtime-store.js';
import type { StoreApi } from 'zustand/vanilla';

export interface EngineSync {
  /** Sends any edit still waiting for its debounce; resolves when the engine has it. */
  flush(): Promise<void>;
  stop(): void;
}

export interface EngineSyncOptions {
  debounceMs?: number;
  /** This window's tag on its batches (default: random), so it knows its own echoes. */
  origin?: string;
}

/** How often a batch refused as stale is rebased and sent again before the replica reloads. */
const MAX_REBASES = 5;

export function startEngineSync(
  api: LabApi,
  stores: { lab: LabStore; runtime: StoreApi<RuntimeState>; counters: CounterHub },
  options: EngineSyncOptions = {},
): EngineSync {
  const debounceMs = options.debounceMs ?? 250;
  const origin = options.origin ?? `window-${Math.random().toString(36).slice(2, 10)}`;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  const lab = () => stores.lab.getState();
  const runtime = () => stores.runtime.getState();

  /** Replaces the replica with the engine's document; unsent edits are dropped (the person is told). */
  const reload = async (why: string): Promise<void> => {
    const current = await api.lab.current().catch(() => null);
    if (!current) return;
    lab().adoptRemote({ path: current.path, document: current.document, revision: current.revision });
    runtime().setProblems(current.document, current.problems);
    runtime().notify('info', `${why}; showing the lab as it is now`);
  };

  const sendBatch = async (changes: LabChange[]): Promise<void> => {
    for (let attempt = 0; attempt <= MAX_REBASES; attempt += 1) {
      const base = lab().revision ?? 0;
      try {
        const result = await api.lab.change({ baseRevision: base, changes: changesToWire(changes), origin });
        if ((lab().revision ?? 0) < result.revision) lab().setRevision(result.revision);
        const document = lab().document;
        if (document) runtime().setProblems(document, result.problems);
        stores.runtime.setState({ restartNeeded: result.restartNeeded });
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        // Stale, and the batches since have reached us: they sit under our edits already, send again on top.
        if (code === 'stale-revision' && (lab().revision ?? 0) !== base) continue;
        if (code === 'stale-revision' || code === 'change-refused') {
          await reload('the lab was changed elsewhere and your last edit no longer fits');
          return;
        }
        runtime().notify('error', `could not send the edit to the engine: ${(err as Error).message}`);
        return;
      }
    }
    await reload('the lab keeps changing elsewhere');
  };

  const send = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    // Batches go out one after another, each against the revision the one before produced.
    inFlight = inFlight.then(async () => {
      const changes = lab().takeUnsent();
      if (changes.length) await sendBatch(changes);
    });
    return inFlight;
  };

  const unsubscribeLab = stores.lab.subscribe((state, previous) => {
    if (state.localRevision === previous.localRevision) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void send(), debounceMs);
  });

  const onChanged = (event: Extract<LabEvent, { type: 'lab.changed' }>) => {
    const known = lab().revision ?? 0;
    if (event.revision <= known) return;
    // Our own batch: the replica has it already.
    if (event.origin === origin) {
      lab().setRevision(event.revision);
      return;
    }
    if (event.revision !== known + 1) {
      void reload('some edits made elsewhere did not reach this window');
      return;
    }
    if (!lab().applyRemote(changesFromWire(event.changes), event.revision)) {
      void reload('an edit made elsewhere does not fit this window\'s unsent edits');
      return;
    }
    const document = lab().document;
    if (document) runtime().setProblems(document, event.problems);
  };

  const onEvent = (event: LabEvent) => {
    switch (event.type) {
      case 'counters.tick':
        stores.counters.ingest(event.at, event.nics);
        break;
      case 'vm.state':
        runtime().setVmState(event.vm, event.state, event.reason);
        if (event.state === 'crashed') runtime().notify('error', `VM "${event.vm}" crashed${event.reason ? `: ${event.reason.split('\n')[0]}` : ''}`);
        break;
      case 'lab.changed':
        onChanged(event);
        break;
      case 'lab.opened':
        opened(event.path, event.document, event.revision);
        break;
      case 'error':
        runtime().notify('error', event.hint ? `${event.message} — ${event.hint}` : event.message);
        // Shown on the VM too, where it happened, until the VM starts again.
        if (event.vm) runtime().addVmAlert(event.vm, event.message);
        break;
      default:
        break;
    }
  };

  const opened = (path: string | null, document: LabDocument, revision: number) => {
    const state = lab();
    // A different lab (opened elsewhere) replaces ours and its history; the same lab opened
    // again (a reload) is taken over without touching undo history.
    const sameLab = state.document !== null && state.document.id === document.id && (document.id !== undefined || state.path === path);
    if (!sameLab) lab().load({ path, document, revision });
    else lab().adoptRemote({ path, document, revision });
  };

  const unsubscribeEvents = api.onEvent(onEvent);
  return {
    flush: send,
    stop: () => {
      if (timer) clearTimeout(timer);
      unsubscribeLab();
      unsubscribeEvents();
    },
  };
}
