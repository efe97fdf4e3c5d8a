/**
 * Loads wiregasm in Node (tests, bench): same library, same `DissectorHost` as the Web Worker,
 * only the way the .wasm/.data files are found differs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { WiregasmLib, WiregasmLoader } from '@goodtools/wiregasm';

const require = createRequire(import.meta.url);

export async function loadWiregasmNode(): Promise<WiregasmLib> {
  const dist = dirname(require.resolve('@goodtools/wiregasm/dist/wiregasm.js'));
  const loader = require('@goodtools/wiregasm/dist/wiregasm.js') as WiregasmLoader;
  const data = readFileSync(join(dist, 'wiregasm.data'));
  const lib = await loader({
    wasmBinary: readFileSync(join(dist, 'wiregasm.wasm')).buffer as ArrayBuffer,
    getPreloadedPackage: () => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    print: () => undefined,
    printErr: () => undefined,
    handleStatus: () => undefined,
  });
  if (!lib.init()) throw new Error('wiregasm failed to initialise (dissector registration)');
  return lib;
}
