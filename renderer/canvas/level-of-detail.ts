/**
 * Whether edge labels are worth drawing at the current zoom. Edges read this before writing
 * label text on a tick: hidden labels (zoomed out) then cost nothing. When it flips, every
 * edge repaints once from the counter hub's latest values.
 */
type Listener = () => void;

let labelsVisible = true;
const listeners = new Set<Listener>();

export function edgeLabelsVisible(): boolean {
  return labelsVisible;
}

export function setEdgeLabelsVisible(visible: boolean): void {
  if (visible === labelsVisible) return;
  labelsVisible = visible;
  for (const listener of listeners) listener();
}

export function onLevelOfDetailChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
