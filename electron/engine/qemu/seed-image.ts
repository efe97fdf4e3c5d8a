/**
 * Writes a VM's cloud-init seed (shared/cloud-init-seed.ts) as the read-only image QEMU
 * attaches: the three files in a scratch folder, then `seedImageCommand` (xorriso, no mount, no
 * root). The exported script runs the same command on the same files.
 */
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { WirebenchError } from '../../../shared/api.js';
import { SEED_FILES, seedImageCommand, type CloudInitSeed } from '../../../shared/cloud-init-seed.js';

/** Builds `output` (mode 0644: QEMU's user reads it) from the seed; replaces it atomically. */
export async function writeSeedImage(seed: CloudInitSeed, output: string): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'wb-seed-'));
  const partial = `${output}.new`;
  try {
    for (const file of SEED_FILES) writeFileSync(join(scratch, file), seed[file]);
    const [tool, ...args] = seedImageCommand(scratch, partial);
    rmSync(partial, { force: true });
    const result = await execa(tool!, args, { reject: false, timeout: 30_000 });
    if (result.failed) {
      const missing = (result as { code?: string }).code === 'ENOENT';
      if (missing) throw new WirebenchError('missing-package', 'xorriso is not installed: it builds each VM\'s cloud-init seed image', 'apt-get install xorriso (make setup does this)');
      throw new WirebenchError('seed-failed', `could not build the cloud-init seed ${output}: ${String(result.stderr || result.stdout || result.shortMessage).trim()}`);
    }
    chmodSync(partial, 0o644);
    renameSync(partial, output);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}
