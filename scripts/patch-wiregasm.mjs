#!/usr/bin/env node
/**
 * Makes @goodtools/wiregasm's JavaScript glue (dist/wiregasm.js) call into WebAssembly the way
 * Emscripten's release builds do. Runs as npm's `postinstall`, so `npm ci` leaves it patched.
 *
 * Why: wiregasm 1.9.1 ships the glue of an ASSERTIONS build. Every call from C into JS and
 * back (Wireshark's TRY/CATCH goes through `invoke_*` → `dynCall_*` on each dissector call,
 * and embind's getters through `getDynCaller`) ran an assertion wrapper, `apply`, array copies
 * and, in `dynCallLegacy`, a regular expression. Profiled on bench/dissect that glue was ~25%
 * of the time: listing 50,000 packets went from 99 to 64 µs per packet, filtering from 62 to
 * 50 µs, with the same .wasm and the same results.
 *
 * What changes (nothing in the .wasm):
 * - each `createExportWrapper("x")` export becomes Emscripten's release-mode lazy binding: the
 *   first call replaces the variable with the raw WebAssembly export;
 * - `dynCallLegacy` loses its per-call assertions, `getWasmTableEntry` its table re-read;
 * - `getDynCaller` builds the argument list directly instead of Object.assign + concat.
 *
 * Every replacement checks the exact upstream text first: after a wiregasm upgrade this stops
 * with a message instead of silently patching something else. Re-running is a no-op.
 * Dependency-free on purpose (patch-package would add 52 packages for one file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const MARKER = '/* wirebench: release-mode glue (scripts/patch-wiregasm.mjs) */';

/** Exact text replacements: [what it fixes, upstream text, replacement]. */
const REPLACEMENTS = [
  [
    'dynCallLegacy assertions',
    `  function dynCallLegacy(sig, ptr, args) {
      assert(('dynCall_' + sig) in Module, 'bad function pointer type - dynCall function not found for sig \\'' + sig + '\\'');
      if (args && args.length) {
        // j (64-bit integer) must be passed in as two numbers [low 32, high 32].
        assert(args.length === sig.substring(1).replace(/j/g, '--').length);
      } else {
        assert(sig.length == 1);
      }
`,
    `  function dynCallLegacy(sig, ptr, args) {
`,
  ],
  [
    'getWasmTableEntry re-read',
    `      assert(wasmTable.get(funcPtr) == func, "JavaScript-side Wasm function table mirror is out of date!");
`,
    '',
  ],
  [
    'getDynCaller argument copies',
    `  function getDynCaller(sig, ptr) {
      var argCache = [];
      return function() {
        argCache.length = 0;
        Object.assign(argCache, arguments);
        return dynCall(sig, ptr, argCache);
      };
    }`,
    `  function getDynCaller(sig, ptr) {
      var name = 'dynCall_' + sig;
      return function() {
        var args = [ptr];
        for (var i = 0; i < arguments.length; i++) args.push(arguments[i]);
        return Module[name].apply(null, args);
      };
    }`,
  ],
];

/** `var x = [Module["x"] = ]createExportWrapper("name");` — the assertion-wrapped exports. */
const EXPORT_WRAPPER = /^var (\w+) = (Module\["\w+"\] = )?createExportWrapper\("(\w+)"\);$/gm;
/** How many exports wiregasm 1.9.1 wraps; a different count means a different glue file. */
const EXPECTED_EXPORTS = 65;

export function patchGlue(source) {
  if (source.startsWith(MARKER)) return { source, changed: false };
  let out = source;
  for (const [what, upstream, replacement] of REPLACEMENTS) {
    const at = out.indexOf(upstream);
    if (at < 0 || out.indexOf(upstream, at + 1) >= 0) throw new Error(`patch-wiregasm: ${what}: the upstream text was not found exactly once`);
    out = out.replace(upstream, replacement);
  }
  let exports = 0;
  out = out.replace(EXPORT_WRAPPER, (_line, variable, moduleAssign, name) => {
    exports++;
    const alsoModule = moduleAssign ? `Module["${variable}"] = ` : '';
    return `var ${variable} = ${alsoModule}function() { return (${variable} = ${alsoModule}Module["asm"]["${name}"]).apply(null, arguments); };`;
  });
  if (exports !== EXPECTED_EXPORTS) throw new Error(`patch-wiregasm: found ${exports} wrapped exports, expected ${EXPECTED_EXPORTS}`);
  return { source: `${MARKER}\n${out}`, changed: true };
}

export function gluePath() {
  return createRequire(import.meta.url).resolve('@goodtools/wiregasm/dist/wiregasm.js');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = gluePath();
  try {
    const { source, changed } = patchGlue(readFileSync(path, 'utf8'));
    if (changed) writeFileSync(path, source);
    console.log(`patch-wiregasm: ${changed ? 'patched' : 'already patched'} ${path}`);
  } catch (err) {
    console.error(`${err.message} in ${path}.\npatch-wiregasm: this script knows @goodtools/wiregasm 1.9.1's glue; after an upgrade, re-profile (bench/dissect) and update or drop it.`);
    process.exit(1);
  }
}
