import { expect, it } from 'vitest';
import { edgeColour, IDLE_COLOUR } from './edge-look.js';

it('is grey when idle, green for light traffic, red when the link is full', () => {
  expect(edgeColour(0, 0, null)).toBe(IDLE_COLOUR);
  expect(edgeColour(10_000, 0, null)).toBe('hsl(140 70% 40%)');
  expect(edgeColour(1_000_000, 1_000_000, 1_000_000)).toBe('hsl(0 70% 40%)');
});

it('moves in 10° steps so small changes keep the same colour', () => {
  expect(edgeColour(400_000, 0, 1_000_000)).toBe(edgeColour(401_000, 0, 1_000_000));
});
