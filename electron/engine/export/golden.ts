/** Golden-file comparison for exporter tests; `UPDATE_GOLDEN=1` rewrites the files instead. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';

/** The demo lab as written in its file (defaults not filled in), for exporters to read. */
export function demoLabInput(): unknown {
  return JSON.parse(readFileSync(new URL('../../../assets/labs/demo.lab.json', import.meta.url), 'utf8'));
}

/** Compares `actual` with `<goldenDir>/<name>`. */
export function expectGolden(goldenDir: string, name: string, actual: string): void {
  const file = join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  let expected: string;
  try {
    expected = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`golden file ${file} is missing; run the test with UPDATE_GOLDEN=1 to write it`);
  }
  expect(actual, `differs from ${file}; if the change is intended, rerun with UPDATE_GOLDEN=1`).toBe(expected);
}
