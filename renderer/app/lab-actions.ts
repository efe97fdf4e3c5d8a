/**
 * What the toolbar, menus and canvas gestures do, in one place: each action talks to the engine
 * through `LabApi`, updates the stores and reports failures as notices that say what to do.
 */
import type { LabApi, NicRef, OpenLab } from '../../shared/api.js';
import type { Impairments, LabDocument } from '../../shared/lab.js';
import type { CounterHub } from '../store/counter-hub.js';
import type { EngineSync } from '../store/engine-sync.js';
import type { LabStore } from '../store/lab-store.js';
import type { LabChange } from '../../shared/lab-changes.js';
import type { RuntimeState } from '../store/runtime-store.js';
import type { ShellApi } from '../../shared/shell-api.js';
import type { StoreApi } from 'zustand/vanilla';
import { openNicViewer } from '../packets/viewer-actions.js';
import { askChoice, type Choice } from './choice-request.js';

/** Asks the person something; browser mode uses in-page dialogs, tests can answer directly. */
export interface Prompts {
  confirm(message: string): Promise<boolean>;
  /** A path typed by the person (browser mode cannot show the server's file system). */
  askPath(title: string, initial: string): Promise<string | null>;
  /** One of `choices` (its id), or null when dismissed; default: the in-page choice dialog. */
  choose?(title: string, message: string, choices: Choice[]): Promise<string | null>;
}

export interface LabActionsDeps {
  api: LabApi;
  shell: ShellApi | null;
  sync: EngineSync;
  lab: LabStore;
  runtime: StoreApi<RuntimeState>;
  counters: CounterHub;
  prompts: Prompts;
}

export type LabActions = ReturnType<typeof createLabActions>;

export function createLabActions(deps: LabActionsDeps) {
  const { api, shell, sync, lab, runtime, counters, prompts } = deps;
  const notify = (level: 'info' | 'error', text: string) => runtime.getState().notify(level, text);
  const choose = prompts.choose ?? askChoice;

  /** Runs `work`, turning a failure into an error notice; returns undefined on failure. */
  async function attempt<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (err) {
      const e = err as Error & { hint?: string };
      notify('error', `${what} failed: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
      return undefined;
    }
  }

  async function busy<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    runtime.getState().setBusy(label);
    try {
      return await attempt(label, work);
    } finally {
      runtime.getState().setBusy(null);
    }
  }

  async function adopt(opened: OpenLab): Promise<void> {
    counters.clear();
    runtime.getState().reset();
    let { document } = opened;
    // The engine keeps autosave copies as files (they outlive the window and browser mode's port).
    const recovery = await api.recovery.read(recoveryKey(opened.path, document)).catch(() => null);
    if (recovery && JSON.stringify(recovery.document) !== JSON.stringify(document)) {
      const when = new Date(recovery.savedAt).toLocaleString();
      if (await prompts.confirm(`"${document.name}" has unsaved changes from ${when} that were never saved. Restore them?`)) {
        document = recovery.document;
        lab.getState().load({ path: opened.path, document: opened.document, revision: opened.revision });
        // Restoring is an edit: it can be undone and makes the document dirty.
        lab.getState().apply(recoveryChanges(opened.document, document));
        await sync.flush();
        runtime.getState().setProblems(document, (await api.lab.validate({ document })).problems);
        return;
      }
      await api.recovery.clear(recoveryKey(opened.path, document)).catch(() => undefined);
    }
    lab.getState().load({ path: opened.path, document, revision: opened.revision });
    runtime.getState().setProblems(document, opened.problems);
    const status = await api.lab.status().catch(() => null);
    if (status) runtime.getState().setLabStatus(status);
  }

  /** Unsaved work is never dropped silently. */
  async function mayDiscard(): Promise<boolean> {
    const state = lab.getState();
    if (!state.dirty || !state.document) return true;
    return prompts.confirm(`"${state.document.name}" has unsaved changes. Discard them?`);
  }

  async function saveTo(path: string | undefined, overwrite = false): Promise<boolean> {
    await sync.flush();
    let saved: { path: string };
    try {
      saved = await api.lab.save({ ...(path === undefined ? {} : { path }), ...(overwrite ? { overwrite: true } : {}) });
    } catch (err) {
      return afterSaveFailure(err as Error & { code?: string; hint?: string }, path);
    }
    lab.getState().markSaved(saved.path);
    notify('info', `saved ${saved.path}`);
    return true;
  }

  /**
   * A save the engine refused left the file on disk as it was; the person decides what now:
   * overwrite another program's changes, reload them (dropping ours), or save elsewhere.
   */
  async function afterSaveFailure(err: Error & { code?: string; hint?: string }, path: string | undefined): Promise<boolean> {
    const target = path ?? lab.getState().path;
    const elsewhere: Choice = { id: 'elsewhere', label: 'Save elsewhere…', primary: true };
    if (err.code === 'changed-on-disk' && target) {
      const pick = await choose('The file changed on disk', `${err.message}.`, [
        { id: 'reload', label: 'Reload from disk' },
        { id: 'overwrite', label: 'Overwrite' },
        elsewhere,
      ]);
      if (pick === 'overwrite') return saveTo(path, true);
      if (pick === 'elsewhere') return actions.saveAs();
      if (pick === 'reload') {
        // Chosen explicitly: the autosave of the dropped edits must not be offered back at once.
        const dropped = lab.getState().document;
        if (dropped) await api.recovery.clear(recoveryKey(lab.getState().path, dropped)).catch(() => undefined);
        const opened = await attempt(`Reloading ${target}`, () => api.lab.open({ path: target }));
        if (opened) await adopt(opened);
      }
      return false;
    }
    if (err.code === 'read-only' || err.code === 'disk-full') {
      const title = err.code === 'read-only' ? 'Cannot write there' : 'The disk is full';
      const pick = await choose(title, `${err.message}. Nothing was changed on disk.`, [elsewhere]);
      return pick === 'elsewhere' ? actions.saveAs() : false;
    }
    notify('error', `Save failed: ${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
    return false;
  }

  const actions = {
    async loadCurrent(): Promise<void> {
      const current = await attempt('Loading the lab', () => api.lab.current());
      if (current) await adopt(current);
      else {
        const demo = await attempt('Opening the demo lab', () => api.lab.openDemo());
        if (demo) await adopt(demo);
      }
    },

    async newLab(): Promise<void> {
      if (!(await mayDiscard())) return;
      const opened = await attempt('New lab', () => api.lab.create({ name: 'untitled' }));
      if (opened) await adopt(opened);
    },

    async open(path?: string): Promise<void> {
      if (!(await mayDiscard())) return;
      const target = path ?? (shell ? await shell.pickOpenPath() : await prompts.askPath('Open lab file (path on the engine host)', lab.getState().path ?? ''));
      if (!target) return;
      const opened = await attempt(`Opening ${target}`, () => api.lab.open({ path: target }));
      if (opened) await adopt(opened);
    },

    async openDemo(): Promise<void> {
      if (!(await mayDiscard())) return;
      const opened = await attempt('Opening the demo lab', () => api.lab.openDemo());
      if (opened) await adopt(opened);
    },

    async save(): Promise<boolean> {
      if (!lab.getState().path) return actions.saveAs();
      return saveTo(undefined);
    },

    async saveAs(): Promise<boolean> {
      const { document, path } = lab.getState();
      if (!document) return false;
      const suggested = path ?? `${document.name}.lab.json`;
      const target = shell ? await shell.pickSavePath(suggested) : await prompts.askPath('Save lab as (path on the engine host)', suggested);
      if (!target) return false;
      return saveTo(target);
    },

    async exportScript(): Promise<void> {
      await sync.flush();
      const exported = await attempt('Export', () => api.export.script({ format: 'bash' }));
      if (exported) notify('info', `export produced ${Object.keys(exported.files).join(', ')}`);
    },

    async startLab(): Promise<void> {
      await sync.flush();
      if (runtime.getState().problems.some((p) => p.severity === 'error')) {
        notify('error', 'the lab has errors; fix the problems listed below before starting it');
        return;
      }
      const status = await busy('Starting lab…', () => api.lab.up());
      if (status) runtime.getState().setLabStatus(status);
    },

    async stopLab(): Promise<void> {
      const status = await busy('Stopping lab…', () => api.lab.down());
      if (status) runtime.getState().setLabStatus(status);
      counters.clear();
    },

    async startVm(vm: string): Promise<void> {
      await sync.flush();
      const status = await attempt(`Starting ${vm}`, () => api.vm.start({ vm }));
      if (status) runtime.getState().setVmState(vm, status.state, status.reason);
    },

    /** The power button and a bounded wait (the VM shows "stopping"); `force` quits at once, also during that wait. */
    async stopVm(vm: string, options: { force?: boolean } = {}): Promise<void> {
      const status = await attempt(`Stopping ${vm}`, () => api.vm.stop(options.force ? { vm, force: true } : { vm }));
      if (status) runtime.getState().setVmState(vm, status.state, status.reason);
    },

    /**
     * Pulls or re-plugs the cable: an edit like any other (one undo step; undo plugs it back in),
     * shown at once and sent at once; the engine makes it real on a running lab.
     */
    async toggleLink(nic: NicRef): Promise<void> {
      const current = lab.getState().document?.nics.find((n) => n.vm === nic.vm && n.bridge === nic.bridge);
      if (!current) return;
      lab.getState().apply({ kind: 'nic.update', ...nic, patch: { link: current.link === 'up' ? 'down' : 'up' } });
      await sync.flush();
    },

    async resetCounters(nic: NicRef): Promise<void> {
      await attempt('Reset counters', () => api.nic.resetCounters(nic));
    },

    /** Opens a packet viewer tab for the NIC; the person sets a capture filter and presses Start. */
    async capture(nic: NicRef): Promise<void> {
      openNicViewer(nic);
    },

    /** Impairments are document edits (undoable); a running lab gets them with the batch (lab.change). */
    setImpairments(nic: NicRef, impairments: Impairments | undefined): void {
      lab.getState().apply({ kind: 'nic.update', ...nic, patch: { impairments } });
    },

    async validateNow(document: LabDocument): Promise<void> {
      const result = await attempt('Validation', () => api.lab.validate({ document }));
      if (result) runtime.getState().setProblems(document, result.problems);
    },
  };
  return actions;
}

/** Which autosave copy belongs to a lab: its file, or (never saved) its id and name. */
export function recoveryKey(path: string | null, lab: Pick<LabDocument, 'id' | 'name'>) {
  return { path, name: lab.name, ...(lab.id ? { id: lab.id } : {}) };
}

/** The edit that turns `from` into `to` as whole-collection replacements, kept undoable. */
function recoveryChanges(from: LabDocument, to: LabDocument) {
  const changes: LabChange[] = [];
  for (const nic of from.nics) changes.push({ kind: 'nic.remove', vm: nic.vm, bridge: nic.bridge });
  for (const vm of from.vms) changes.push({ kind: 'vm.remove', name: vm.name });
  for (const bridge of from.bridges) changes.push({ kind: 'bridge.remove', name: bridge.name });
  to.bridges.forEach((bridge, index) => changes.push({ kind: 'bridge.add', bridge, index }));
  to.vms.forEach((vm, index) => changes.push({ kind: 'vm.add', vm, index }));
  to.nics.forEach((nic, index) => changes.push({ kind: 'nic.add', nic, index }));
  if (from.name !== to.name) changes.push({ kind: 'lab.rename', name: to.name });
  return changes;
}
