/**
 * Loads wiregasm in Node (tests, bench): same library, same `DissectorHost` as the Web Worker,
 * only the way the .wasm/.data files are found differs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { WiregasmLib, WiregasmLoader } from '@goodtools/wiregasm';
import { instantiateFrom } from '../core/wiregasm-instantiate.js';

const require = createRequire(import.meta.url);
const dist = dirname(require.resolve('@goodtools/wiregasm/dist/wiregasm.js'));

/** Compiles wiregasm's 69 MB of WebAssembly (~0.5 s); the module can be shared with helpers. */
export function compileWiregasmNode(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(readFileSync(join(dist, 'wiregasm.wasm')));
}

/** A wiregasm instance; from `compiled` when given (segment helpers skip the compile). */
export async function loadWiregasmNode(compiled?: WebAssembly.Module): Promise<WiregasmLib> {
  const module = compiled ?? (await compileWiregasmNode());
  const loader = require('@goodtools/wiregasm/dist/wiregasm.js') as WiregasmLoader;
  const data = readFileSync(join(dist, 'wiregasm.data'));
  const lib = await loader({
    instantiateWasm: instantiateFrom(module),
    getPreloadedPackage: () => data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    print: () => undefined,
    printErr: () => undefined,
    handleStatus: () => undefined,
  } as Parameters<WiregasmLoader>[0]);
  if (!lib.init()) throw new Error('wiregasm failed to initialise (dissector registration)');
  return lib;
}
