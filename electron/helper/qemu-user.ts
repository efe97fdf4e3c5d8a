/**
 * Acting as the QEMU user. Whether the unprivileged QEMU will be able to open a file is best
 * asked of the kernel as that user (`setpriv ... test -r FILE`): permission bits, ACLs, every
 * folder on the way, all at once. The same wrapper starts QEMU itself.
 */
import type { InvokingUser } from './invoking-user.js';
import { runFile, type CommandResult, type RunOptions } from './run-command.js';
import { requireTool } from './tools.js';

/** `setpriv` argv that drops to the QEMU user with no groups and no inheritable capabilities. */
export function dropToQemuUser(user: InvokingUser): string[] {
  return [requireTool('setpriv'), `--reuid=${user.qemuUid}`, `--regid=${user.qemuGid}`, '--clear-groups', '--inh-caps=-all'];
}

export function runAsQemuUser(user: InvokingUser, argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
  const [setpriv, ...rest] = dropToQemuUser(user);
  return runFile(setpriv as string, [...rest, ...argv], options);
}

/** `test EXPR` evaluated as the QEMU user; e.g. `['-f', p, '-a', '-r', p]`. */
export async function qemuUserPasses(user: InvokingUser, expression: readonly string[]): Promise<boolean> {
  const result = await runAsQemuUser(user, [requireTool('test'), ...expression]);
  return result.code === 0;
}

export function describeQemuUser(user: InvokingUser): string {
  return user.qemuUid === user.uid ? `you (uid ${user.qemuUid})` : `the QEMU user (uid ${user.qemuUid}, gid ${user.qemuGid})`;
}
