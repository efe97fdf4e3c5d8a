#!/usr/bin/env node
/**
 * `wirebench` command line: the app's engine without a window.
 *   validate FILE         check a lab document
 *   up FILE / down FILE   create or remove a lab's network and VMs
 *   serve [FILE]          browser mode: the UI over WebSocket on 127.0.0.1
 *   export --format bash|libvirt FILE
 */
import { validateCommand } from './commands/validate.js';

const USAGE = `usage: wirebench <command> [args]
  validate FILE                        check a lab document, print each problem with its JSON path
  up FILE                              create the lab's namespace, bridges, TAPs and boot its VMs
  down FILE                            stop the lab's VMs and remove everything it created
  serve [FILE] [--port N] [--host H]   serve the UI in a browser (prints the URL with its token)
  export --format bash|libvirt FILE    print a script that rebuilds the lab without the app`;

type Command = (args: string[], out: (line: string) => void) => Promise<number>;

const commands: Record<string, Command> = {
  validate: async (args, out) => {
    if (args.length !== 1) throw new UsageError('validate takes exactly one FILE');
    return validateCommand(args[0]!, out);
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
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
