/** Shared by benchmarks: print one JSON line and keep it under bench/results/ for comparison. */
import { mkdirSync, writeFileSync } from 'node:fs';

export function report(name: string, result: Record<string, unknown>): void {
  const line = JSON.stringify({ bench: name, at: new Date().toISOString(), ...result });
  console.log(line);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, `${line}\n`);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
