// native/vlog.h: the vectorised log of the sliding two-colour and of the fit's start. It follows fdlibm's e_log.c
// (V8's Math.log) step for step, so it must give exactly Math.log's double — on the special values, on the
// subnormals and at the reduction's boundaries, and on random values of every exponent — in each compiled variant
// (AVX-512, AVX2, generic) this processor can run.
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/physics';
import { randomBits } from '../support/randomBits';

const addon = loadNative().addon;
const vectorLog = addon?.vectorLog;

/** Values in [lo, hi) spread evenly on a log scale (lo > 0). */
function logSpaced(count: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: count }, (_v, i) => lo * Math.pow(hi / lo, i / count));
}

const SPECIAL = [
  0,
  -0,
  -1,
  -Number.MIN_VALUE,
  -Infinity,
  NaN,
  Infinity,
  1,
  2,
  0.5,
  Math.E,
  Number.MIN_VALUE, // the least subnormal
  2.2250738585072014e-308, // the least normal
  2.225073858507201e-308, // the greatest subnormal
  1e-310,
  Number.MAX_VALUE,
  1e300,
  Math.SQRT2,
  Math.SQRT1_2,
  1 + Number.EPSILON,
  1 - Number.EPSILON / 2,
  1 + 2 ** -20,
  1 - 2 ** -20,
  1 + 2 ** -21,
  1 + 3 * 2 ** -21,
  // the thresholds of fdlibm's branches on the high word (0x6147a, 0x6b851, the √2 split 0x6a09e)
  ...[0x6147a, 0x6b851, 0x6a09e, 0x6a09f, 0x95f64].flatMap((word) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0x3ff00000 | word);
    view.setUint32(4, 0);
    const at = view.getFloat64(0);
    return [at, at * (1 + Number.EPSILON), at * (1 - Number.EPSILON / 2), at * 64, at / 1024];
  }),
];

/** Indices where the variant's result is not Math.log's (NaN equals NaN). */
function mismatches(x: Float64Array, variant: 'best' | 'avx512' | 'avx2' | 'generic'): number[] {
  const out = new Float64Array(x.length);
  vectorLog!(x, out, variant);
  const bad: number[] = [];
  x.forEach((value, i) => {
    if (!Object.is(out[i], Math.log(value))) {
      bad.push(i);
    }
  });
  return bad;
}

/** The variants this processor runs (vectorLog throws RangeError for the others). */
function runnableVariants(): ('best' | 'avx512' | 'avx2' | 'generic')[] {
  return (['best', 'avx512', 'avx2', 'generic'] as const).filter((variant) => {
    try {
      vectorLog!(new Float64Array(1), new Float64Array(1), variant);
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      return false;
    }
  });
}

describe.skipIf(!vectorLog)('native vlog.h against Math.log', () => {
  const variants = vectorLog ? runnableVariants() : [];

  it('runs the generic variant and the best one at least', () => {
    expect(variants).toContain('best');
    expect(variants).toContain('generic');
  });

  it.each(variants)('%s: special values, subnormals and the branch thresholds equal Math.log', (variant) => {
    const x = Float64Array.from(SPECIAL);
    expect(mismatches(x, variant).map((i) => x[i])).toEqual([]);
    const out = new Float64Array(x.length);
    vectorLog!(x, out, variant);
    expect(out[0]).toBe(-Infinity);
    expect(out[1]).toBe(-Infinity);
    expect(out[2]).toBeNaN();
    expect(out[5]).toBeNaN();
    expect(out[6]).toBe(Infinity);
    expect(Object.is(out[7], 0)).toBe(true);
  });

  it.each(variants)('%s: 2^20 random bit patterns (every exponent, negatives, NaNs) equal Math.log', (variant) => {
    const x = new Float64Array(randomBits(1 << 20, 0x9e3779b97f4a7c15n).buffer);
    expect(mismatches(x, variant).length).toBe(0);
  });

  it.each(variants)('%s: values near 1, subnormals and a radiance-like range equal Math.log', (variant) => {
    const nearOne = Float64Array.from({ length: 200000 }, (_v, i) => 1 + (i - 100000) * 2 ** -40);
    expect(mismatches(nearOne, variant).length).toBe(0);
    expect(mismatches(logSpaced(200000, Number.MIN_VALUE, 2.2250738585072014e-308), variant).length).toBe(0);
    expect(mismatches(logSpaced(200000, 1e-30, 1e10), variant).length).toBe(0);
  });

  it('refuses bad arguments with JS errors', () => {
    expect(() => vectorLog!(new Float64Array(2), new Float64Array(3))).toThrow(RangeError);
    expect(() => vectorLog!([1, 2] as unknown as Float64Array, new Float64Array(2))).toThrow(TypeError);
    expect(() => vectorLog!(new Float64Array(2), new Float64Array(2), 'sse9' as 'best')).toThrow(RangeError);
    expect(() => vectorLog!(new Float64Array(2), new Float64Array(2), 3 as unknown as 'best')).toThrow(TypeError);
  });
});

if (!vectorLog) {
  console.warn('vlog.test.ts: native addon not built (or without vectorLog): skipped');
}
