#!/usr/bin/env node
/**
 * `wirebench` command line: the app's engine without a window.
 *   validate FILE         check a lab document
 *   up FILE / down FILE   create or remove a lab's network and VMs
 *   serve [FILE]          browser mode: the UI over WebSocket on 127.0.0.1
 *   export --format bash|libvirt|json FILE [--out DIR]
 *   status | console | exec | capture | link | counters   operate a running lab (the exported
 *                         script's vocabulary), through whatever engine holds it (lab-connection.ts)
 *
 * Exit codes: 0 done; 1 a failure at run time (lab or VM not running, the engine refused);
 * 2 a usage error or an unknown name (VM, bridge, NIC: the message lists those that exist).
 * `exec` exits with the guest command's own code.
 */
import { validateCommand } from './commands/validate.js';
import { serveCommand } from './commands/serve.js';
import { exportCommand, type ExportFormat } from './commands/export.js';
import { downCommand, upCommand } from './commands/up-down.js';
import { captureCommand } from './commands/capture.js';
import { consoleCommand } from './commands/console.js';
import { execCommand } from './commands/exec.js';
import { countersCommand, linkCommand } from './commands/link.js';
import { statusCommand } from './commands/status.js';
import {
  parseCaptureArgs,
  parseConsoleArgs,
  parseCountersArgs,
  parseExecArgs,
  parseLinkArgs,
  parseStatusArgs,
  UsageError,
} from './commands/verb-args.js';
import { exitCodeOf, withLab } from './commands/verb-support.js';
import { connectHolder, connectLab } from './lab-connection.js';
import type { LabStatus } from '../../shared/api.js';

const USAGE = `usage: wirebench <command> [args]
  validate FILE                        check a lab document, print each problem with its JSON path
  up FILE [--network-only]             create the lab's namespace, bridges, TAPs and boot its VMs
  down FILE                            stop the lab's VMs and remove everything it created
  serve [FILE] [--port N] [--host H]   serve the UI in a browser (prints the URL with its token)
  export --format bash|json FILE       print a script (or the document) that rebuilds the lab without the app
  export --format libvirt FILE --out DIR   write libvirt XML (one per network and domain) and define.sh
A running lab (through the engine that holds it: the app, serve, another CLI; else this one):
  status FILE                          namespace up/down; each VM's state, pid, accelerator, crash reason
  console FILE VM                      the VM's serial console (history first); Ctrl-] leaves
  exec FILE VM [--timeout S] -- CMD…   run CMD in the guest, print its output, exit with its code
  capture FILE VM NIC [-w OUT] [-f BPF]    pcap of a NIC on stdout (| tshark -r -) or into OUT;
  capture FILE --bridge BR [-w OUT] [-f BPF]   or of a whole bridge; Ctrl-C stops
  link FILE VM NIC up|down             plug or pull the cable between the VM and its bridge
  counters FILE [VM [NIC]]             guest-perspective counters, one line per NIC
NIC is a bridge name or the guest's name for it: eth<N> (also enp0s<N>, ens<N>), N counting the
VM's bridges sorted by name. Exit codes: 0 ok, 1 failed (e.g. VM not running), 2 usage error or
unknown name; exec exits with the guest command's code.`;

type Command = (args: string[], out: (line: string) => void) => Promise<number>;

/** Reads `--name value` pairs out of `args`; what is left are the positional arguments. */
function takeOptions(args: string[], names: string[]): { options: Record<string, string>; rest: string[] } {
  const options: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (names.includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options[arg] = value;
    } else rest.push(arg);
  }
  return { options, rest };
}

/** `up` and `down`'s summary (the same lines as commands/up-down.ts prints). */
function printUpDown(status: LabStatus, out: (line: string) => void): number {
  out(`namespace ${status.namespace}: ${status.running ? 'up' : 'down'}`);
  for (const vm of status.vms) out(`  ${vm.name}: ${vm.state}${vm.pid ? ` (pid ${vm.pid})` : ''}${vm.reason ? ` — ${vm.reason}` : ''}`);
  return 0;
}

/** The running lab, through whatever holds it; console and capture serve it to others while they run. */
const openLab = (file: string, options: { serve?: boolean } = {}) => connectLab(file, { ...options, onWait: (message) => process.stderr.write(`wirebench: ${message}\n`) });

const commands: Record<string, Command> = {
  export: async (args, out) => {
    const { options, rest } = takeOptions(args, ['--format', '--out']);
    const format = options['--format'] ?? 'bash';
    if (!['bash', 'libvirt', 'json'].includes(format)) throw new UsageError(`unknown format "${format}"; use bash, libvirt or json`);
    if (rest.length !== 1) throw new UsageError('export takes exactly one FILE');
    return exportCommand(rest[0]!, format as ExportFormat, options['--out'], (text) => process.stdout.write(text));
  },
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
    const held = await connectHolder(files[0]!);
    if (held) return withLab(async () => held, async (lab) => printUpDown(await lab.invoke(networkOnly ? 'lab.upNetwork' : 'lab.up', {}), out));
    return upCommand(files[0]!, networkOnly, out);
  },
  down: async (args, out) => {
    if (args.length !== 1) throw new UsageError('down takes exactly one FILE');
    // A lab another engine holds (the app, serve, a console) is brought down by that engine.
    const held = await connectHolder(args[0]!);
    if (held) return withLab(async () => held, async (lab) => printUpDown(await lab.invoke('lab.down', {}), out));
    return downCommand(args[0]!, out);
  },
  status: async (args, out) => {
    const { file } = parseStatusArgs(args);
    return withLab(() => openLab(file), (lab) => statusCommand(lab, out));
  },
  console: async (args) => {
    const parsed = parseConsoleArgs(args);
    return withLab(() => openLab(parsed.file, { serve: true }), (lab) => consoleCommand(lab, parsed, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }));
  },
  exec: async (args) => {
    const parsed = parseExecArgs(args);
    return withLab(() => openLab(parsed.file), (lab) => execCommand(lab, parsed, (text) => process.stdout.write(text)));
  },
  capture: async (args) => {
    const parsed = parseCaptureArgs(args);
    return withLab(() => openLab(parsed.file, { serve: true }), (lab) => captureCommand(lab, parsed, { stdout: process.stdout, stderr: process.stderr }));
  },
  link: async (args, out) => {
    const parsed = parseLinkArgs(args);
    return withLab(() => openLab(parsed.file), (lab) => linkCommand(lab, parsed, out));
  },
  counters: async (args, out) => {
    const parsed = parseCountersArgs(args);
    return withLab(() => openLab(parsed.file), (lab) => countersCommand(lab, parsed, out));
  },
};

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
    return exitCodeOf(err);
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
