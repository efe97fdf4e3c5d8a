/** The engine's outgoing events; every transport (IPC, WebSocket, CLI) subscribes here. */
import type { LabEvent } from '../../shared/api.js';

export type EventListener = (event: LabEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LabEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // One broken subscriber (a closed socket, say) must not starve the others.
        console.error(`wirebench: event listener failed on ${event.type}: ${(err as Error).message}`);
      }
    }
  }
}
