/**
 * `node:crypto` for the renderer: shared/host-names.ts hashes names with `createHash('sha256')`
 * so the inspector shows exactly the TAP names the engine creates. Browsers have no synchronous
 * SHA-256, so the bundler points `node:crypto` here (electron.vite.config.ts) and @noble/hashes
 * computes the same digest.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

class Sha256 {
  private readonly chunks: Uint8Array[] = [];
  update(text: string): this {
    this.chunks.push(utf8ToBytes(text));
    return this;
  }
  digest(encoding: 'hex'): string {
    if (encoding !== 'hex') throw new Error(`renderer createHash: only hex digests are supported, not ${String(encoding)}`);
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let offset = 0;
    for (const c of this.chunks) {
      all.set(c, offset);
      offset += c.length;
    }
    return bytesToHex(sha256(all));
  }
}

export function createHash(algorithm: string): Sha256 {
  if (algorithm !== 'sha256') throw new Error(`renderer createHash: only sha256 is available, not ${algorithm}`);
  return new Sha256();
}

export default { createHash };
