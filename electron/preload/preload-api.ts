/** The objects the preload exposes, built over a minimal slice of `ipcRenderer` (so tests can pass a fake). */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { errorToData, isChannel, labEventSchema, parseParams, replySchema, type LabEvent, type Reply } from '../../shared/api.js';
import type { LabBridge } from '../../shared/unwrap-reply.js';
import { menuCommandSchema, type DocumentState, type MenuCommand, type ShellApi } from '../../shared/shell-api.js';
import { DOCUMENT_STATE_CHANNEL, EVENT_CHANNEL, INVOKE_CHANNEL, MENU_CHANNEL, PICK_OPEN_CHANNEL, PICK_SAVE_CHANNEL } from '../main/ipc-channels.js';

type IpcSlice = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener' | 'send'>;

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

export function buildPreloadApis(ipc: IpcSlice): { api: LabBridge; shell: ShellApi } {
  // Replies are returned as data, never thrown: see LabBridge (shared/unwrap-reply.ts).
  const invoke = async (channel: unknown, params: unknown): Promise<Reply> => {
    try {
      if (!isChannel(channel)) return { ok: false, error: { code: 'bad-request', message: `unknown command "${String(channel).slice(0, 60)}"`, hint: 'use the commands of shared/api.ts' } };
      const raw: unknown = await ipc.invoke(INVOKE_CHANNEL, channel, parseParams(channel, params));
      const reply = replySchema.safeParse(raw);
      return reply.success ? reply.data : { ok: false, error: { code: 'bad-reply', message: `${channel}: the main process sent a reply this UI cannot read` } };
    } catch (err) {
      return { ok: false, error: errorToData(err) };
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
  return { api: { invoke, onEvent }, shell };
}
