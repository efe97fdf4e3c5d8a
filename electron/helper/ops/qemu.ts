/**
 * Starting a QEMU guest inside a lab namespace, as an unprivileged user. The argv is always
 * `qemuArgs(spec)` from the schema-checked spec (never an argv from the caller); the helper's
 * part is the privileged bit (entering the namespace, dropping to the QEMU user) plus the checks
 * that turn QEMU's terse failures into messages that say what to fix.
 */
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { posix as path } from 'node:path';
import { qemuArgs, type QemuSpec } from '../../../shared/qemu-spec.js';
import { HelperFailure, clip } from '../errors.js';
import type { InvokingUser } from '../invoking-user.js';
import { describeQemuUser, dropToQemuUser, qemuUserPasses } from '../qemu-user.js';
import { run } from '../run-command.js';
import { checkRunPath, ensureRunDir } from '../runtime-dir.js';
import { findTool } from '../tools.js';

/** QEMU daemonizes once the machine is set up; TCG set-up of a big guest can take a while. */
const LAUNCH_TIMEOUT_MS = 50_000;

async function checkGuestFile(user: InvokingUser, label: string, file: string, writable: boolean): Promise<void> {
  let info;
  try {
    info = statSync(file);
  } catch {
    const hint = label === 'disk image' ? 'check the path of the image' : label === 'cloud-init seed' ? 'the engine builds it before each start (xorriso); start the VM again' : 'build the built-in guest first (the setup step), or check the path';
    throw new HelperFailure('not-found', `${label} ${file} does not exist`, hint);
  }
  if (!info.isFile()) throw new HelperFailure('bad-request', `${label} ${file} is not a regular file`);
  const expression = writable ? ['-r', file, '-a', '-w', file] : ['-r', file];
  if (!(await qemuUserPasses(user, expression))) {
    throw new HelperFailure(
      'permission-denied',
      `${describeQemuUser(user)} cannot ${writable ? 'read and write' : 'read'} ${label} ${file}`,
      `make the file ${writable ? 'writable' : 'readable'} by uid ${user.qemuUid} and every folder above it traversable (root's home folder is 0700: keep guest files elsewhere, e.g. /var/cache/wirebench)`,
    );
  }
}

/** The pid QEMU wrote; refuses anything but a small regular file naming a process of the QEMU user. */
function readPid(user: InvokingUser, pidFile: string): number {
  let text: string;
  try {
    const info = lstatSync(pidFile);
    if (!info.isFile() || info.size > 64) throw new Error('not a small regular file');
    text = readFileSync(pidFile, 'utf8').trim();
  } catch (err) {
    throw new HelperFailure('command-failed', `QEMU started but its pid file ${pidFile} is unusable (${(err as Error).message})`, 'see the serial log; the guest may still be running: ns.delete ends it');
  }
  if (!/^\d{1,10}$/.test(text)) throw new HelperFailure('command-failed', `QEMU's pid file ${pidFile} does not hold a pid`);
  const pid = Number(text);
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    throw new HelperFailure('command-failed', `QEMU (pid ${pid}) exited right after starting`, 'read the serial log in the lab folder for the reason');
  }
  const realUid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  if (realUid !== String(user.qemuUid)) throw new HelperFailure('command-failed', `pid file ${pidFile} names pid ${pid}, which is not a process of uid ${user.qemuUid}`);
  return pid;
}

export async function startQemu(user: InvokingUser, ns: string, spec: QemuSpec): Promise<{ pid: number }> {
  const qemu = findTool('qemu-system-x86_64');
  if (!qemu) throw new HelperFailure('missing-package', 'qemu-system-x86_64 is not installed on this machine', 'apt-get install qemu-system-x86');

  const runFiles: Array<[string, string, boolean]> = [
    ['QMP socket', spec.qmpSocket, true],
    ['serial socket', spec.serialSocket, true],
    ['serial log', spec.serialLog, false],
    ['agent socket', spec.agentSocket, true],
    ['pid file', spec.pidFile, false],
  ];
  for (const [label, file, isSocket] of runFiles) checkRunPath(user, label, file, isSocket);
  for (const dir of new Set(runFiles.map(([, file]) => path.dirname(file)))) await ensureRunDir(user, dir);

  // QEMU opens its TAPs through /dev/net/tun as the QEMU user. udev makes it 0666 on a normal
  // Debian system; machines without udev leave it 0600 and every TAP open fails obscurely.
  if (spec.nics.length > 0 && !(await qemuUserPasses(user, ['-r', '/dev/net/tun', '-a', '-w', '/dev/net/tun']))) {
    throw new HelperFailure(
      'permission-denied',
      `${describeQemuUser(user)} cannot open /dev/net/tun, so QEMU cannot attach its NICs to their TAPs`,
      'give /dev/net/tun the mode udev gives it on Debian: chmod 0666 /dev/net/tun (make setup does this as root)',
    );
  }

  if (spec.boot.kind === 'tiny') {
    await checkGuestFile(user, 'boot disk', spec.boot.bootDisk, false);
  } else {
    await checkGuestFile(user, 'disk image', spec.boot.disk, true);
  }
  await checkGuestFile(user, 'cloud-init seed', spec.seedImage, false);

  const launched = await run('ip', ['netns', 'exec', ns, ...dropToQemuUser(user), qemu, ...qemuArgs(spec)], {
    timeoutMs: LAUNCH_TIMEOUT_MS,
    settleAfterExitMs: 500,
  });
  if (launched.code !== 0) {
    const why = clip(launched.stderr || launched.stdout || `exit ${launched.code ?? launched.signal}`, 1500);
    throw new HelperFailure('command-failed', `QEMU could not start VM ${spec.name} in ${ns}: ${why}`, 'the message above is QEMU\'s own; check that the TAPs exist in the namespace and the guest files are valid');
  }
  return { pid: readPid(user, spec.pidFile) };
}
