/**
 * `wirebench serve`: the engine and the UI for a browser, until Ctrl-C.
 *
 * Exposure is explicit: it binds 127.0.0.1 unless told otherwise, and any other address needs
 * `--expose` too, because whoever holds the token then controls this machine's labs as root.
 * The warning it prints names what that means. `--tls-cert`/`--tls-key` serve HTTPS/WSS so
 * the token does not cross the network in clear text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserMode } from '../../engine/server/browser-mode.js';
import { rendererDir } from '../../engine/server/app-files.js';
import { UsageError } from './verb-args.js';

export interface ServeArgs {
  file?: string;
  port?: number;
  host?: string;
  /** Allow a non-loopback --host. */
  expose?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

/** Addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** What a token holder can do, for the warning printed when the engine is exposed. */
export const TOKEN_HOLDER_POWERS =
  'run commands as root inside the lab VMs, capture their traffic, start and stop VMs and labs, and read and write any lab file the engine\'s user can reach';

/** Parses `[FILE] [--port N] [--host H] [--expose] [--tls-cert F --tls-key F]`; throws with the offending argument named. */
export function parseServeArgs(args: readonly string[]): ServeArgs {
  const parsed: ServeArgs = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const value = () => {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if (arg === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0–65535, got "${args[i]}"`);
      parsed.port = port;
    } else if (arg === '--host') parsed.host = value();
    else if (arg === '--expose') parsed.expose = true;
    else if (arg === '--tls-cert') parsed.tlsCert = value();
    else if (arg === '--tls-key') parsed.tlsKey = value();
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (serve takes --port, --host, --expose, --tls-cert, --tls-key)`);
    else if (parsed.file) throw new Error(`serve takes one FILE, got "${parsed.file}" and "${arg}"`);
    else parsed.file = arg;
  }
  if ((parsed.tlsCert === undefined) !== (parsed.tlsKey === undefined)) {
    throw new UsageError(`${parsed.tlsCert === undefined ? '--tls-key' : '--tls-cert'} needs its partner: give both --tls-cert FILE and --tls-key FILE`);
  }
  if (parsed.host !== undefined && !isLoopback(parsed.host) && !parsed.expose) {
    throw new UsageError(
      `--host ${parsed.host} would let other machines reach the engine, and a token holder can ${TOKEN_HOLDER_POWERS}; add --expose to do that on purpose (or leave --host out to stay on 127.0.0.1)`,
    );
  }
  return parsed;
}

function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read ${option} ${path}: ${why}; give a PEM file (e.g. made with "openssl req -x509 -newkey rsa:2048 -nodes …")`);
  }
}

export async function serveCommand(args: readonly string[], out: (line: string) => void, warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<number> {
  const options = parseServeArgs(args);
  if (!existsSync(join(rendererDir(), 'index.html'))) {
    warn(`warning: the UI is not built (no ${join(rendererDir(), 'index.html')}); run "npm run build:app" first`);
  }
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined ? { cert: readPem('--tls-cert', options.tlsCert), key: readPem('--tls-key', options.tlsKey) } : undefined;
  const mode = await startBrowserMode({
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(tls ? { tls } : {}),
    log: warn,
  });
  if (options.host !== undefined && !isLoopback(options.host)) {
    warn(`warning: --expose: listening on ${options.host}:${mode.server.port}. Anyone who can reach this port and holds the token can ${TOKEN_HOLDER_POWERS}.`);
    if (!tls) warn('warning: without --tls-cert/--tls-key the token and everything the UI shows cross the network unencrypted.');
  }
  out(`Wirebench is running in browser mode: ${mode.server.url}`);
  out('Press Ctrl-C to stop (a running lab keeps running; use "wirebench down FILE" to remove it).');
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void mode.close().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
