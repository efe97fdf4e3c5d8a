/**
 * A `LabApi` whose `onEvent` also hears a second source of events (the counters worker in
 * Electron, injected events in tests), through the same listeners and the same unsubscribe.
 */
import type { LabApi, LabEvent } from '../../shared/api.js';

export type EventListeners = Set<(event: LabEvent) => void>;

export function withMergedEvents(api: LabApi, extra: EventListeners): LabApi {
  return {
    ...api,
    onEvent: (listener) => {
      extra.add(listener);
      const off = api.onEvent(listener);
      return () => {
        extra.delete(listener);
        off();
      };
    },
  };
}
