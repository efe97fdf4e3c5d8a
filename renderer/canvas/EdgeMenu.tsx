import { useEffect } from 'react';
import { labStore } from '../store/lab-store.js';
import { useUi } from '../store/ui-store.js';
import { nicEdgeId } from '../store/edit-rules.js';
import { useActions } from '../app/actions-context.js';
import { prewarmDissector } from '../packets/packet-client.js';

/** Right-click menu of a cable. */
export function EdgeMenu() {
  const menu = useUi((s) => s.edgeMenu);
  const close = () => useUi.getState().setEdgeMenu(null);
  const actions = useActions();
  useEffect(() => {
    if (!menu) return;
    prewarmDissector(); // "Capture…" is one click away
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menu]);
  if (!menu) return null;
  const nic = { vm: menu.vm, bridge: menu.bridge };
  const link = labStore.getState().document?.nics.find((n) => n.vm === nic.vm && n.bridge === nic.bridge)?.link ?? 'up';
  const item = (label: string, run: () => void, testId: string) => (
    <button
      role="menuitem"
      data-testid={testId}
      onClick={() => {
        close();
        run();
      }}
    >
      {label}
    </button>
  );
  return (
    <>
      <div className="wb-menu-backdrop" onClick={close} onContextMenu={(e) => (e.preventDefault(), close())} />
      <div className="wb-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid="edge-menu">
        {item(link === 'up' ? 'Disconnect (pull cable)' : 'Reconnect (plug cable)', () => void actions.toggleLink(nic), 'menu-link')}
        {item('Reset counters', () => void actions.resetCounters(nic), 'menu-reset')}
        {item('Capture…', () => void actions.capture(nic), 'menu-capture')}
        {item('Impairments…', () => useUi.getState().setSelected([nicEdgeId(nic.vm, nic.bridge)]), 'menu-impairments')}
        {item('Delete cable', () => labStore.getState().apply({ kind: 'nic.remove', ...nic }), 'menu-delete')}
      </div>
    </>
  );
}
