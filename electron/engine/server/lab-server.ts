/**
 * Browser mode: an HTTP server for the built renderer and a WebSocket at `/api` that carries
 * the same contract as the Electron IPC bridge. Bound to 127.0.0.1 unless told otherwise.
 *
 * Who may talk to the engine: a page served by this server (the `Origin` header must be one
 * of our own origins, checked at upgrade so other sites' pages get a 403) that also knows the
 * random token printed on start (sent as the first message). The Host header is checked too,
 * which stops DNS-rebinding pages that would otherwise look same-origin.
 *
 * Given a certificate and key it serves HTTPS and WSS only (node:https; a plain HTTP or WS
 * client gets no answer it can use). Refused connections (wrong token, foreign Origin or Host)
 * are logged with their source, remote address and Origin, so a probe from the network shows.
 *
 * Each socket is one engine client. Commands, replies and events are JSON text frames; the
 * bytes of a capture go to the socket that started it alone, as binary frames
 * (shared/ws-protocol.ts `encodeCaptureFrame`), after the reply that names the capture.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { LabEvent, Reply } from '../../../shared/api.js';
import { createStaticHandler } from './static-files.js';
import type { EngineClient } from '../engine-client.js';
import {
  CLOSE_BAD_TOKEN,
  CLOSE_HELLO_EXPECTED,
  CLOSE_HELLO_TIMEOUT,
  helloSchema,
  MAX_MESSAGE_BYTES,
  requestSchema,
  encodeCaptureFrame,
  type ServerMessage,
} from '../../../shared/ws-protocol.js';

/** What the server needs from the engine (the real `Engine` or a test double). Each socket is one client. */
export interface EngineEndpoint {
  dispatch(channel: unknown, params: unknown, client: EngineClient): Promise<Reply>;
  onEvent(listener: (event: LabEvent) => void): () => void;
  disconnectClient(client: EngineClient): void;
}

export interface LabServerOptions {
  engine: EngineEndpoint;
  /** Built renderer folder (`out/renderer`). */
  staticDir: string;
  host?: string;
  /** 0 or absent: a free port chosen by the OS. */
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** How long a new socket may take to say hello. */
  helloTimeoutMs?: number;
  /** PEM certificate and key: serve HTTPS/WSS instead of HTTP/WS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Where refused connections are reported (default: stderr). */
  log?: (line: string) => void;
}

export interface LabServer {
  /** `http://127.0.0.1:PORT` (`https://` with TLS) */
  origin: string;
  /** The URL to open, token included. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/** A slow browser tab must not make the engine buffer counters forever: past this, ticks are dropped for that socket. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}

/** Who knocked: `address:port (Origin …)`, for the refusal log. */
function sourceOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? 'unknown address';
  const where = address.includes(':') ? `[${address}]:${req.socket.remotePort}` : `${address}:${req.socket.remotePort}`;
  return `${where} (Origin ${JSON.stringify(req.headers.origin ?? null)}, Host ${JSON.stringify(req.headers.host ?? null)})`;
}

function makeServer(tls: LabServerOptions['tls'], handler: Parameters<typeof createServer>[1] & object): Server {
  if (!tls) return createServer(handler);
  try {
    return createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
  } catch (err) {
    throw new Error(`cannot serve HTTPS with the given certificate and key: ${(err as Error).message}; give a PEM certificate (--tls-cert) and its matching unencrypted PEM private key (--tls-key)`);
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startLabServer(options: LabServerOptions): Promise<LabServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const serveStatic = createStaticHandler(options.staticDir);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const server = makeServer(options.tls, (req, res) => void serveStatic(req, res));
  // Our own size check below answers with an error; this cap only stops absurd frames early.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * MAX_MESSAGE_BYTES });

  try {
    await listen(server, options.port ?? 0, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? 'choose another --port or leave it out for a free one' : 'check --host';
    throw new Error(`cannot listen on ${host}:${options.port ?? 0}: ${(err as Error).message}; ${hint}`);
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const scheme = options.tls ? 'https' : 'http';
  const origin = `${scheme}://${urlHost}:${port}`;
  const ownHosts = new Set([`${urlHost}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const ownOrigins = new Set([...ownHosts].map((h) => `${scheme}://${h}`));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/api') return refuseUpgrade(socket, 404, 'Not Found: the WebSocket endpoint is /api');
    if (!ownHosts.has(req.headers.host ?? '')) {
      log(`wirebench serve: refused a connection from ${sourceOf(req)}: unknown Host header`);
      return refuseUpgrade(socket, 403, 'Forbidden: unknown Host header');
    }
    if (!ownOrigins.has(req.headers.origin ?? '')) {
      log(`wirebench serve: refused a connection from ${sourceOf(req)}: foreign Origin`);
      return refuseUpgrade(socket, 403, `Forbidden: Origin ${req.headers.origin ?? '(none)'} is not ${origin}; open the UI from the URL wirebench serve printed`);
    }
    const source = sourceOf(req);
    wss.handleUpgrade(req, socket, head, (ws) => serveSession(ws, source));
  });

  const serveSession = (ws: WebSocket, source: string) => {
    let unsubscribe: (() => void) | null = null;
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const fail = (id: number | null, code: string, message: string) => send({ id, reply: { ok: false, error: { code, message } } });
    const client: EngineClient = {
      send: (event) => send({ event }),
      // The socket is ordered: these frames follow the command's reply, and precede `capture.ended`.
      openCapture: (captureId) => ({
        write: (bytes) => {
          if (ws.readyState === ws.OPEN) ws.send(encodeCaptureFrame(captureId, bytes), { binary: true });
        },
        end: () => {},
      }),
    };
    const helloTimer = setTimeout(() => ws.close(CLOSE_HELLO_TIMEOUT, 'no hello: send {type:"hello", token} first'), options.helloTimeoutMs ?? 10_000);

    ws.on('close', () => {
      clearTimeout(helloTimer);
      unsubscribe?.();
      options.engine.disconnectClient(client);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
      if (size > MAX_MESSAGE_BYTES) return fail(null, 'too-large', `message of ${size} bytes refused; the limit is ${MAX_MESSAGE_BYTES}`);
      let value: unknown;
      try {
        if (isBinary) throw new Error('binary frames are not part of the protocol');
        value = JSON.parse(data.toString());
      } catch (err) {
        return fail(null, 'bad-message', `unreadable message: ${(err as Error).message}; send JSON text frames`);
      }

      if (!unsubscribe) {
        const hello = helloSchema.safeParse(value);
        if (!hello.success) return ws.close(CLOSE_HELLO_EXPECTED, 'expected {type:"hello", token} as the first message');
        if (!sameSecret(hello.data.token, token)) {
          log(`wirebench serve: refused a wrong token from ${source}`);
          return ws.close(CLOSE_BAD_TOKEN, 'wrong token: use the URL printed by wirebench serve');
        }
        clearTimeout(helloTimer);
        unsubscribe = options.engine.onEvent((event) => {
          if (event.type === 'counters.tick' && ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
          send({ event });
        });
        return send({ type: 'welcome' });
      }

      const request = requestSchema.safeParse(value);
      if (!request.success) {
        const id = typeof (value as { id?: unknown })?.id === 'number' ? ((value as { id: number }).id) : null;
        const first = request.error.issues[0];
        return fail(Number.isInteger(id) && (id as number) >= 0 ? id : null, 'bad-message', `not a request: ${first?.path.join('.') || 'message'}: ${first?.message}; send {id, channel, params}`);
      }
      const { id, channel, params } = request.data;
      void options.engine.dispatch(channel, params, client).then((reply) => send({ id, reply }));
    });
  };

  return {
    origin,
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    token,
    port,
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
