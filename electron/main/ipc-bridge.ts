/**
 * The Electron transport of the contract: one `ipcMain.handle` for every engine command and
 * a forwarder for engine events. Every message is checked twice before the engine runs it:
 * the sender must be our own top-level page (not an iframe, not another site the window was
 * tricked into loading), and the command name and params are parsed by the contract.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { isChannel, type LabEvent, type Reply } from '../../shared/api.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels.js';
import type { EngineClient } from '../engine/engine-client.js';

export interface EngineEndpoint {
  dispatch(channel: unknown, params: unknown, client: EngineClient): Promise<Reply>;
  onEvent(listener: (event: LabEvent) => void): () => void;
  disconnectClient(client: EngineClient): void;
}

/** True when the frame is the top-level frame showing our renderer. */
export function isTrustedSender(frame: Pick<WebFrameMain, 'url' | 'parent'> | null | undefined, isAppUrl: (url: string) => boolean): boolean {
  return !!frame && frame.parent === null && isAppUrl(frame.url);
}

export function senderRefusal(frame: Pick<WebFrameMain, 'url'> | null | undefined): Reply {
  return {
    ok: false,
    error: {
      code: 'forbidden',
      message: `IPC from ${frame?.url ?? 'an unknown frame'} refused: only the Wirebench window may call the engine`,
    },
  };
}

export function registerEngineIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  engine: EngineEndpoint;
  isAppUrl: (url: string) => boolean;
  /** Windows that receive engine events. */
  targets: () => WebContents[];
}): () => void {
  const { ipcMain, engine, isAppUrl, targets } = options;
  // Each window is one client of the engine: a console it opens streams to it alone, and its
  // subscriptions end when the window goes away.
  const clients = new WeakMap<WebContents, EngineClient>();
  const clientOf = (contents: WebContents): EngineClient => {
    let client = clients.get(contents);
    if (!client) {
      const created: EngineClient = {
        send: (event) => {
          if (!contents.isDestroyed() && isAppUrl(contents.getURL())) contents.send(EVENT_CHANNEL, event);
        },
      };
      clients.set(contents, created);
      contents.once('destroyed', () => engine.disconnectClient(created));
      client = created;
    }
    return client;
  };
  ipcMain.handle(INVOKE_CHANNEL, async (event: IpcMainInvokeEvent, channel: unknown, params: unknown): Promise<Reply> => {
    if (!isTrustedSender(event.senderFrame, isAppUrl)) return senderRefusal(event.senderFrame);
    if (!isChannel(channel)) {
      return { ok: false, error: { code: 'unknown-command', message: `unknown command ${JSON.stringify(channel)}; see shared/api.ts for the list` } };
    }
    return engine.dispatch(channel, params, clientOf(event.sender));
  });
  const unsubscribe = engine.onEvent((event) => {
    for (const contents of targets()) {
      // A window that navigated somewhere else (it cannot, but) must not get engine events.
      if (!contents.isDestroyed() && isAppUrl(contents.getURL())) contents.send(EVENT_CHANNEL, event);
    }
  });
  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    unsubscribe();
  };
}
