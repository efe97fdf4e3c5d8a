/** Waits for `promise` at most `ms`; resolves to `timedOut` on expiry and never leaves a timer behind. */
export function withTimeout<T, U>(promise: Promise<T>, ms: number, timedOut: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}
