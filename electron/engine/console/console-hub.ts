/**
 * Who watches which console. A console's bytes go only to the clients that opened it (a
 * window, a browser tab's socket, a CLI), never to everyone: a flood in one guest must not
 * cost every other window a parse per chunk.
 */
import type { EngineClient } from '../engine-client.js';

export class ConsoleHub {
  private readonly watchers = new Map<string, Set<EngineClient>>();

  subscribe(vm: string, client: EngineClient): void {
    let set = this.watchers.get(vm);
    if (!set) this.watchers.set(vm, (set = new Set()));
    set.add(client);
  }

  unsubscribe(vm: string, client: EngineClient): void {
    const set = this.watchers.get(vm);
    set?.delete(client);
    if (set?.size === 0) this.watchers.delete(vm);
  }

  /** The client went away: every console it watched. */
  drop(client: EngineClient): void {
    for (const vm of [...this.watchers.keys()]) this.unsubscribe(vm, client);
  }

  /** A renamed or removed VM takes its watchers along (they reopen by the new name). */
  forget(vm: string): void {
    this.watchers.delete(vm);
  }

  watching(vm: string): number {
    return this.watchers.get(vm)?.size ?? 0;
  }

  publish(vm: string, data: string): void {
    const set = this.watchers.get(vm);
    if (!set) return;
    for (const client of set) client.send({ type: 'console.data', vm, data });
  }
}
