/**
 * "Open in Wireshark" for the packet viewer: Wireshark runs where the engine runs (the same
 * desktop in Electron; the lab host in browser mode), on a capture file of that host.
 */
import { execa } from 'execa';
import { access, constants, stat } from 'node:fs/promises';
import { WirebenchError } from '../../../shared/api.js';

export const WIRESHARK_PATH = process.env.WIREBENCH_WIRESHARK ?? '/usr/bin/wireshark';

export async function wiresharkStatus(path = WIRESHARK_PATH): Promise<{ available: boolean; path: string | null }> {
  try {
    await access(path, constants.X_OK);
    return { available: true, path };
  } catch {
    return { available: false, path: null };
  }
}

/** Starts Wireshark detached on `file`; it outlives the engine like any app the user opened. */
export async function openInWireshark(file: string, wireshark = WIRESHARK_PATH): Promise<{ pid: number }> {
  if (!(await wiresharkStatus(wireshark)).available) {
    throw new WirebenchError('not-installed', `Wireshark is not installed at ${wireshark}`, 'install it (apt install wireshark) or save the capture and open it elsewhere');
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new WirebenchError('not-found', `no capture file at ${file}`, 'start a file-backed capture (Keep a complete file) or save the capture first');
  // Detached and not cleaned up on our exit: closing the app or the engine leaves it open.
  const child = execa(wireshark, ['-r', file], { detached: true, stdio: 'ignore', cleanup: false, reject: false, buffer: false });
  void child.catch(() => undefined);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? 0));
    child.once('error', (err) => reject(new WirebenchError('launch-failed', `could not start Wireshark: ${err.message}`, 'check that a display is available to the engine')));
  });
  child.unref();
  return { pid };
}
