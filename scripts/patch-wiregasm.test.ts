import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs build script without type declarations
import { gluePath, patchGlue } from './patch-wiregasm.mjs';

const installed = readFileSync(gluePath() as string, 'utf8');

describe('patch-wiregasm (release-mode glue for wiregasm)', () => {
  it('the installed glue is patched (npm ci runs it as postinstall)', () => {
    // Unpatched, every dissector call pays the assertion wrappers (~35% slower listing).
    expect(installed.startsWith('/* wirebench: release-mode glue'), 'run: node scripts/patch-wiregasm.mjs').toBe(true);
    expect(installed).not.toMatch(/= createExportWrapper\("/);
    expect(installed).toContain('var _malloc = Module["_malloc"] = function() { return (_malloc = Module["_malloc"] = Module["asm"]["malloc"]).apply(null, arguments); };');
    expect(installed).not.toContain('Object.assign(argCache, arguments)');
  });

  it('is idempotent', () => {
    expect(patchGlue(installed)).toEqual({ source: installed, changed: false });
  });

  it('refuses a glue file it does not know instead of patching something else', () => {
    const withoutMarker = installed.slice(installed.indexOf('\n') + 1);
    expect(() => patchGlue(withoutMarker)).toThrow(/dynCallLegacy assertions: the upstream text was not found exactly once/);
  });
});
