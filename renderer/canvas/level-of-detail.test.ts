import { afterEach, expect, it } from 'vitest';
import { labelOnScreen, setViewportSource } from './level-of-detail.js';

afterEach(() => setViewportSource(() => null));

it('treats every label as visible until the canvas reports its view', () => {
  expect(labelOnScreen(1e6, 1e6)).toBe(true);
});

it('finds labels inside the view, with a margin, in flow coordinates', () => {
  setViewportSource(() => ({ x: -1000, y: -500, zoom: 2, width: 800, height: 600 }));
  expect(labelOnScreen(700, 500)).toBe(true); // screen (400, 500)
  expect(labelOnScreen(300, 500)).toBe(false); // screen (-400, 500)
  expect(labelOnScreen(450, 300)).toBe(true); // screen (-100, 100): within the margin
});
