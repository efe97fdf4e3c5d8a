/**
 * Connecting to a socket QEMU is about to create. QEMU is started daemonized and creates its
 * QMP and serial sockets a moment later (and a stale file from a dead QEMU refuses
 * connections), so both clients retry until a deadline instead of failing on the first try.
 */
import { connect, type Socket } from 'node:net';

const RETRY_MS = 50;
/** Errors that mean "QEMU has not created or started listening on the socket yet". */
const NOT_YET = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

/**
 * Connected socket at `path`, retrying until `timeoutMs`. `what` names it in errors,
 * e.g. "QMP socket of VM a".
 */
export async function connectUnixSocket(path: string, what: string, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  let lastCode = 'ENOENT';
  for (;;) {
    try {
      return await connectOnce(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!NOT_YET.has(code)) throw new Error(`cannot connect to the ${what} (${path}): ${(error as Error).message}`);
      lastCode = code;
    }
    if (Date.now() + RETRY_MS >= deadline) {
      const state = lastCode === 'ENOENT' ? 'never appeared' : 'refused connections';
      throw new Error(`the ${what} (${path}) ${state} within ${timeoutMs} ms; is QEMU running? Check its stderr and serial log`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const onError = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
