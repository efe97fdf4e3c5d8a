#!/usr/bin/env node
// Runs the whole suite with vitest and ends with the plain `N passed, N failed` line CI reads
// (vitest's own summary is not a format CI parses). Extra arguments go to vitest.
// Before it, one line of what the tests did to the program: faults injected, bad inputs tried,
// objects leaked (summed from test-results/tally.jsonl, test-support/suite-tally.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, rmSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const tallyFile = 'test-results/tally.jsonl';
rmSync(tallyFile, { force: true });
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests;
  skipped = results.numPendingTests + results.numTodoTests;
  // A file that fails without a failed test (it did not load, or a beforeAll/afterAll hook threw
  // and its tests were skipped) is still a failure.
  failed += results.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed')).length;
} catch (err) {
  console.error(`could not read the test report ${report}: ${err.message}`);
  failed += 1;
}
const totals = { faults: 0, badInputs: 0, leaked: 0 };
try {
  for (const line of readFileSync(tallyFile, 'utf8').split('\n').filter(Boolean)) {
    const entry = JSON.parse(line);
    for (const key of Object.keys(totals)) totals[key] += Number(entry[key] ?? 0);
  }
} catch (err) {
  if (err.code !== 'ENOENT') console.error(`could not read the tally ${tallyFile}: ${err.message}`);
}
// A leak found is a failure even if the test that found it did not fail.
if (totals.leaked > 0) failed += 1;
console.log(`\nfaults injected: ${totals.faults}, bad inputs tried: ${totals.badInputs}, objects leaked: ${totals.leaked}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
