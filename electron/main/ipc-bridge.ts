/**
 * The Electron transport of the contract: one `ipcMain.handle` for every engine command and
 * a forwarder for engine events. Every message is checked twice before the engine runs it:
 * the sender must be our own top-level page (not an iframe, not another site the window was
 * tricked into loading), and the command name and params are parsed by the contract.
 *
 * Hot data travels on MessagePorts, not on the event channel:
 * - each capture a window starts gets its own port (MessageChannelMain, one end posted to that
 *   window alone with `webContents.postMessage`): its pcap bytes go there, to nobody else;
 * - counter ticks go on a port the window asks for (`COUNTERS_PORT_CHANNEL`), which the page
 *   hands to its worker, so ticks are parsed off the page thread, as in browser mode.
 */
import { MessageChannelMain, type IpcMain, type IpcMainEvent, type IpcMainInvokeEvent, type MessagePortMain, type WebContents, type WebFrameMain } from 'electron';
import { isChannel, type LabEvent, type Reply } from '../../shared/api.js';
import { CAPTURE_PORT_CHANNEL, COUNTERS_PORT_CHANNEL, EVENT_CHANNEL, INVOKE_CHANNEL } from './ipc-channels.js';
import type { CaptureSink, EngineClient } from '../engine/engine-client.js';

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

type Channel = Pick<MessageChannelMain, 'port1' | 'port2'>;

/** A window's end of a capture: bytes as Uint8Array messages, `null` at the end. */
function captureSink(contents: WebContents, captureId: string, channel: Channel, isAppUrl: (url: string) => boolean): CaptureSink {
  const { port1, port2 } = channel;
  if (!contents.isDestroyed() && isAppUrl(contents.getURL())) contents.postMessage(CAPTURE_PORT_CHANNEL, { captureId }, [port2]);
  let open = true;
  return {
    write: (bytes) => {
      // A copy of just these bytes (a Buffer may be a view into a larger pooled one, which a structured clone would copy whole).
      if (open) port1.postMessage(new Uint8Array(bytes));
    },
    end: () => {
      if (!open) return;
      open = false;
      port1.postMessage(null);
      port1.close();
    },
  };
}

export function registerEngineIpc(options: {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>;
  engine: EngineEndpoint;
  isAppUrl: (url: string) => boolean;
  /** Windows that receive engine events. */
  targets: () => WebContents[];
  /** Makes a channel (tests pass a fake; default Electron's MessageChannelMain). */
  createChannel?: () => Channel;
}): () => void {
  const { ipcMain, engine, isAppUrl, targets } = options;
  const createChannel = options.createChannel ?? (() => new MessageChannelMain());
  const visible = (contents: WebContents) => !contents.isDestroyed() && isAppUrl(contents.getURL());
  // The port each window's worker reads counter ticks from (until it asks for another: a reload).
  const counterPorts = new WeakMap<WebContents, MessagePortMain | Channel['port1']>();
  // Each window is one client of the engine: a console it opens streams to it alone, a capture
  // it starts streams to it alone, and its subscriptions end when the window goes away.
  const clients = new WeakMap<WebContents, EngineClient>();
  const clientOf = (contents: WebContents): EngineClient => {
    let client = clients.get(contents);
    if (!client) {
      const created: EngineClient = {
        send: (event) => {
          if (visible(contents)) contents.send(EVENT_CHANNEL, event);
        },
        openCapture: (captureId) => captureSink(contents, captureId, createChannel(), isAppUrl),
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
  const onCountersPort = (event: IpcMainEvent) => {
    if (!isTrustedSender(event.senderFrame, isAppUrl)) return;
    const { port1, port2 } = createChannel();
    counterPorts.get(event.sender)?.close();
    counterPorts.set(event.sender, port1);
    event.sender.postMessage(COUNTERS_PORT_CHANNEL, null, [port2]);
  };
  ipcMain.on(COUNTERS_PORT_CHANNEL, onCountersPort);
  const unsubscribe = engine.onEvent((event) => {
    let text: string | null = null;
    for (const contents of targets()) {
      // A window that navigated somewhere else (it cannot, but) must not get engine events.
      if (!visible(contents)) continue;
      const port = event.type === 'counters.tick' ? counterPorts.get(contents) : undefined;
      if (port) port.postMessage((text ??= JSON.stringify({ event })));
      else contents.send(EVENT_CHANNEL, event);
    }
  });
  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    ipcMain.removeListener(COUNTERS_PORT_CHANNEL, onCountersPort);
    unsubscribe();
  };
}
