/**
 * `wirebench capture FILE VM NIC [-w OUT] [-f FILTER]` and `wirebench capture FILE --bridge
 * BRIDGE …`: live pcap of a VM's NIC (its host TAP: bridge or guest name, eth0/enp0s0/ens0) or
 * of a whole bridge, on stdout (`| tshark -r -`, `| wireshark -k -i -`) or into OUT.
 *
 * Runs until Ctrl-C, SIGTERM or SIGHUP, until the reader of stdout goes away, or until the
 * engine ends the capture (the VM stopped); then it stops the capture cleanly (tcpdump drains
 * its ring, every byte reaches the output) and prints what was captured on stderr.
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

  // Events can arrive before the reply that names the capture: keep them until it is known.
  let captureId: string | null = null;
  const early: LabEvent[] = [];
  let endedByEngine: Extract<LabEvent, { type: 'capture.ended' }> | null = null;
  let wake: (() => void) | null = null;
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
  const handle = (event: LabEvent) => {
    if (event.type === 'capture.chunk' && event.captureId === captureId) emit(Buffer.from(event.data, 'base64'));
    else if (event.type === 'capture.ended' && event.captureId === captureId) {
      endedByEngine = event;
      wake?.();
    }
  };
  const unsubscribe = lab.onEvent((event) => {
    if (captureId === null) early.push(event);
    else handle(event);
  });

  let info: CaptureInfo;
  try {
    const options = args.filter ? { filter: args.filter } : {};
    info = nic ? await lab.invoke('nic.capture', { nic: nic.selector, options }) : await lab.invoke('bridge.capture', { bridge: (target as { bridge: string }).bridge, options });
  } catch (err) {
    unsubscribe();
    if (fd !== null) closeSync(fd);
    throw err;
  }
  captureId = info.captureId;
  for (const event of early.splice(0)) handle(event);
  io.stderr.write(`wirebench: capturing ${info.title}${args.write ? ` into ${args.write}` : ''}; Ctrl-C stops\n`);

  const why = await stopRequested;
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
