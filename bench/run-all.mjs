#!/usr/bin/env node
// `make bench`: runs every benchmark one after another (they share two cores; running them
// together would measure each other). Each prints one JSON line and writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const benches = readdirSync('bench', { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'results' && (only.length === 0 || only.includes(d.name)))
  .flatMap((d) => readdirSync(join('bench', d.name)).filter((f) => /\.bench\.ts$|-bench\.ts$/.test(f)).map((f) => join('bench', d.name, f)));

let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const run = spawnSync('npx', ['tsx', file], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    console.error(`${file} failed (exit ${run.status})`);
  }
}
process.exit(failed ? 1 : 0);
