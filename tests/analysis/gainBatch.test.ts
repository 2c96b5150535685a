// The batches that estimate the gain (gain not given) go through the native counts preparation like every later
// batch, their stage 1 through the engine's countsStageBatchSync: their results must be those of the TypeScript
// stages (an engine without analyzeCountsBatch and countsStageBatchSync), and a batch
// still being prepared on the worker threads when the next batch fixes the gain must keep the noise terms it was
// started with (the same results as when the first batch is awaited before the second starts).
import { describe, expect, it } from 'vitest';
import { createAnalyzer, type AnalyzerConfig } from '../../src/analysis/analyzer';
import type { FrameResult } from '../../src/analysis/types';
import type { PhysicsEngine } from '../../src/physics/types';
import { countsConfig, makeShot, type TestShot } from '../support/simShot';
import { getEngine, jsEngine, nativeAvailable } from '../../src/physics';

// the engines with analyzeCountsBatch: the TypeScript one, and the native addon where it is built
const engines: PhysicsEngine[] = [jsEngine, ...(nativeAvailable() ? [getEngine('native')] : [])];
// too faint for the gain (row sums below the shot-noise regime of estimateGain), bright enough to fit
const faint = makeShot({ frames: 2000, seed: 31, width: 400, level: 30 });
// the same optics and detector, bright: the gain is estimated on this one
const bright = makeShot({ frames: 64, seed: 32, width: 400, level: 8000, cosmics: (f) => (f % 41 === 3 ? 1 : 0) });

function config(s: TestShot, withEngine: PhysicsEngine): AnalyzerConfig {
  return countsConfig(s, withEngine, { gain: null });
}

const indices = (s: TestShot, base: number) => s.frames.map((_f, i) => base + i);
const noTimes = (s: TestShot) => s.frames.map(() => null);

/** The faint batch, then the bright one: awaited one after the other, or both in flight at once. */
async function faintThenBright(withEngine: PhysicsEngine, overlapped: boolean): Promise<FrameResult[][]> {
  const analyzer = createAnalyzer(config(faint, withEngine));
  const first = analyzer.analyzeBatch(faint.frames, indices(faint, 0), noTimes(faint));
  if (!overlapped) {
    await first;
  }
  expect(analyzer.noise().gainSource).not.toBe('estimated');
  const second = analyzer.analyzeBatch(bright.frames, indices(bright, faint.frames.length), noTimes(bright));
  // the gain is fixed by the bright batch's preparation, before analyzeBatch returns
  expect(analyzer.noise().gainSource).toBe('estimated');
  const gain = analyzer.noise().gain;
  expect(Math.abs(gain / bright.gain - 1)).toBeLessThan(0.15);
  return [await first, await second];
}

describe('batches that estimate the gain, on the counts path (analyzeCountsBatch)', () => {
  it.each(engines.map((engine) => [engine.name, engine] as const))(
    '%s engine: the results of the TypeScript stages, and a batch in flight keeps its noise terms',
    async (_name, engine) => {
      expect(engine.analyzeCountsBatch).toBeTypeOf('function');
      expect(engine.countsStageBatchSync).toBeTypeOf('function');
      const tsStages: PhysicsEngine = {
        ...engine,
        analyzeCountsBatch: undefined,
        analyzeCountsBatchSync: undefined,
        countsStageBatchSync: undefined,
        gainRatios: undefined,
      };
      // stage 1 of the gain batches in the TypeScript stages (an engine without countsStageBatchSync)
      const tsStage1: PhysicsEngine = { ...engine, countsStageBatchSync: undefined };
      const reference = await faintThenBright(tsStages, false);
      const sequential = await faintThenBright(engine, false);
      const overlapped = await faintThenBright(engine, true);
      expect(await faintThenBright(tsStage1, true)).toEqual(reference);
      // the TypeScript stages 2 (planckSubBatches) after the engine's stage 1
      const engineStage1: PhysicsEngine = {
        ...engine,
        analyzeCountsBatch: undefined,
        analyzeCountsBatchSync: undefined,
      };
      expect(await faintThenBright(engineStage1, true)).toEqual(reference);
      // the faint batch is fitted, with the assumed gain (its noise terms differ from the bright batch's)
      const fitted = reference[0].filter((r) => r.temperature !== null);
      expect(fitted.length).toBeGreaterThan(1500);
      const errors = fitted.map((r) => Math.abs(r.temperature! / faint.truth[r.index] - 1)).sort((a, b) => a - b);
      expect(errors[errors.length >> 1]).toBeLessThan(0.02);
      expect(sequential).toEqual(reference);
      expect(overlapped).toEqual(reference);
    },
  );
});

if (!nativeAvailable()) {
  console.warn('gainBatch.test.ts: native addon not built: the TypeScript engine only');
}
