/**
 * Keeps the engine's copy of the document in step with the designer's, and feeds engine events
 * into the stores: every local edit goes out as one debounced `lab.update`; `vm.state`,
 * `counters.tick` and `nic.link` update runtime data; `lab.changed` from elsewhere replaces
 * the document without entering undo history.
 */
import type { LabApi, LabEvent } from '../../shared/api.js';
import type { LabDocument } from '../../shared/lab.js';
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
}

export function startEngineSync(
  api: LabApi,
  stores: { lab: LabStore; runtime: StoreApi<RuntimeState>; counters: CounterHub },
  options: EngineSyncOptions = {},
): EngineSync {
  const debounceMs = options.debounceMs ?? 250;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let sentRevision = stores.lab.getState().localRevision;
  let inFlight: Promise<void> = Promise.resolve();
  let sending = 0;

  const send = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const { document, localRevision } = stores.lab.getState();
    if (!document || localRevision === sentRevision) return inFlight;
    sentRevision = localRevision;
    sending += 1;
    // Updates go out one after another, so the engine never sees an older document last.
    inFlight = inFlight.then(async () => {
      try {
        const result = await api.lab.update(document);
        stores.runtime.getState().setProblems(document, result.problems);
        stores.runtime.setState({ restartNeeded: result.restartNeeded });
      } catch (err) {
        stores.runtime.getState().notify('error', `could not send the edit to the engine: ${(err as Error).message}`);
      } finally {
        sending -= 1;
      }
    });
    return inFlight;
  };

  const unsubscribeLab = stores.lab.subscribe((state, previous) => {
    if (state.localRevision === previous.localRevision) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void send(), debounceMs);
  });

  /** True while the engine has not yet seen every local edit: its echoes are then stale. */
  const localEditsPending = () => sending > 0 || timer !== null || stores.lab.getState().localRevision !== sentRevision;

  const onEvent = (event: LabEvent) => {
    const runtime = stores.runtime.getState();
    switch (event.type) {
      case 'counters.tick':
        stores.counters.ingest(event.at, event.nics);
        break;
      case 'vm.state':
        runtime.setVmState(event.vm, event.state, event.reason);
        if (event.state === 'crashed') runtime.notify('error', `VM "${event.vm}" crashed${event.reason ? `: ${event.reason.split('\n')[0]}` : ''}`);
        break;
      case 'nic.link': {
        const nic = stores.lab.getState().document?.nics.find((n) => n.vm === event.vm && n.bridge === event.bridge);
        if (nic && nic.link !== event.link) stores.lab.getState().apply({ kind: 'nic.update', vm: event.vm, bridge: event.bridge, patch: { link: event.link } }, 'never');
        break;
      }
      case 'lab.changed':
        if (!localEditsPending()) adoptIfDifferent(event.path, event.document);
        break;
      case 'error':
        runtime.notify('error', event.hint ? `${event.message} — ${event.hint}` : event.message);
        break;
      default:
        break;
    }
  };

  const adoptIfDifferent = (path: string | null, document: LabDocument) => {
    const state = stores.lab.getState();
    // A different lab (opened elsewhere) replaces ours and its history; the same lab changed
    // by the engine (a pulled cable) is taken over without touching undo history.
    const sameLab = state.document !== null && state.document.id === document.id && (document.id !== undefined || state.path === path);
    if (!sameLab) {
      stores.lab.getState().load({ path, document });
    } else {
      stores.lab.getState().adoptRemote({ path, document });
    }
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
