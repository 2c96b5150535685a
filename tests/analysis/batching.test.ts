// The batch path's internal structure must not change any result: sub-batches of the native fits (several per
// analyzeBatch call), the two-colour computed inside the Planck batch, and frames given as integer typed-array
// views (as the SPE chunk reader hands them over) instead of Float64Array copies.
import { describe, expect, it } from 'vitest';
import { createAnalyzer, type AnalyzerConfig } from '../../src/analysis/analyzer';
import { countsConfig, makeShot, type TestShot } from '../support/simShot';
import { testEngine } from '../support/testEngine';

const engine = testEngine();
const shot = makeShot({ frames: 300, seed: 23, width: 400, cosmics: (f) => (f % 37 === 5 ? 2 : 0) });

function config(s: TestShot, extra: Partial<AnalyzerConfig> = {}): AnalyzerConfig {
  return countsConfig(s, engine, { gain: 2, ...extra });
}

describe('batch path: same results however the frames are batched or typed', () => {
  it('300 frames in one call (several native sub-batches) = frame by frame; Uint16Array views = Float64Array', async () => {
    const idx = shot.frames.map((_f, i) => i);
    const nulls = shot.frames.map(() => null);
    const batch = await createAnalyzer(config(shot)).analyzeBatch(shot.frames, idx, nulls);
    // the simulator's counts are integers in the uint16 range: the same frames as the reader's views
    const u16 = shot.frames.map((f) => Uint16Array.from(f));
    expect(u16.every((u, k) => u.every((v, i) => v === shot.frames[k][i]))).toBe(true);
    const viaU16 = await createAnalyzer(config(shot)).analyzeBatch(u16, idx, nulls);
    expect(viaU16).toEqual(batch);
    const single = createAnalyzer(config(shot));
    const one = shot.frames.map((f, i) => single.analyzeFrame(f, i, null));
    expect(one.length).toBe(300);
    for (let i = 0; i < 300; i++) {
      expect(one[i].flags).toEqual(batch[i].flags);
      expect(one[i].temperature).toBe(batch[i].temperature);
      expect(one[i].temperatureError).toBe(batch[i].temperatureError);
      expect(one[i].twoColor).toEqual(batch[i].twoColor);
    }
    // the two-colour is there on the good frames and close to the truth
    const good = batch.filter((r) => r.twoColor !== null);
    expect(good.length).toBeGreaterThan(250);
    expect(batch.filter((r) => r.flags.includes('cosmic')).length).toBeGreaterThan(3);
    for (const r of good) {
      expect(Math.abs(r.twoColor!.mean / shot.truth[r.index] - 1)).toBeLessThan(0.05);
    }
    // --no-two-color: no two-colour, the fits unchanged
    const noTc = await createAnalyzer(config(shot, { twoColor: false })).analyzeBatch(shot.frames, idx, nulls);
    expect(noTc.every((r) => r.twoColor === null)).toBe(true);
    expect(noTc.map((r) => r.temperature)).toEqual(batch.map((r) => r.temperature));
  });
});
