import type { DragEvent } from 'react';
import type { NodeKind } from '../store/edit-rules.js';

export const PALETTE_MIME = 'application/x-wirebench-node';

const ITEMS: Array<{ kind: NodeKind; label: string; hint: string }> = [
  { kind: 'vm', label: 'VM', hint: 'a tiny Linux guest; drag onto the canvas' },
  { kind: 'bridge', label: 'Bridge', hint: 'a Linux bridge (a switch); drag onto the canvas' },
];

/** Things to drag onto the canvas (HTML5 drag and drop; the canvas places them where dropped). */
export function Palette() {
  const onDragStart = (e: DragEvent, kind: NodeKind) => {
    e.dataTransfer.setData(PALETTE_MIME, kind);
    e.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <aside className="wb-palette" aria-label="palette">
      <h2>Add</h2>
      {ITEMS.map((item) => (
        <div key={item.kind} className={`wb-palette-item wb-palette-${item.kind}`} draggable onDragStart={(e) => onDragStart(e, item.kind)} title={item.hint} data-testid={`palette-${item.kind}`}>
          {item.label}
        </div>
      ))}
      <p className="wb-muted">Drag from a VM's handle to a bridge to add a NIC. Double-click a name to rename. Click a cable to pull it.</p>
    </aside>
  );
}
