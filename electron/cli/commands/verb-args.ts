/**
 * Arguments of the verbs that operate a running lab (`status`, `console`, `exec`, `capture`,
 * `link`, `counters`), parsed without touching anything so they can be tested alone. The
 * vocabulary is the exported script's (`<lab>.sh status | console VM | capture VM BRIDGE [FILE]
 * | link VM BRIDGE up|down`), with the lab FILE first and NICs named by bridge or guest name.
 */

/** A mistake in the command line itself: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export interface StatusArgs {
  file: string;
}
export interface ConsoleArgs {
  file: string;
  vm: string;
}
export interface ExecArgs {
  file: string;
  vm: string;
  /** The words after `--`, joined by spaces: run by the guest's shell (like ssh). */
  command: string;
  timeoutMs?: number;
}
export interface CaptureArgs {
  file: string;
  /** A VM's NIC (by bridge or guest name), or a whole bridge. */
  target: { vm: string; nic: string } | { bridge: string };
  /** `-w FILE`: write the pcap there instead of stdout. */
  write?: string;
  /** `-f FILTER`: a BPF capture filter (tcpdump syntax). */
  filter?: string;
}
export interface LinkArgs {
  file: string;
  vm: string;
  nic: string;
  state: 'up' | 'down';
}
export interface CountersArgs {
  file: string;
  vm?: string;
  nic?: string;
}

/**
 * Splits `args` into options (`--name value`, `-n value`, or a bare flag) and positional words.
 * `valued` maps each accepted option (every spelling) to its canonical name; `flags` likewise
 * for options without a value. Anything else starting with `-` is refused.
 */
function split(verb: string, args: readonly string[], valued: Record<string, string>, flags: Record<string, string> = {}) {
  const options: Record<string, string> = {};
  const present = new Set<string>();
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg in valued) {
      const value = args[i + 1];
      if (value === undefined) throw new UsageError(`${verb}: ${arg} needs a value`);
      options[valued[arg]!] = value;
      i++;
    } else if (arg in flags) {
      present.add(flags[arg]!);
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`${verb}: unknown option ${arg}`);
    } else words.push(arg);
  }
  return { options, present, words };
}

function exactly(verb: string, words: string[], names: string[]): string[] {
  if (words.length !== names.length) {
    const got = words.length ? `got ${words.length}: ${words.join(' ')}` : 'got none';
    throw new UsageError(`${verb} takes ${names.join(' ')} (${got})`);
  }
  return words;
}

export function parseStatusArgs(args: readonly string[]): StatusArgs {
  const [file] = exactly('status', split('status', args, {}).words, ['FILE']);
  return { file: file! };
}

export function parseConsoleArgs(args: readonly string[]): ConsoleArgs {
  const [file, vm] = exactly('console', split('console', args, {}).words, ['FILE', 'VM']);
  return { file: file!, vm: vm! };
}

/** `FILE VM [--timeout SECONDS] -- CMD…` (without `--`, whatever follows VM is the command). */
export function parseExecArgs(args: readonly string[]): ExecArgs {
  const words: string[] = [];
  let timeout: string | undefined;
  let command: readonly string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      command = args.slice(i + 1);
      break;
    }
    if (arg === '--timeout' || arg === '-t') {
      timeout = args[++i];
      if (timeout === undefined) throw new UsageError(`exec: ${arg} needs a value`);
      continue;
    }
    if (words.length === 2) {
      command = args.slice(i);
      break;
    }
    if (arg.startsWith('-')) throw new UsageError(`exec: unknown option ${arg} (put the guest's command after --)`);
    words.push(arg);
  }
  if (words.length !== 2) throw new UsageError(`exec takes FILE VM -- COMMAND… (got ${words.length ? words.join(' ') : 'nothing'} before the command)`);
  if (!command.join(' ').trim()) throw new UsageError('exec needs a command after --, e.g. wirebench exec lab.json a -- uname -a');
  const parsed: ExecArgs = { file: words[0]!, vm: words[1]!, command: command.join(' ') };
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 600) throw new UsageError(`exec: --timeout must be 0.1–600 seconds, got "${timeout}"`);
    parsed.timeoutMs = Math.round(seconds * 1000);
  }
  return parsed;
}

/** `FILE VM NIC [-w OUT] [-f FILTER]` or `FILE --bridge BRIDGE [-w OUT] [-f FILTER]`. */
export function parseCaptureArgs(args: readonly string[]): CaptureArgs {
  const { options, words } = split('capture', args, { '-w': 'write', '--write': 'write', '-f': 'filter', '--filter': 'filter', '--bridge': 'bridge', '-b': 'bridge' });
  let parsed: CaptureArgs;
  if (options.bridge !== undefined) {
    const [file] = exactly('capture --bridge', words, ['FILE']);
    parsed = { file: file!, target: { bridge: options.bridge } };
  } else {
    const [file, vm, nic] = exactly('capture', words, ['FILE', 'VM', 'NIC']);
    parsed = { file: file!, target: { vm: vm!, nic: nic! } };
  }
  if (options.write !== undefined && options.write !== '-') parsed.write = options.write;
  if (options.filter !== undefined) parsed.filter = options.filter;
  return parsed;
}

export function parseLinkArgs(args: readonly string[]): LinkArgs {
  const [file, vm, nic, state] = exactly('link', split('link', args, {}).words, ['FILE', 'VM', 'NIC', 'up|down']);
  if (state !== 'up' && state !== 'down') throw new UsageError(`link: the cable is "up" or "down", not "${state}"`);
  return { file: file!, vm: vm!, nic: nic!, state };
}

export function parseCountersArgs(args: readonly string[]): CountersArgs {
  const { words } = split('counters', args, {});
  if (words.length < 1 || words.length > 3) throw new UsageError(`counters takes FILE [VM [NIC]] (got ${words.length ? words.join(' ') : 'nothing'})`);
  const [file, vm, nic] = words;
  return { file: file!, ...(vm !== undefined ? { vm } : {}), ...(nic !== undefined ? { nic } : {}) };
}
