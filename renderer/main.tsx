import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './app/App.js';
import { ActionsContext } from './app/actions-context.js';
import { createLabActions } from './app/lab-actions.js';
import { installAutosave, installKeyboard, installShell, installUnloadGuard } from './app/app-wiring.js';
import { counterHub } from './store/counter-hub.js';
import { startEngineSync } from './store/engine-sync.js';
import { labStore } from './store/lab-store.js';
import { runtimeStore } from './store/runtime-store.js';
import { useUi } from './store/ui-store.js';
import { pickTransport } from './transport/pick-transport.js';
import { installPacketViewer } from './packets/viewer-actions.js';
import { installConsoles } from './consoles/consoles.js';

async function boot(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  let transport;
  try {
    transport = await pickTransport();
  } catch (err) {
    sessionStorage.removeItem('wirebench.token');
    root.render(
      <div className="wb-fatal" role="alert" data-testid="fatal">
        <h1>Cannot reach the Wirebench engine</h1>
        <p>{(err as Error).message}</p>
      </div>,
    );
    return;
  }
  installPacketViewer(transport.api);
  installConsoles(transport.api);
  const sync = startEngineSync(transport.api, { lab: labStore, runtime: runtimeStore, counters: counterHub });
  const actions = createLabActions({
    api: transport.api,
    shell: transport.shell,
    sync,
    lab: labStore,
    runtime: runtimeStore,
    counters: counterHub,
    prompts: { confirm: (m) => useUi.getState().confirm(m), askPath: (t, i) => useUi.getState().askPath(t, i) },
  });
  if (transport.shell) installShell(transport.shell, actions);
  else installKeyboard(actions);
  installUnloadGuard();
  installAutosave(transport.api);
  transport.onStatus((status) => {
    if (status.state === 'closed') runtimeStore.getState().notify('error', status.reason);
  });
  root.render(
    <ActionsContext.Provider value={actions}>
      <App mode={transport.mode} />
    </ActionsContext.Provider>,
  );
  await actions.loadCurrent();
}

void boot();
