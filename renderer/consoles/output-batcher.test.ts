import { describe, expect, it } from 'vitest';
import { OutputBatcher, safeCut, type BatchSink, type FrameScheduler } from './output-batcher.js';

/** Frames run only when the test says so. */
function manualFrames() {
  const waiting: Array<() => void> = [];
  const scheduler: FrameScheduler = {
    request: (callback) => {
      waiting.push(callback);
      return waiting.length;
    },
    cancel: () => {
      waiting.length = 0;
    },
  };
  return {
    scheduler,
    get scheduled() {
      return waiting.length;
    },
    frame() {
      const run = waiting.splice(0);
      for (const callback of run) callback();
      return run.length;
    },
  };
}

/** A terminal that parses when told to (its write callbacks are the back-pressure). */
function fakeSink(autoDone = true) {
  const writes: Array<{ data: string; replay: boolean }> = [];
  const callbacks: Array<() => void> = [];
  const sink: BatchSink = {
    write(data, done, replay) {
      writes.push({ data, replay });
      if (autoDone) done();
      else callbacks.push(done);
    },
  };
  return {
    sink,
    writes,
    text: () => writes.map((w) => w.data).join(''),
    parseAll() {
      for (const done of callbacks.splice(0)) done();
    },
  };
}

describe('OutputBatcher', () => {
  it('writes everything that arrived in a frame as one write, once per frame', () => {
    const frames = manualFrames();
    const out = fakeSink();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler });
    batcher.attach(out.sink);
    for (let i = 0; i < 100; i++) batcher.push(`line ${i}\r\n`);
    expect(out.writes).toHaveLength(0);
    expect(frames.scheduled).toBe(1);
    frames.frame();
    expect(out.writes).toHaveLength(1);
    expect(out.text()).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\r\n`).join(''));
    expect(frames.scheduled).toBe(0);
    expect(batcher.pending).toBe(0);
  });

  it('paces a flood the terminal keeps up with to one write per interval, but never typing or a backlog', () => {
    const frames = manualFrames();
    const out = fakeSink();
    let clock = 0;
    const batcher = new OutputBatcher({ scheduler: frames.scheduler, now: () => clock, paceChars: 1000, paceWindowMs: 250, paceIntervalMs: 100, maxPerFrame: 10_000 });
    batcher.attach(out.sink);
    const frame = () => {
      clock += 16;
      frames.frame();
    };
    // Typing: every echo on the next frame.
    for (let i = 0; i < 5; i++) {
      batcher.push('x');
      frame();
      expect(out.writes).toHaveLength(i + 1);
    }
    // A flood of 600 characters a frame: once past 1000 in the window, one write per 100 ms.
    out.writes.length = 0;
    for (let i = 0; i < 30; i++) {
      batcher.push('y'.repeat(600));
      frame();
    }
    expect(out.writes.length).toBeGreaterThan(3);
    expect(out.writes.length).toBeLessThan(12);
    // What was held back comes in a later frame, nothing lost.
    while (frames.scheduled) frame();
    expect(out.text()).toBe('y'.repeat(600 * 30));
    // A backlog over a frame's budget is written every frame.
    out.writes.length = 0;
    batcher.push('z'.repeat(35_000));
    frame();
    frame();
    frame();
    expect(out.writes.map((w) => w.data.length).reduce((a, b) => a + b, 0)).toBe(30_000);
  });

  it('keeps output that arrives before the terminal exists and writes it once attached', () => {
    const frames = manualFrames();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler });
    batcher.push('history\r\n', true);
    batcher.push('live');
    expect(frames.scheduled).toBe(0);
    const out = fakeSink();
    batcher.attach(out.sink);
    frames.frame();
    expect(out.writes).toEqual([
      { data: 'history\r\n', replay: true },
      { data: 'live', replay: false },
    ]);
  });

  it('hands a flood over in bounded pieces, a bounded amount per frame', () => {
    const frames = manualFrames();
    const out = fakeSink();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler, chunkSize: 1000, maxPerFrame: 4000, maxInFlight: 100_000, paceChars: Infinity });
    batcher.attach(out.sink);
    const flood = '0123456789abcdef\n'.repeat(1000); // 17,000 characters
    for (let i = 0; i < flood.length; i += 300) batcher.push(flood.slice(i, i + 300));
    let frameCount = 0;
    while (frames.scheduled > 0) {
      const before = out.writes.length;
      frames.frame();
      frameCount++;
      const thisFrame = out.writes.slice(before);
      expect(thisFrame.every((w) => w.data.length <= 1000)).toBe(true);
      expect(thisFrame.reduce((n, w) => n + w.data.length, 0)).toBeLessThanOrEqual(4000);
    }
    expect(frameCount).toBe(Math.ceil(17_000 / 4000));
    expect(out.text()).toBe(flood);
  });

  it('stops writing while the terminal has not parsed maxInFlight characters, and resumes on its callbacks', () => {
    const frames = manualFrames();
    const out = fakeSink(false);
    const batcher = new OutputBatcher({ scheduler: frames.scheduler, chunkSize: 100, maxPerFrame: 1000, maxInFlight: 250 });
    batcher.attach(out.sink);
    batcher.push('x'.repeat(1000));
    frames.frame();
    // 100 + 100 + 100 reaches 250: no more until parsed, and no frame is wasted meanwhile.
    expect(out.writes.map((w) => w.data.length)).toEqual([100, 100, 100]);
    expect(frames.scheduled).toBe(0);
    out.parseAll();
    expect(frames.scheduled).toBe(1);
    frames.frame();
    expect(out.writes).toHaveLength(6);
    out.parseAll();
    while (frames.scheduled) {
      frames.frame();
      out.parseAll();
    }
    expect(out.text()).toBe('x'.repeat(1000));
    expect(batcher.pending).toBe(0);
  });

  it('never lets the waiting output grow without bound: the oldest is dropped with a notice', () => {
    const frames = manualFrames();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler, maxPending: 10_000, chunkSize: 100_000, maxPerFrame: 100_000 });
    for (let i = 0; i < 100; i++) batcher.push(`${String(i).padStart(3, '0')}:${'y'.repeat(995)}\n`);
    expect(batcher.pending).toBeLessThanOrEqual(10_000);
    expect(batcher.droppedChars).toBeGreaterThanOrEqual(90_000);
    const out = fakeSink();
    batcher.attach(out.sink);
    frames.frame();
    const text = out.text();
    expect(text).toMatch(/output skipped/);
    // The newest output is intact, last line included.
    expect(text.endsWith(`099:${'y'.repeat(995)}\n`)).toBe(true);
  });

  it('cuts a single giant piece at a line start when it must drop part of it', () => {
    const frames = manualFrames();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler, maxPending: 1000, chunkSize: 10_000, maxPerFrame: 10_000 });
    const lines = Array.from({ length: 200 }, (_, i) => `line-${String(i).padStart(4, '0')}\n`).join('');
    batcher.push(lines);
    const out = fakeSink();
    batcher.attach(out.sink);
    frames.frame();
    const after = out.text().split('…]\x1b[0m\r\n')[1]!;
    expect(after.startsWith('line-')).toBe(true);
    expect(after.endsWith('line-0199\n')).toBe(true);
  });

  it('never splits a surrogate pair between two writes', () => {
    const frames = manualFrames();
    const out = fakeSink();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler, chunkSize: 3, maxPerFrame: 1000 });
    batcher.attach(out.sink);
    const text = 'ab😀cd😀😀e';
    batcher.push(text);
    frames.frame();
    expect(out.text()).toBe(text);
    for (const w of out.writes) expect(/[\ud800-\udbff]$/.test(w.data)).toBe(false);
    expect(safeCut('a😀', 2)).toBe(1);
  });

  it('keeps replayed history and live output in separate writes', () => {
    const frames = manualFrames();
    const out = fakeSink();
    const batcher = new OutputBatcher({ scheduler: frames.scheduler });
    batcher.attach(out.sink);
    batcher.push('old prompt\x1b[6n', true);
    batcher.push('new');
    frames.frame();
    expect(out.writes.map((w) => w.replay)).toEqual([true, false]);
  });

  it('whenIdle resolves once everything is parsed; clear() and dispose() forget the rest', async () => {
    const frames = manualFrames();
    const out = fakeSink(false);
    const batcher = new OutputBatcher({ scheduler: frames.scheduler });
    batcher.attach(out.sink);
    batcher.push('abc');
    let idle = false;
    void batcher.whenIdle().then(() => (idle = true));
    frames.frame();
    await Promise.resolve();
    expect(idle).toBe(false);
    out.parseAll();
    await Promise.resolve();
    expect(idle).toBe(true);

    batcher.push('def');
    batcher.clear();
    expect(batcher.pending).toBe(0);
    batcher.dispose();
    batcher.push('ghi');
    expect(frames.scheduled).toBe(0);
  });
});
