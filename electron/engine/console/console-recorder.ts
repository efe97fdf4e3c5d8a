/**
 * What the engine does with each chunk a VM prints on its console: hand it to the watchers,
 * watch it for the seed's startup markers (a failed startup command, the end of the startup
 * script), and keep the serial log on disk bounded (serial-log.ts).
 */
import { StringDecoder } from 'node:string_decoder';
import { parseStartupMarker } from '../../../shared/cloud-init-seed.js';
import { boundLog } from './serial-log.js';

/** How much console output may arrive between two checks of the serial log's size. */
const LOG_CHECK_BYTES = 256 * 1024;
/** A console line longer than this is not a marker: only its end is kept for scanning. */
const MAX_SCANNED_LINE = 8192;

export interface ConsoleRecorderHost {
  consoleData(data: string): void;
  startupFailed(index: number, exitCode: number): void;
  startupDone(): void;
}

export class ConsoleRecorder {
  private readonly decoder = new StringDecoder('utf8');
  /** The console's current partial line, scanned for the seed's startup markers. */
  private line = '';
  private loggedSinceCheck = 0;
  private logCheck: Promise<unknown> | null = null;

  constructor(
    private readonly vm: string,
    private readonly logPath: string,
    private readonly host: ConsoleRecorderHost,
  ) {}

  record(chunk: Buffer): void {
    const data = this.decoder.write(chunk);
    if (data) {
      this.host.consoleData(data);
      this.scan(data);
    }
    this.loggedSinceCheck += chunk.length;
    if (this.loggedSinceCheck >= LOG_CHECK_BYTES && !this.logCheck) {
      this.loggedSinceCheck = 0;
      this.logCheck = boundLog(this.logPath)
        .catch((err: unknown) => process.emitWarning(`could not bound the serial log of VM ${this.vm}: ${(err as Error).message}`))
        .finally(() => {
          this.logCheck = null;
        });
    }
  }

  private scan(data: string): void {
    this.line += data;
    let end: number;
    while ((end = this.line.indexOf('\n')) >= 0) {
      const marker = this.line.includes('WIREBENCH-STARTUP-') ? parseStartupMarker(this.line.slice(0, end)) : null;
      this.line = this.line.slice(end + 1);
      if (marker?.kind === 'failed') this.host.startupFailed(marker.index, marker.exitCode);
      if (marker?.kind === 'done') this.host.startupDone();
    }
    if (this.line.length > MAX_SCANNED_LINE) this.line = this.line.slice(-MAX_SCANNED_LINE);
  }
}
