/**
 * The browser-mode socket, off the main thread. Every server message is parsed here with the
 * contract's schemas: zod cannot compile its fast validators under our CSP (no 'unsafe-eval'),
 * and a 1,000-NIC `counters.tick` parsed on the main thread cost a frame four times a second.
 * The page receives already-checked values by structured clone. Binary frames carry the bytes
 * of a capture this socket started; they go to the page as they are (the buffer transferred).
 *
 * In Electron the same worker parses counter ticks: main sends them as JSON text on a
 * MessagePort the page hands over (`events`), so they never cost the page thread a parse either.
 */
import { decodeCaptureFrame, serverMessageSchema } from '../../shared/ws-protocol.js';
import type { FromWorker, ToWorker } from './ws-worker-protocol.js';

const scope = globalThis as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let socket: WebSocket | null = null;

function onCaptureFrame(data: ArrayBuffer): void {
  const frame = decodeCaptureFrame(new Uint8Array(data));
  if (!frame) return void console.warn('wirebench: ignored a binary frame that is not capture bytes');
  scope.postMessage({ kind: 'capture', captureId: frame.captureId, bytes: frame.bytes }, [data]);
}

function onServerMessage(data: unknown): void {
  if (data instanceof ArrayBuffer) return onCaptureFrame(data);
  let parsed;
  try {
    parsed = serverMessageSchema.safeParse(JSON.parse(String(data)));
  } catch {
    return;
  }
  if (!parsed.success) {
    console.warn('wirebench: ignored an unreadable message from the engine', parsed.error.issues[0]);
    return;
  }
  const message = parsed.data;
  if ('type' in message) scope.postMessage({ kind: 'welcome' });
  else if ('event' in message) scope.postMessage({ kind: 'event', event: message.event });
  else if (message.id !== null) scope.postMessage({ kind: 'reply', id: message.id, reply: message.reply });
  else if (!message.reply.ok) scope.postMessage({ kind: 'refused', message: message.reply.error.message });
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.kind === 'connect') {
    const ws = new WebSocket(message.url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token: message.token }));
    ws.onmessage = (e) => onServerMessage(e.data);
    ws.onclose = (e) => scope.postMessage({ kind: 'closed', code: e.code, reason: e.reason });
  } else if (message.kind === 'events') {
    message.port.onmessage = (e) => onServerMessage(e.data);
  } else if (message.kind === 'send') {
    if (socket?.readyState === WebSocket.OPEN) socket.send(message.text);
  } else {
    socket?.close(1000, 'page closed');
  }
};
