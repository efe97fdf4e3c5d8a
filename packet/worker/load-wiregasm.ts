/**
 * Loads wiregasm inside a Web Worker (the viewer's worker and its segment helpers): the .wasm
 * and .data files come from URLs Vite emits next to the bundle.
 */
import type { WiregasmLib, WiregasmLoader } from '@goodtools/wiregasm';
import loadWiregasm from '@goodtools/wiregasm/dist/wiregasm.js';
import wasmUrl from '@goodtools/wiregasm/dist/wiregasm.wasm?url';
import dataUrl from '@goodtools/wiregasm/dist/wiregasm.data?url';
import { instantiateFrom } from '../core/wiregasm-instantiate.js';

/**
 * Compiles wiregasm's WebAssembly; the module can be posted to helpers. Not compileStreaming:
 * that needs an application/wasm Content-Type, which Electron's file:// loads do not have.
 */
export async function compileWiregasmInWorker(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readBytes(wasmUrl));
}

/**
 * Chromium's fetch refuses file:// URLs, and Electron loads the app from disk: there
 * XMLHttpRequest reads the file, as Emscripten's own loader does (browser mode uses fetch).
 */
async function readBytes(url: string): Promise<ArrayBuffer> {
  if (new URL(url, self.location.href).protocol !== 'file:') {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
    return response.arrayBuffer();
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.responseType = 'arraybuffer';
    xhr.onload = () => (xhr.response instanceof ArrayBuffer && xhr.response.byteLength > 0 ? resolve(xhr.response) : reject(new Error(`could not read ${url}`)));
    xhr.onerror = () => reject(new Error(`could not read ${url}`));
    xhr.send();
  });
}

export async function loadWiregasmInWorker(compiled?: WebAssembly.Module): Promise<WiregasmLib> {
  const module = compiled ?? (await compileWiregasmInWorker());
  const lib = await (loadWiregasm as unknown as WiregasmLoader)({
    instantiateWasm: instantiateFrom(module),
    locateFile: (path: string, prefix: string) => (path.endsWith('.data') ? dataUrl : prefix + path),
    print: () => undefined,
    printErr: () => undefined,
    handleStatus: () => undefined,
  } as Parameters<WiregasmLoader>[0]);
  if (!lib.init()) throw new Error('wiregasm failed to register its dissectors');
  return lib;
}
