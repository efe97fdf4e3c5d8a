/**
 * Process boundaries, and nothing else (no style rules). Each process sees only what it can
 * run: the page has no Node, the engine has no page, `shared/` and `packet/` run everywhere.
 *
 *   electron/  must not import renderer/          renderer/  must not import electron/
 *   shared/    no node: modules, nothing outside shared/ (its tests may use node: modules)
 *   packet/    no node: modules except its Node side (packet/node.ts, packet/node/), never
 *              renderer/ or electron/ (its system tests may use the engine's test support)
 *   'electron' (the package) only in electron/main and electron/preload
 *
 * The tsconfig.*.json files back this up with types: shared/, packet/ and the renderer have
 * no Node types, so a `node:` import there also fails `npm run typecheck`.
 * scripts/lint-boundaries.test.ts proves each rule fails on a forbidden import.
 */
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TESTS = ['**/*.test.ts', '**/*.test.tsx', '**/test-support/**'];

// Every `/` in these patterns is written \x2F: esquery (for `import()` below) ends a regex at any `/`.
const SLASH = '\\x2F';

/** Relative imports reaching into a top-level folder: `../renderer/x.js`, `../../../electron/engine/y.js`. */
const into = (folder) => `^(\\.{1,2}${SLASH})+(.*${SLASH})?${folder}(${SLASH}|$)`;

const rules = {
  renderer: { regex: into('renderer'), message: 'electron/, shared/ and packet/ must not import the renderer (it runs in the page). Move what both need to shared/ or packet/.' },
  electron: { regex: into('electron'), message: 'renderer/, shared/ and packet/ must not import electron/ (the page cannot run Node). Move what both need to shared/ or packet/.' },
  packet: { regex: into('packet'), message: 'shared/ must not import packet/.' },
  electronPackage: { regex: `^electron(${SLASH}|$)`, message: "Only electron/main and electron/preload may import 'electron'." },
  node: {
    regex: `^(node:.*|(${builtinModules.map((m) => m.replaceAll('/', SLASH)).join('|')})(${SLASH}.*)?)$`,
    message: 'This code also runs in the page or a Web Worker: no Node modules here (packet/: only its Node side, packet/node.ts and packet/node/).',
  },
};

/**
 * The settings for one area: `no-restricted-imports` (typescript-eslint's: also `import x = require()`) for static imports and re-exports, and
 * the same patterns for `import()` (no-restricted-syntax). A later matching entry below
 * replaces an earlier one's setting (flat config does not merge rule options), so each entry
 * lists every pattern its files must obey.
 */
const restrict = (...kinds) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: kinds.map((k) => ({ regex: rules[k].regex, message: rules[k].message })) }],
  'no-restricted-syntax': [
    'error',
    ...kinds.map((k) => ({ selector: `ImportExpression > Literal.source[value=/${rules[k].regex}/]`, message: rules[k].message })),
  ],
});

export default defineConfig(
  { ignores: ['node_modules/**', 'out/**', 'test-results/**', '.cache/**', 'bench/results/**'] },
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    // Everywhere by default (e2e, bench, scripts, test-support, configs): no 'electron'.
    rules: restrict('electronPackage'),
  },
  { files: ['electron/main/**', 'electron/preload/**'], rules: restrict('renderer') },
  { files: ['electron/**'], ignores: ['electron/main/**', 'electron/preload/**'], rules: restrict('renderer', 'electronPackage') },
  { files: ['renderer/**'], rules: restrict('electron', 'electronPackage', 'node') },
  { files: TESTS.map((t) => `renderer/${t}`), rules: restrict('electron', 'electronPackage') },
  { files: ['shared/**'], rules: restrict('renderer', 'electron', 'packet', 'electronPackage', 'node') },
  { files: TESTS.map((t) => `shared/${t}`), rules: restrict('renderer', 'electron', 'packet', 'electronPackage') },
  { files: ['packet/**'], rules: restrict('renderer', 'electron', 'electronPackage', 'node') },
  { files: ['packet/node.ts', 'packet/node/**'], rules: restrict('renderer', 'electron', 'electronPackage') },
  { files: TESTS.map((t) => `packet/${t}`), rules: restrict('renderer', 'electronPackage') },
);
