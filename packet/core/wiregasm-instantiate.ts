/**
 * Emscripten's `instantiateWasm` hook over an already compiled WebAssembly module, so the
 * viewer's worker compiles wiregasm's 69 MB once (~0.5 s) and its segment helpers reuse it.
 * Used by both loaders (Web Worker and Node).
 */
export function instantiateFrom(module: WebAssembly.Module) {
  return (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object => {
    void WebAssembly.instantiate(module, imports).then((instance) => done(instance, module));
    return {}; // the exports arrive through `done` (asynchronous instantiation)
  };
}
