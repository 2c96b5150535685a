/**
 * The named parts of createAnalyzer, tested alone (no engine runs): resolveConfig (checks naming config fields,
 * defaults, the noise model), buildRoiPlans (pixels, response, range ends), applyNoise (noise terms of the plans).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/analysis/config';
import { applyNoise, buildRoiPlans } from '../../src/analysis/plans';
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
