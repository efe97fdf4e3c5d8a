/**
 * The live path from a real bridge into the viewer's dissection code, with nothing missing:
 * 5,000 UDP packets replayed at 2,500 pps into a lab bridge, captured on the bridge and on a
 * booted guest's NIC through the engine with
 * `saveTo`, every `capture.chunk` posted to the viewer's worker code in
 * its own thread, as the renderer does. Viewer count, saved file and
 * packets sent must agree; any gap must equal tcpdump's kernel drop count (never silent).
 * bench/dissect runs the same at 20,000 pps.
 */
import { describe, expect, it } from 'vitest';
import { runLivePipeline, type LivePipelineResult } from '../test-support/live-pipeline.js';

const PACKETS = 5000;
const PPS = 2500;

describe('live capture pipeline (tcpdump → engine → viewer core)', () => {
  for (const target of ['bridge', 'nic'] as const) {
    it(`keeps every one of ${PACKETS} packets sent at ${PPS} pps, captured on the ${target === 'nic' ? "guest's NIC" : 'whole bridge'}`, async () => {
      const result: LivePipelineResult = await runLivePipeline(PACKETS, PPS, target);
      console.log(`live pipeline (${target}): ${JSON.stringify(result)}`);
      expect(result.sent).toBe(PACKETS);
      expect(result.kernelDrops).not.toBeNull();
      // The viewer holds exactly what tcpdump captured and wrote to the file…
      expect(result.viewer).toBe(result.saved);
      expect(result.captured).toBe(result.saved);
      // …and whatever did not make it is the kernel drop count tcpdump reported.
      expect(result.sent - result.saved).toBe(result.kernelDrops);
      expect(result.saved).toBe(PACKETS);
      expect(result.tailDissected).toBe(true);
      expect(result.sentPps).toBeGreaterThan(PPS * 0.8);
    }, 90_000);
  }
});
