// wiregasm's Emscripten loader is plain UMD without typings of its own; its shape is the
// package's `WiregasmLoader`. Vite turns `?url` imports into the asset's served URL.
declare module '@goodtools/wiregasm/dist/wiregasm.js' {
  const loader: unknown;
  export default loader;
}
declare module '*?url' {
  const url: string;
  export default url;
}
