// native/vexp.h: the exp of the vectorised Planck pass (expFma: its polynomial in fused multiply-adds), in each
// variant this processor runs, against Math.exp: the special values and the overflow/underflow edges exactly, and
// within 1 ulp on random arguments over the whole range and over the range of the fits (b/T of 0.1–100).
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/physics';

const vectorExp = loadNative().addon?.vectorExp;
type Variant = 'best' | 'avx512' | 'avx2' | 'generic';

/** |a − b| in units in the last place (both finite, same sign: ordered bit patterns). */
function ulpDistance(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const d = bits[0] - bits[1];
  return Number(d < 0n ? -d : d);
}

/** Evenly spread arguments in [lo, hi) from a fixed linear congruential sequence. */
function uniform(count: number, lo: number, hi: number): Float64Array {
  let state = 2026;
  return Float64Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return lo + (hi - lo) * (state / 2147483648);
  });
}

function run(x: Float64Array, variant: Variant): Float64Array {
  const out = new Float64Array(x.length);
  vectorExp!(x, out, variant);
  return out;
}

function worstUlp(x: Float64Array, variant: Variant): number {
  const out = run(x, variant);
  let worst = 0;
  x.forEach((value, i) => {
    worst = Math.max(worst, ulpDistance(out[i], Math.exp(value)));
  });
  return worst;
}

const variants: Variant[] = vectorExp
  ? (['best', 'avx512', 'avx2', 'generic'] as const).filter((variant) => {
      try {
        vectorExp(new Float64Array(1), new Float64Array(1), variant);
        return true;
      } catch {
        return false;
      }
    })
  : [];

describe.skipIf(!vectorExp)('native vexp.h against Math.exp', () => {
  it.each(variants)('%s: special values and the overflow/underflow edges as Math.exp', (variant) => {
    const x = Float64Array.from([NaN, Infinity, -Infinity, 0, -0, 1e-300, 709.78, 709.79, 710, 1000, -745.1, -745.2]);
    const out = run(x, variant);
    expect(out[0]).toBeNaN();
    expect(Array.from(out.subarray(1))).toEqual(Array.from(x.subarray(1), (v) => Math.exp(v)));
    // subnormal results (gradual underflow) within 1 ulp
    expect(worstUlp(uniform(20000, -745, -708), variant)).toBeLessThanOrEqual(1);
  });

  it.each(variants)('%s: within 1 ulp of Math.exp over [−745, 710] and over the fits’ range', (variant) => {
    expect(worstUlp(uniform(1 << 20, -745, 710), variant)).toBeLessThanOrEqual(1);
    expect(worstUlp(uniform(1 << 18, 0.1, 100), variant)).toBeLessThanOrEqual(1);
  });
});

if (!vectorExp) {
  console.warn('vexp.test.ts: native addon not built (or without vectorExp): skipped');
}
