/**
 * The named parts of createAnalyzer, tested alone (no engine runs): resolveConfig (checks naming config fields,
 * defaults, the noise model), buildRoiPlans (pixels, response, range ends), applyNoise (noise terms of the plans),
 * decodePrepFlagsOf (the preparation's flag bits into the buffers' flag bytes).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/analysis/config';
import { applyNoise, buildRoiPlans } from '../../src/analysis/plans';
import { BufferPool } from '../../src/analysis/buffers';
import { decodePrepFlags, decodePrepFlagsOf } from '../../src/analysis/stages';
import { PREP_COSMIC, PREP_WEAK } from '../../src/quality/prepare';
import type { AnalyzerConfig } from '../../src/analysis/types';
import { ConfigError } from '../../src/errors';
import { jsEngine } from '../../src/physics';

const width = 100;
const height = 4;
/** 500.0, 502.5, … nm: pixel k at 500 + 2.5·k. */
const wavelength = Float64Array.from({ length: width }, (_v, k) => 500 + 2.5 * k);
const lamp = {
  counts: new Float64Array(width * height).fill(1000),
  frames: 3,
  radiance: new Float64Array(width).fill(2),
};

function config(extra: Partial<AnalyzerConfig> = {}): AnalyzerConfig {
  return { wavelength, width, height, lamp, engine: jsEngine, ...extra };
}

describe('resolveConfig', () => {
  it('names the config field in its errors', () => {
    const fieldOf = (extra: Partial<AnalyzerConfig>) => {
      try {
        resolveConfig(config(extra));
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).field;
      }
      return null;
    };
    expect(fieldOf({ gain: -1 })).toBe('gain');
    expect(fieldOf({ readNoise: Number.NaN })).toBe('readNoise');
    expect(fieldOf({ saturation: 0 })).toBe('saturation');
    expect(fieldOf({ range: [600, 550] })).toBe('range');
    expect(fieldOf({ range: [400, 600] })).toBe('range');
    expect(fieldOf({ weights: 'huber' as 'none' })).toBe('weights');
    expect(fieldOf({ method: 'exact' as 'wien' })).toBe('method');
    expect(fieldOf({})).toBeNull();
    expect(() => resolveConfig(config({ gain: -1 }))).toThrow(
      'gain must be a positive number of electrons per count (got -1)',
    );
  });

  it(
    'noise model: poisson with a dark, estimated from the data for excess-noise cameras, background-corrected frames ' +
      'or with neither a dark nor a read noise',
    () => {
      const dark = { counts: new Float64Array(width * height), frames: 5 };
      expect(resolveConfig(config({ dark, readNoiseFromDark: 3 })).noiseModel).toBe('poisson');
      expect(resolveConfig(config({ readNoise: 3 })).noiseModel).toBe('poisson');
      expect(resolveConfig(config()).noiseModel).toBe('estimate');
      expect(resolveConfig(config({ dark, readNoiseFromDark: 3, camera: { intensified: true } })).noiseModel).toBe(
        'estimate',
      );
      expect(
        resolveConfig(config({ dark, readNoiseFromDark: 3, camera: { electronMultiplying: true } })).noiseModel,
      ).toBe('estimate');
      expect(resolveConfig(config({ readNoise: 3, backgroundCorrected: true })).noiseModel).toBe('estimate');
      // gain and read noise both given: nothing left to estimate, even for an intensified camera
      expect(resolveConfig(config({ gain: 2, readNoise: 3, camera: { intensified: true } })).gainKnown).toBe(true);
      expect(resolveConfig(config({ gain: 2, camera: { intensified: true } })).gainKnown).toBe(false);
    },
  );

  it("weights none: σT is the engine's (already scaled), never rescaled", () => {
    expect(resolveConfig(config({ weights: 'none' })).scaleByChi2).toBe(false);
    expect(resolveConfig(config()).scaleByChi2).toBe(true);
    expect(resolveConfig(config({ gain: 2 })).scaleByChi2).toBe(false);
  });
});

describe('buildRoiPlans and applyNoise', () => {
  it("range ends snap to the nearest pixel (T-Rax's pixels), inside or just outside", () => {
    // 551 nm: nearest pixel 550.0 (k = 20), inside; 601.4 nm: nearest 602.5 (k = 41), just outside
    const [plan] = buildRoiPlans(resolveConfig(config({ range: [551, 601.4] })));
    expect(plan.used[0]).toBe(20);
    expect(plan.used[plan.used.length - 1]).toBe(41);
    expect(plan.used.length).toBe(22);
    // den = lamp row sum / lamp radiance = 4 rows × 1000 / 2
    expect(plan.den[0]).toBe(2000);
  });

  it("the noise terms: gain and read noise of the row sum, the lamp's relative variance, never a zero floor", () => {
    const cfg = resolveConfig(config({ rois: [{ name: 'DS', first: 1, last: 2 }] }));
    const plans = buildRoiPlans(cfg);
    applyNoise(plans, { gain: 2, readNoise: 3, gainSource: 'given', readNoiseSource: 'given' }, cfg);
    expect(plans[0].cp.invGain).toBe(0.5);
    expect(plans[0].cp.readVar).toBe(2 * 9);
    // lamp: 2 rows × 1000 counts, 3 frames: var = (2000/2 + 2·9) / 3, relative to 2000²
    expect(plans[0].relVarDen[0]).toBeCloseTo((1000 + 18) / 3 / 4e6, 15);
    applyNoise(plans, { gain: 2, readNoise: 0, gainSource: 'given', readNoiseSource: 'assumed' }, cfg);
    expect(plans[0].cp.readVar).toBeCloseTo(2 / 12, 15);
  });
});

describe('decodePrepFlagsOf', () => {
  it('writes each frame’s flag bytes of one ROI as decodePrepFlags does frame by frame, other slots untouched', () => {
    const n = 64;
    const nRois = 2;
    // every combination of the four bits, in a shuffled order, some frames with bits set late
    const bits = Uint8Array.from({ length: n }, (_v, f) => (f * 7 + 3) % 16);
    const plans = buildRoiPlans(resolveConfig(config()));
    const one = new BufferPool(plans).get(n * nRois, 0);
    const batch = new BufferPool(plans).get(n * nRois, 0);
    for (const b of [one, batch]) {
      for (const column of [b.sat, b.cosmic, b.corrupt, b.weak]) {
        column.fill(7);
      }
    }
    for (let f = 0; f < n; f++) {
      decodePrepFlags(bits[f], one, f * nRois + 1, PREP_COSMIC | PREP_WEAK);
    }
    decodePrepFlagsOf(bits, n, batch, nRois, 1, PREP_COSMIC | PREP_WEAK);
    for (const key of ['sat', 'cosmic', 'corrupt', 'weak'] as const) {
      expect(Array.from(batch[key])).toEqual(Array.from(one[key]));
    }
    // hand-checked: frame 1 has bits 10 = cosmic | weak; slot 0 (the other ROI) and sat/corrupt are left as they were
    expect([batch.cosmic[3], batch.weak[3], batch.sat[3], batch.cosmic[2]]).toEqual([1, 1, 7, 7]);
  });
});
