import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '../../../shared/api.js';
import { ConsoleHub, GROUP_BYTES, GROUP_MS } from './console-hub.js';

function client() {
  const got: string[] = [];
  return { got, send: (e: LabEvent) => e.type === 'console.data' && got.push(e.data) };
}

describe('console hub', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('groups the small reads of a flood into one event per few milliseconds, for watchers only', () => {
    const hub = new ConsoleHub();
    const a = client();
    const other = client();
    hub.subscribe('a', a);
    hub.subscribe('b', other);
    for (let i = 0; i < 100; i++) hub.publish('a', `line ${i}\n`);
    expect(a.got).toEqual([]);
    vi.advanceTimersByTime(GROUP_MS);
    expect(a.got).toHaveLength(1);
    expect(a.got[0]).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
    expect(other.got).toEqual([]);
  });

  it('sends at once when a group is full, and nothing to a client that left', () => {
    const hub = new ConsoleHub();
    const a = client();
    const gone = client();
    hub.subscribe('a', a);
    hub.subscribe('a', gone);
    hub.drop(gone);
    hub.publish('a', 'x'.repeat(GROUP_BYTES));
    expect(a.got.map((d) => d.length)).toEqual([GROUP_BYTES]);
    expect(gone.got).toEqual([]);
    hub.publish('z', 'nobody watches');
    vi.advanceTimersByTime(GROUP_MS);
    expect(a.got).toHaveLength(1);
  });
});
