/**
 * Browser mode in one call: an engine with a lab open, served over HTTP + WebSocket. Used by
 * `wirebench serve`, by `npm start` without an Electron binary, and by the e2e specs.
 */
import { Engine, type EngineOptions } from '../engine.js';
import { demoLabPath, rendererDir } from './app-files.js';
import { startLabServer, type LabServer } from './lab-server.js';

export interface BrowserModeOptions {
  /** Lab file to open; the demo lab when absent. */
  file?: string;
  host?: string;
  port?: number;
  token?: string;
  /** PEM certificate and key: HTTPS/WSS (see lab-server.ts). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Refused connections are reported here (default: stderr). */
  log?: (line: string) => void;
  staticDir?: string;
  engine?: EngineOptions;
}

export interface BrowserMode {
  engine: Engine;
  server: LabServer;
  close(): Promise<void>;
}

export async function startBrowserMode(options: BrowserModeOptions = {}): Promise<BrowserMode> {
  const demo = demoLabPath();
  const engine = new Engine({ ...(demo ? { demoLabPath: demo } : {}), ...options.engine });
  try {
    if (options.file) await engine.invoke('lab.open', { path: options.file });
    else await engine.invoke('lab.openDemo', {});
    const server = await startLabServer({
      engine,
      staticDir: options.staticDir ?? rendererDir(),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.log !== undefined ? { log: options.log } : {}),
    });
    return {
      engine,
      server,
      close: async () => {
        await server.close();
        await engine.close();
      },
    };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
