/**
 * A VM's console history on disk: QEMU's own `logfile=` of the serial chardev. QEMU writes it
 * whether or not anyone is connected (so the history covers a lab started by the exported
 * script, and the time between two engines), and it outlives any tab and the engine. It lives
 * in the lab's runtime folder, which `down` removes.
 *
 * QEMU never limits it, so the engine keeps it bounded: past `MAX_LOG_BYTES` it is cut to its
 * last `KEEP_LOG_BYTES`. QEMU opens it with O_APPEND (`logappend=on`), so its next write goes
 * to the new end. Bytes QEMU appends in the microseconds between our read and our truncate can
 * be lost from the history (never from a live console); that is the price of not copying every
 * byte through a second writer.
 */
import { open, stat } from 'node:fs/promises';

export const MAX_LOG_BYTES = 2 * 1024 * 1024;
export const KEEP_LOG_BYTES = 1024 * 1024;
/** What a newly opened console replays: plenty for 10,000 lines of a shell session. */
export const HISTORY_BYTES = 512 * 1024;

/** The last `bytes` of the log, starting at a line boundary when the cut falls mid-line; '' when there is no log. */
export async function readLogTail(path: string, bytes = HISTORY_BYTES): Promise<string> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = (await file.stat()).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, size - length);
    let tail = buffer.subarray(0, bytesRead);
    if (length < size) {
      // Cut at the first newline so the replay never starts inside a line or a UTF-8 sequence.
      const newline = tail.indexOf(0x0a);
      if (newline >= 0) tail = tail.subarray(newline + 1);
    }
    return tail.toString('utf8');
  } finally {
    await file.close();
  }
}

/** Cuts the log to its last KEEP_LOG_BYTES once it is over MAX_LOG_BYTES; true when it did. */
export async function boundLog(path: string, maxBytes = MAX_LOG_BYTES, keepBytes = KEEP_LOG_BYTES): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  const file = await open(path, 'r+');
  try {
    const buffer = Buffer.alloc(keepBytes);
    const { bytesRead } = await file.read(buffer, 0, keepBytes, size - keepBytes);
    await file.truncate(0);
    await file.write(buffer, 0, bytesRead, 0);
    return true;
  } finally {
    await file.close();
  }
}
