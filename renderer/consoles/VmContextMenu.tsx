/** Right-click menu of a VM on the canvas. */
import { useEffect } from 'react';
import { useActions } from '../app/actions-context.js';
import { useRuntime } from '../store/runtime-store.js';
import { openConsole } from './consoles.js';
import { useConsoles } from './consoles-store.js';

export function VmContextMenu() {
  const menu = useConsoles((s) => s.vmMenu);
  const state = useRuntime((s) => (menu ? (s.vms[menu.vm]?.state ?? 'stopped') : 'stopped'));
  const actions = useActions();
  const close = () => useConsoles.getState().setVmMenu(null);
  useEffect(() => {
    if (!menu) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menu]);
  if (!menu) return null;
  const { vm } = menu;
  const canStart = state === 'stopped' || state === 'crashed';
  const canStop = state === 'running' || state === 'starting';
  const item = (label: string, run: () => void, testId: string, disabled = false) => (
    <button
      role="menuitem"
      data-testid={testId}
      disabled={disabled}
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
      <div className="wb-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid="vm-context-menu" aria-label={`VM ${vm}`}>
        {item('Open console', () => openConsole(vm), 'menu-open-console')}
        {item('Start', () => void actions.startVm(vm), 'menu-vm-start', !canStart)}
        {item('Stop', () => void actions.stopVm(vm), 'menu-vm-stop', !canStop)}
        {item('Force stop', () => void actions.stopVm(vm, { force: true }), 'menu-vm-force-stop', state !== 'stopping')}
      </div>
    </>
  );
}
