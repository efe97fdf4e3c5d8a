/**
 * Runs system tools for the helper: argv arrays only (never a shell, so no request field can
 * become shell syntax), a fixed PATH and C locale (error texts are parsed), a timeout, and
 * bounded output.
 *
 * Why node:child_process and not execa (which the engine and the CLI use to start programs):
 * this file is bundled into the helper that runs as root through pkexec. The few calls it needs
 * (run, collect, time out) are a page of code anyone can audit, and the root process loads no
 * third-party code at all: every dependency left out of a root-run bundle is one less thing to
 * audit, and one less supply-chain path to root. Keep it that way.
 */
import { spawn } from 'node:child_process';
import { HelperFailure, clip } from './errors.js';
import { SYSTEM_PATH, requireTool, type Tool } from './tools.js';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /**
   * Resolve shortly after the process exits even if its stdout/stderr stay open: a program that
   * daemonizes (QEMU `-daemonize`) hands the pipes to a child that keeps them a while.
   */
  settleAfterExitMs?: number;
}

/** Output kept per stream: enough for any message, bounded so a runaway tool cannot fill memory. */
const MAX_OUTPUT = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;

export const CHILD_ENV: NodeJS.ProcessEnv = { PATH: SYSTEM_PATH, LC_ALL: 'C', LANG: 'C' };

/** Runs `file` with `args`; never rejects for a non-zero exit (callers decide what failure means). */
export function runFile(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV, cwd: '/' });
    let stdout = '';
    let stderr = '';
    let settled = false;
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += text;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (timedOut) {
        reject(new HelperFailure('command-failed', `${file} ${args.slice(0, 4).join(' ')}… did not finish within ${timeoutMs} ms and was killed`));
        return;
      }
      resolve({ code, signal, stdout, stderr });
    };
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new HelperFailure('command-failed', `could not run ${file}: ${err.message}`));
    });
    child.on('close', finish);
    if (options.settleAfterExitMs !== undefined) {
      const settle = options.settleAfterExitMs;
      child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), settle).unref());
    }
  });
}

/** Runs a tool found in the system folders. */
export function run(tool: Tool, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
  return runFile(requireTool(tool), args, options);
}

/** Runs a tool inside a lab namespace: `ip netns exec NS /abs/tool ...`. */
export function runInNamespace(ns: string, tool: Tool, args: readonly string[], options?: RunOptions): Promise<CommandResult> {
  return run('ip', ['netns', 'exec', ns, requireTool(tool), ...args], options);
}

/**
 * Turns a failed `ip`/`tc` run into the error the engine can act on, from the kernel's message:
 * missing device → not-found, already there → exists, anything else → command-failed.
 */
export function commandFailure(what: string, result: CommandResult): HelperFailure {
  const stderr = clip(result.stderr || result.stdout || `exit ${result.code ?? result.signal}`);
  if (/Cannot find device|No such device|does not exist|Cannot open network namespace/i.test(stderr)) {
    return new HelperFailure('not-found', `${what}: ${stderr}`, 'create it first (or check the name)');
  }
  if (/File exists/i.test(stderr)) {
    return new HelperFailure('exists', `${what}: ${stderr}`, 'it already exists; delete it first or use another name');
  }
  return new HelperFailure('command-failed', `${what}: ${stderr}`);
}

/** Runs and throws the classified failure on a non-zero exit; returns stdout. */
export async function runChecked(what: string, tool: Tool, args: readonly string[], options?: RunOptions): Promise<string> {
  const result = await run(tool, args, options);
  if (result.code !== 0) throw commandFailure(what, result);
  return result.stdout;
}
