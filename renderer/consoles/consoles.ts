/**
 * The console tabs' engine side: one ConsoleSession per open tab, fed by `console.data`
 * events and by the runtime store's VM states, with its terminal (TerminalView) created the
 * first time the tab is shown. Everything goes through the `LabApi` the app was given at
 * boot, so Electron and browser mode behave the same.
 */
import type { LabApi } from '../../shared/api.js';
import { labStore } from '../store/lab-store.js';
import { runtimeStore } from '../store/runtime-store.js';
import { ConsoleSession, statusText } from './console-session.js';
import { useConsoles } from './consoles-store.js';
import { TerminalView } from './terminal-view.js';
import { installVmAccel } from './vm-accel.js';

declare global {
  interface Window {
    /** Test-only (pages opened with `testHooks=1`): read and watch the console terminals. */
    __wirebenchConsoles?: ConsoleTestHooks;
  }
}

export interface ConsoleTestHooks {
  /** The last `lines` lines of a console's buffer ('' before its terminal exists). */
  text(vm: string, lines?: number): string;
  /** Resolves with performance.now() once `needle` is in the last `lines` lines, or null on timeout. */
  waitFor(vm: string, needle: string, timeoutMs: number, lines?: number): Promise<number | null>;
  /** Characters received but not yet parsed by the terminal. */
  pending(vm: string): number;
  /** Characters received from the engine so far. */
  received(vm: string): number;
  /** The VMs whose console tab has a live terminal (created when first shown, disposed on close). */
  terminals(): string[];
  status(vm: string): string;
}

interface OpenConsole {
  session: ConsoleSession;
  view: TerminalView | null;
  offStatus(): void;
}

let api: LabApi | null = null;
const open = new Map<string, OpenConsole>();

/** Called once at boot with the LabApi the rest of the UI uses; returns the uninstall. */
export function installConsoles(labApi: LabApi): () => void {
  api = labApi;
  const offEvents = labApi.onEvent((event) => {
    if (event.type === 'console.data') open.get(event.vm)?.session.receive(event.data);
  });
  const offRuntime = runtimeStore.subscribe((state, previous) => {
    if (state.vms === previous.vms) return;
    for (const [vm, entry] of open) {
      const runtime = state.vms[vm];
      entry.session.vmStateChanged(runtime?.state ?? null, runtime?.reason ?? null);
    }
  });
  // A VM deleted from the lab (or another lab opened) takes its console tab along.
  const offLab = labStore.subscribe((state, previous) => {
    if (state.document === previous.document) return;
    const names = new Set(state.document?.vms.map((v) => v.name) ?? []);
    for (const vm of [...open.keys()]) if (!names.has(vm)) void closeConsole(vm);
  });
  const offAccel = installVmAccel(labApi);
  if (new URL(window.location.href).searchParams.has('testHooks')) window.__wirebenchConsoles = testHooks();
  return () => {
    offEvents();
    offRuntime();
    offLab();
    offAccel();
    for (const vm of [...open.keys()]) void closeConsole(vm);
    api = null;
  };
}

/** Opens the VM's console tab, or brings it to the front when it is open already. */
export function openConsole(vm: string): void {
  const consoles = useConsoles.getState();
  if (open.has(vm)) {
    consoles.activate(vm);
    open.get(vm)!.view?.focus();
    return;
  }
  if (!api) {
    runtimeStore.getState().notify('error', 'the console is not connected to the engine yet; try again in a moment');
    return;
  }
  const session = new ConsoleSession(vm, api.console, { vmState: () => runtimeStore.getState().vms[vm]?.state ?? null });
  const offStatus = session.onStatus((status) => useConsoles.getState().setStatus(vm, status));
  open.set(vm, { session, view: null, offStatus });
  consoles.setStatus(vm, session.status);
  consoles.add(vm);
  session.start();
}

/** Closes the tab: ends the subscription and disposes the terminal. */
export async function closeConsole(vm: string): Promise<void> {
  const entry = open.get(vm);
  if (!entry) return;
  open.delete(vm);
  entry.offStatus();
  entry.view?.dispose();
  useConsoles.getState().remove(vm);
  await entry.session.close();
}

/** The tab's terminal, created on first use (a tab never shown never creates one). */
export function terminalFor(vm: string): TerminalView | null {
  const entry = open.get(vm);
  if (!entry) return null;
  entry.view ??= new TerminalView(entry.session, {
    onSearchKey: () => useConsoles.getState().requestSearch(vm),
    notify: (text) => runtimeStore.getState().notify('info', text),
  });
  return entry.view;
}

export function isConsoleOpen(vm: string): boolean {
  return open.has(vm);
}

function testHooks(): ConsoleTestHooks {
  return {
    text: (vm, lines) => open.get(vm)?.view?.text(lines) ?? '',
    waitFor: (vm, needle, timeoutMs, lines = 50) =>
      new Promise((resolve) => {
        const view = open.get(vm)?.view;
        if (!view) return resolve(null);
        if (view.text(lines).includes(needle)) return resolve(performance.now());
        let off = () => {};
        const timer = setTimeout(() => {
          off();
          resolve(null);
        }, timeoutMs);
        off = view.onParsed(() => {
          if (!view.text(lines).includes(needle)) return;
          const at = performance.now();
          clearTimeout(timer);
          off();
          resolve(at);
        });
      }),
    pending: (vm) => open.get(vm)?.session.output.pending ?? 0,
    received: (vm) => open.get(vm)?.session.received ?? 0,
    terminals: () => [...open].filter(([, entry]) => entry.view !== null).map(([vm]) => vm),
    status: (vm) => {
      const entry = open.get(vm);
      return entry ? statusText(entry.session.status) : 'closed';
    },
  };
}
