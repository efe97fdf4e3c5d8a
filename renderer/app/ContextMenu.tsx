/**
 * The app's one right-click menu: a backdrop that closes it (click or another right-click),
 * Escape to close, and items that close the menu before they run. Cables, VMs and consoles
 * each say only what their menu holds.
 */
import { useEffect } from 'react';

export interface MenuItem {
  label: string;
  run(): void;
  testId: string;
  disabled?: boolean;
}

export function ContextMenu({ at, items, onClose, testId, label }: { at: { x: number; y: number }; items: readonly MenuItem[]; onClose(): void; testId: string; label?: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <>
      <div className="wb-menu-backdrop" onClick={onClose} onContextMenu={(e) => (e.preventDefault(), onClose())} />
      <div className="wb-menu" role="menu" style={{ left: at.x, top: at.y }} data-testid={testId} {...(label ? { 'aria-label': label } : {})}>
        {items.map((item) => (
          <button
            key={item.testId}
            role="menuitem"
            data-testid={item.testId}
            disabled={item.disabled ?? false}
            onClick={() => {
              onClose();
              item.run();
            }}
          >
            {item.label}
          </button>
        ))}
      </div>
    </>
  );
}
