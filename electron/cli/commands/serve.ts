import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBrowserMode } from '../../engine/server/browser-mode.js';
import { rendererDir } from '../../engine/server/app-files.js';

export interface ServeArgs {
  file?: string;
  port?: number;
  host?: string;
}

/** Parses `[FILE] [--port N] [--host H]`; throws with the offending argument named. */
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
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else if (parsed.file) throw new Error(`serve takes one FILE, got "${parsed.file}" and "${arg}"`);
    else parsed.file = arg;
  }
  return parsed;
}

/**
 * `wirebench serve [FILE] [--port N] [--host H]`: runs the engine and serves the UI to a
 * browser until Ctrl-C. Binding to anything but loopback exposes the engine to the network;
 * the token still guards it, and the warning says so.
 */
export async function serveCommand(args: readonly string[], out: (line: string) => void): Promise<number> {
  const options = parseServeArgs(args);
  if (!existsSync(join(rendererDir(), 'index.html'))) {
    out(`warning: the UI is not built (no ${join(rendererDir(), 'index.html')}); run "npm run build:app" first`);
  }
  const mode = await startBrowserMode(options);
  if (options.host && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    out(`warning: listening on ${options.host}: anyone who can reach this port and knows the token controls this lab`);
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
