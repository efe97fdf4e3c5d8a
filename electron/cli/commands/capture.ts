/**
 * `wirebench capture FILE VM NIC [-w OUT] [-f FILTER]` and `wirebench capture FILE --bridge
 * BRIDGE …`: live pcap of a VM's NIC (its host TAP: bridge or guest name, eth0/enp0s0/ens0) or
 * of a whole bridge, on stdout (`| tshark -r -`, `| wireshark -k -i -`) or into OUT.
 *
 * Runs until Ctrl-C, SIGTERM or SIGHUP, until the reader of stdout goes away, or until the
 * engine ends the capture (the VM stopped); then it stops the capture cleanly (tcpdump drains
 * its ring, every byte reaches the output) and prints what was captured on stderr.
 *
 * The bytes reach this connection alone (`LabConnection.startCapture`: base64 JSON lines on
 * the control socket, a direct sink with an in-process engine); other clients get none.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CaptureInfo, LabEvent } from '../../../shared/api.js';
import type { LabConnection } from '../lab-connection.js';
import type { CaptureArgs } from './verb-args.js';
import { CliError, EXIT_USAGE, nicSelectorFor, requireBridgeName, requireRunning } from './verb-support.js';

export interface CaptureIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
}

export async function captureCommand(lab: LabConnection, args: CaptureArgs, io: CaptureIo): Promise<number> {
  const target = args.target;
  const nic = 'vm' in target ? nicSelectorFor(lab.document, target.vm, target.nic) : null;
  if (!('vm' in target)) requireBridgeName(lab.document, target.bridge);
  if (!args.write && io.stdout.isTTY) {
    throw new CliError('pcap is binary: pipe it (| tshark -r -, | wireshark -k -i -) or write it to a file with -w FILE', EXIT_USAGE);
  }
  await requireRunning(lab, args.file, nic?.vm);

  const fd = args.write ? openSync(args.write, 'w', 0o644) : null;
  let outputGone = false;
  const emit = (bytes: Buffer) => {
    if (outputGone) return;
    if (fd !== null) writeSync(fd, bytes);
    else io.stdout.write(bytes);
  };

  let captureId: string | null = null;
  // `capture.ended` (counts only, no bytes) may be read in the same chunk as the reply that names the capture.
  const ended = new Map<string, Extract<LabEvent, { type: 'capture.ended' }>>();
  let wake: () => void = () => {};
  let lost = false;
  const stopRequested = new Promise<string>((resolve) => {
    wake = () => resolve('');
    const reasons: Array<[NodeJS.Signals, string]> = [
      ['SIGINT', 'interrupted'],
      ['SIGTERM', 'terminated'],
      ['SIGHUP', 'hung up'],
    ];
    for (const [signal, why] of reasons) process.once(signal, () => resolve(why));
    if (fd === null) {
      io.stdout.on('error', (err: NodeJS.ErrnoException) => {
        outputGone = true;
        resolve(err.code === 'EPIPE' ? 'stdout closed' : `stdout failed: ${err.message}`);
      });
    }
    lab.onLost((why) => {
      lost = true;
      resolve(why);
    });
  });
  const unsubscribe = lab.onEvent((event) => {
    if (event.type !== 'capture.ended') return;
    ended.set(event.captureId, event);
    if (event.captureId === captureId) wake();
  });

  let info: CaptureInfo;
  const sink = { data: (bytes: Uint8Array) => emit(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), end: () => {} };
  try {
    const options = args.filter ? { filter: args.filter } : {};
    info = nic
      ? await lab.startCapture({ channel: 'nic.capture', params: { nic: nic.selector, options } }, sink)
      : await lab.startCapture({ channel: 'bridge.capture', params: { bridge: (target as { bridge: string }).bridge, options } }, sink);
  } catch (err) {
    unsubscribe();
    if (fd !== null) closeSync(fd);
    throw err;
  }
  captureId = info.captureId;
  if (ended.has(captureId)) wake();
  io.stderr.write(`wirebench: capturing ${info.title}${args.write ? ` into ${args.write}` : ''}; Ctrl-C stops\n`);

  const why = await stopRequested;
  const endedByEngine = ended.get(info.captureId) ?? null;
  let counts: { packets: number | null; kernelDrops: number | null } | null = endedByEngine;
  if (!endedByEngine && !lost) {
    try {
      // Every chunk is delivered before this answer (the engine drains the pipe first).
      counts = await lab.invoke('capture.stop', { captureId: info.captureId });
    } catch (err) {
      io.stderr.write(`wirebench: stopping the capture: ${(err as Error).message}\n`);
    }
  }
  unsubscribe();
  if (fd !== null) closeSync(fd);
  const stats = counts ? `${counts.packets ?? '?'} packets, ${counts.kernelDrops ?? '?'} dropped by the kernel` : 'counts unknown';
  io.stderr.write(`wirebench: capture of ${info.title} ended${why ? ` (${why})` : endedByEngine ? ' by the engine' : ''}: ${stats}\n`);
  return lost ? 1 : 0;
}
