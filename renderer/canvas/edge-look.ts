/** How busy a cable looks: grey when idle, then green → yellow → red with utilisation. */
import { utilisation } from '../../shared/format.js';

export const IDLE_COLOUR = '#8a94a6';

export function edgeColour(rxBps: number, txBps: number, capacityBps: number | null): string {
  const u = utilisation(Math.max(rxBps, txBps), capacityBps);
  if (u === 0) return IDLE_COLOUR;
  // sqrt lifts small but real traffic (a ping) off pure green; 10° steps mean small rate
  // changes leave the DOM untouched.
  const hue = Math.round((140 - 140 * Math.min(1, Math.sqrt(u) * 1.25)) / 10) * 10;
  return `hsl(${hue} 70% 40%)`;
}
