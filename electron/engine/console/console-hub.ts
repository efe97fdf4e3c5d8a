/**
 * Who watches which console. A console's bytes go only to the clients that opened it (a
 * window, a browser tab's socket, a CLI), never to everyone: a flood in one guest must not
 * cost every other window a parse per chunk.
 *
 * Bytes are grouped for a few milliseconds before they go out: the serial socket delivers a
 * flood ~12 bytes per read, and one event per read (85,000 per MB) kept Chromium busy enough to
 * slow the emulated guest itself (bench/console). A keystroke's echo waits at most GROUP_MS.
 */
import type { EngineClient } from '../engine-client.js';

/** How long bytes wait for more to join them, and how many may wait. */
export const GROUP_MS = 8;
export const GROUP_BYTES = 64 * 1024;

export class ConsoleHub {
  private readonly watchers = new Map<string, Set<EngineClient>>();
  private readonly pending = new Map<string, { data: string; timer: ReturnType<typeof setTimeout> }>();

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
    if (!this.watchers.has(vm)) return;
    let waiting = this.pending.get(vm);
    if (waiting) waiting.data += data;
    else this.pending.set(vm, (waiting = { data, timer: setTimeout(() => this.flush(vm), GROUP_MS) }));
    if (waiting.data.length >= GROUP_BYTES) this.flush(vm);
  }

  private flush(vm: string): void {
    const waiting = this.pending.get(vm);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.pending.delete(vm);
    for (const client of this.watchers.get(vm) ?? []) client.send({ type: 'console.data', vm, data: waiting.data });
  }
}
