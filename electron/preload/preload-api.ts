/** The objects the preload exposes, built over a minimal slice of `ipcRenderer` (so tests can pass a fake). */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { createLabApi, labEventSchema, type Channel, type CommandParams, type CommandResult, type LabApi, type LabEvent } from '../../shared/api.js';
import { unwrapReply } from '../../shared/unwrap-reply.js';
import { menuCommandSchema, type DocumentState, type MenuCommand, type ShellApi } from '../../shared/shell-api.js';
import { DOCUMENT_STATE_CHANNEL, EVENT_CHANNEL, INVOKE_CHANNEL, MENU_CHANNEL, PICK_OPEN_CHANNEL, PICK_SAVE_CHANNEL } from '../main/ipc-channels.js';

type IpcSlice = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener' | 'send'>;

/** Errors lose their own fields crossing contextBridge (only `message` survives): fold the hint into it. */
function portable(err: unknown): Error {
  const e = err as Error & { hint?: string; code?: string };
  return new Error(e.hint ? `${e.message} — ${e.hint}` : e.message);
}

/** One IPC listener per channel, fanned out, so subscribing never hands `IpcRendererEvent` to the page. */
function subscriber<T>(ipc: IpcSlice, channel: string, parse: (value: unknown) => T | null) {
  return (listener: (value: T) => void): (() => void) => {
    const handler = (_event: IpcRendererEvent, value: unknown) => {
      const parsed = parse(value);
      if (parsed !== null) listener(parsed);
    };
    ipc.on(channel, handler);
    return () => {
      ipc.removeListener(channel, handler);
    };
  };
}

export function buildPreloadApis(ipc: IpcSlice): { api: LabApi; shell: ShellApi } {
  const invoke = async <C extends Channel>(channel: C, params: CommandParams<C>): Promise<CommandResult<C>> => {
    try {
      return unwrapReply(channel, await ipc.invoke(INVOKE_CHANNEL, channel, params));
    } catch (err) {
      throw portable(err);
    }
  };
  const onEvent = subscriber<LabEvent>(ipc, EVENT_CHANNEL, (value) => {
    const parsed = labEventSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  const onMenuCommand = subscriber<MenuCommand>(ipc, MENU_CHANNEL, (value) => {
    const parsed = menuCommandSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  const shell: ShellApi = {
    onMenuCommand,
    pickOpenPath: async () => {
      const path: unknown = await ipc.invoke(PICK_OPEN_CHANNEL);
      return typeof path === 'string' ? path : null;
    },
    pickSavePath: async (suggestedName) => {
      const path: unknown = await ipc.invoke(PICK_SAVE_CHANNEL, suggestedName);
      return typeof path === 'string' ? path : null;
    },
    setDocumentState: (state: DocumentState) => ipc.send(DOCUMENT_STATE_CHANNEL, state),
  };
  return { api: createLabApi(invoke, onEvent), shell };
}
