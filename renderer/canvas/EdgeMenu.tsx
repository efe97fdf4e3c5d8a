import { useEffect } from 'react';
import { labStore } from '../store/lab-store.js';
import { useUi } from '../store/ui-store.js';
import { nicEdgeId } from '../store/edit-rules.js';
import { useActions } from '../app/actions-context.js';
import { prewarmDissector } from '../packets/packet-client.js';
import { ContextMenu } from '../app/ContextMenu.js';

/** Right-click menu of a cable. */
export function EdgeMenu() {
  const menu = useUi((s) => s.edgeMenu);
  const actions = useActions();
  useEffect(() => {
    if (menu) prewarmDissector(); // "Capture…" is one click away
  }, [menu]);
  if (!menu) return null;
  const close = () => useUi.getState().setEdgeMenu(null);
  const nic = { vm: menu.vm, bridge: menu.bridge };
  const link = labStore.getState().document?.nics.find((n) => n.vm === nic.vm && n.bridge === nic.bridge)?.link ?? 'up';
  return (
    <ContextMenu
      at={menu}
      onClose={close}
      testId="edge-menu"
      items={[
        { label: link === 'up' ? 'Disconnect (pull cable)' : 'Reconnect (plug cable)', run: () => void actions.toggleLink(nic), testId: 'menu-link' },
        { label: 'Reset counters', run: () => void actions.resetCounters(nic), testId: 'menu-reset' },
        { label: 'Capture…', run: () => void actions.capture(nic), testId: 'menu-capture' },
        { label: 'Impairments…', run: () => useUi.getState().setSelected([nicEdgeId(nic.vm, nic.bridge)]), testId: 'menu-impairments' },
        { label: 'Delete cable', run: () => labStore.getState().apply({ kind: 'nic.remove', ...nic }), testId: 'menu-delete' },
      ]}
    />
  );
}
