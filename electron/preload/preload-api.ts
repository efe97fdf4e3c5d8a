/** The objects the preload exposes, built over a minimal slice of `ipcRenderer` (so tests can pass a fake). */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import { errorToData, isChannel, labEventSchema, parseParams, replySchema, type CaptureStreamSink, type LabEvent, type Reply } from '../../shared/api.js';
import { COUNTERS_PORT_MESSAGE, type LabBridge } from '../../shared/unwrap-reply.js';
import { menuCommandSchema, type DocumentState, type MenuCommand, type ShellApi } from '../../shared/shell-api.js';
import { CAPTURE_PORT_CHANNEL, COUNTERS_PORT_CHANNEL, DOCUMENT_STATE_CHANNEL, EVENT_CHANNEL, INVOKE_CHANNEL, MENU_CHANNEL, PICK_OPEN_CHANNEL, PICK_SAVE_CHANNEL } from '../main/ipc-channels.js';

type IpcSlice = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener' | 'send'>;

/** What the preload uses of a DOM MessagePort (the preload has no DOM types). */
export interface PortLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** How the preload hands a port to the page (main world): `window.postMessage(message, '*', [port])`. */
export type PostToPage = (message: unknown, ports: unknown[]) => void;

/** Ports of captures nobody streams yet; past this many, the oldest is closed (its viewer went away before it started). */
const MAX_UNCLAIMED_CAPTURE_PORTS = 16;

/**
 * The window's capture ports (one per capture it started; main posts them on
 * CAPTURE_PORT_CHANNEL). A port queues its messages until it has a listener, so a stream
 * attached before or after its port arrives misses no byte, and no byte is kept here.
 */
function captureStreams(ipc: IpcSlice) {
  const unclaimed = new Map<string, PortLike>();
  const waiting = new Map<string, CaptureStreamSink>();
  const attached = new Map<string, PortLike>();
  const attach = (captureId: string, port: PortLike, sink: CaptureStreamSink) => {
    port.onmessage = ({ data }) => {
      if (data instanceof Uint8Array) sink.data(data);
      else if (data === null) {
        port.close();
        attached.delete(captureId);
        sink.end();
      }
    };
  };
  ipc.on(CAPTURE_PORT_CHANNEL, (event: IpcRendererEvent, message: unknown) => {
    const captureId = (message as { captureId?: unknown } | null)?.captureId;
    const port = event.ports?.[0] as unknown as PortLike | undefined;
    if (typeof captureId !== 'string' || !port) return;
    const sink = waiting.get(captureId);
    if (sink) {
      waiting.delete(captureId);
      attached.set(captureId, port);
      return attach(captureId, port, sink);
    }
    unclaimed.set(captureId, port);
    if (unclaimed.size > MAX_UNCLAIMED_CAPTURE_PORTS) {
      const [oldest, old] = unclaimed.entries().next().value!;
      unclaimed.delete(oldest);
      old.close();
    }
  });
  return (captureId: string, sink: CaptureStreamSink): (() => void) => {
    const port = unclaimed.get(captureId);
    if (port) {
      unclaimed.delete(captureId);
      attached.set(captureId, port);
      attach(captureId, port, sink);
    } else waiting.set(captureId, sink);
    return () => {
      waiting.delete(captureId);
      attached.get(captureId)?.close();
      attached.delete(captureId);
    };
  };
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

export function buildPreloadApis(ipc: IpcSlice, postToPage: PostToPage = () => {}): { api: LabBridge; shell: ShellApi } {
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
  const streamCapture = captureStreams(ipc);
  // Counter ticks: the port main answers with goes to the page, which hands it to its worker.
  ipc.on(COUNTERS_PORT_CHANNEL, (event: IpcRendererEvent) => {
    const port = event.ports?.[0];
    if (port) postToPage(COUNTERS_PORT_MESSAGE, [port]);
  });
  const connectCounters = () => ipc.send(COUNTERS_PORT_CHANNEL);
  return { api: { invoke, onEvent, streamCapture, connectCounters }, shell };
}
