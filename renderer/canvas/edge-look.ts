/** How busy a cable looks: thicker and warmer with utilisation, grey when idle, red on errors. */
import { utilisation } from '../../shared/format.js';

export interface EdgeLook {
  width: number;
  colour: string;
}

export const IDLE_COLOUR = '#8a94a6';

export function edgeLook(rxBps: number, txBps: number, capacityBps: number | null): EdgeLook {
  const u = utilisation(Math.max(rxBps, txBps), capacityBps);
  if (u === 0) return { width: 2, colour: IDLE_COLOUR };
  // sqrt keeps small but real traffic (a ping) visibly thicker than an idle cable.
  // Quantised (half pixels, 10° of hue) so small rate changes leave the DOM untouched.
  const width = Math.round((2.5 + 6 * Math.sqrt(u)) * 2) / 2;
  const hue = Math.round((140 - 140 * Math.min(1, u * 1.25)) / 10) * 10;
  return { width, colour: `hsl(${hue} 70% 40%)` };
}
