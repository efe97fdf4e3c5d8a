/**
 * How much each edge should draw on a tick. Two questions, answered without React:
 *   - are labels worth drawing at this zoom (zoomed out, they are hidden by CSS)?
 *   - is this label on screen? React Flow culls edges whose line leaves the viewport, but a
 *     long cable that crosses the screen keeps its label off-screen; at zoom 1 on a big lab
 *     only about one label in eight is visible, and re-laying out the others is wasted work.
 * When the zoom level flips or the view stops moving, every edge repaints once.
 */
type Listener = () => void;

export interface ViewportBox {
  x: number;
  y: number;
  zoom: number;
  width: number;
  height: number;
}

let labelsVisible = true;
let viewport: () => ViewportBox | null = () => null;
const listeners = new Set<Listener>();

export function edgeLabelsVisible(): boolean {
  return labelsVisible;
}

export function setEdgeLabelsVisible(visible: boolean): void {
  if (visible === labelsVisible) return;
  labelsVisible = visible;
  for (const listener of listeners) listener();
}

/** The canvas tells where the view is (read at tick time, never subscribed to). */
export function setViewportSource(source: () => ViewportBox | null): void {
  viewport = source;
}

/** Called when the view stops moving: labels that came into view fill in. */
export function viewChanged(): void {
  for (const listener of listeners) listener();
}

/** Whether a label centred at flow coordinates (x, y) is within the view, with a margin of one label. */
export function labelOnScreen(x: number, y: number): boolean {
  const view = viewport();
  if (!view) return true;
  const sx = x * view.zoom + view.x;
  const sy = y * view.zoom + view.y;
  const margin = 120 * view.zoom;
  return sx > -margin && sx < view.width + margin && sy > -margin && sy < view.height + margin;
}

export function onLevelOfDetailChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
