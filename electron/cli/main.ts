#!/usr/bin/env node
/**
 * `wirebench` command line: the app's engine without a window.
 *   validate FILE         check a lab document
 *   up FILE / down FILE   create or remove a lab's network and VMs
 *   serve [FILE]          browser mode: the UI over WebSocket on 127.0.0.1
 *   export --format bash|libvirt FILE
 */
import { validateCommand } from './commands/validate.js';
import { serveCommand } from './commands/serve.js';
import { downCommand, upCommand } from './commands/up-down.js';

const USAGE = `usage: wirebench <command> [args]
  validate FILE                        check a lab document, print each problem with its JSON path
  up FILE [--network-only]             create the lab's namespace, bridges, TAPs and boot its VMs
  down FILE                            stop the lab's VMs and remove everything it created
  serve [FILE] [--port N] [--host H]   serve the UI in a browser (prints the URL with its token)
  export --format bash|libvirt FILE    print a script that rebuilds the lab without the app`;

type Command = (args: string[], out: (line: string) => void) => Promise<number>;

const commands: Record<string, Command> = {
  validate: async (args, out) => {
    if (args.length !== 1) throw new UsageError('validate takes exactly one FILE');
    return validateCommand(args[0]!, out);
  },
  serve: async (args, out) => {
    try {
      return await serveCommand(args, out);
    } catch (err) {
      // Argument mistakes print the usage; failures to start (port taken) do not.
      if (err instanceof Error && /needs a value|must be|unknown option|takes one FILE/.test(err.message)) throw new UsageError(err.message);
      throw err;
    }
  },
  up: async (args, out) => {
    const networkOnly = args.includes('--network-only');
    const files = args.filter((a) => a !== '--network-only');
    if (files.length !== 1) throw new UsageError('up takes exactly one FILE');
    return upCommand(files[0]!, networkOnly, out);
  },
  down: async (args, out) => {
    if (args.length !== 1) throw new UsageError('down takes exactly one FILE');
    return downCommand(args[0]!, out);
  },
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`wirebench: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(args, out);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`wirebench ${name}: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`wirebench ${name}: ${(err as Error).message}\n`);
    const hint = (err as { hint?: unknown }).hint;
    if (typeof hint === 'string' && hint) process.stderr.write(`  what to do: ${hint}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
