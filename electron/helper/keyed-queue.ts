/**
 * Runs tasks one at a time per key and concurrently across keys. The helper keys on the
 * namespace: `link.attach` must not race the `tap.create` sent just before it, while two labs
 * never wait for each other.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // Run after the previous task settles, whether it succeeded or not.
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running work (for tests and diagnostics). */
  get activeKeys(): string[] {
    return [...this.tails.keys()];
  }
}
