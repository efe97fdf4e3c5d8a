import { createHash as nodeCreateHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { createHash } from './node-crypto.js';

it('hashes exactly like node:crypto, so host names agree between renderer and engine', () => {
  for (const text of ['', 'wirebench-lab\u0000demo', 'a\u0000lan', 'ünïcode']) {
    expect(createHash('sha256').update(text).digest('hex')).toBe(nodeCreateHash('sha256').update(text).digest('hex'));
  }
});
