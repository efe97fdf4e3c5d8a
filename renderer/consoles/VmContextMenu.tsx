/** Right-click menu of a VM on the canvas. */
import { useActions } from '../app/actions-context.js';
import { ContextMenu } from '../app/ContextMenu.js';
import { useRuntime } from '../store/runtime-store.js';
import { openConsole } from './consoles.js';
import { useConsoles } from './consoles-store.js';

export function VmContextMenu() {
  const menu = useConsoles((s) => s.vmMenu);
  const state = useRuntime((s) => (menu ? (s.vms[menu.vm]?.state ?? 'stopped') : 'stopped'));
  const actions = useActions();
  if (!menu) return null;
  const close = () => useConsoles.getState().setVmMenu(null);
  const { vm } = menu;
  const canStart = state === 'stopped' || state === 'crashed';
  const canStop = state === 'running' || state === 'starting';
  return (
    <ContextMenu
      at={menu}
      onClose={close}
      testId="vm-context-menu"
      label={`VM ${vm}`}
      items={[
        { label: 'Open console', run: () => openConsole(vm), testId: 'menu-open-console' },
        { label: 'Start', run: () => void actions.startVm(vm), testId: 'menu-vm-start', disabled: !canStart },
        { label: 'Stop', run: () => void actions.stopVm(vm), testId: 'menu-vm-stop', disabled: !canStop },
        { label: 'Force stop', run: () => void actions.stopVm(vm, { force: true }), testId: 'menu-vm-force-stop', disabled: state !== 'stopping' },
      ]}
    />
  );
}
