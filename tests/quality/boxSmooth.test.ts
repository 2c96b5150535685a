/**
 * boxSmooth (src/quality/prepare.ts; the native twin is checked bit for bit through the preparation in
 * prepareEdges.test.ts): the mean of the 2·h+1 pixels around each pixel, of those present at the ends.
 */
import { describe, expect, it } from 'vitest';
import { boxSmooth } from '../../src/quality/prepare';

/** The mean of s[k−h..k+h] ∩ [0, n), from the integer sum (exact for these small integers). */
function windowMean(s: number[], h: number, k: number): number {
  const window = s.slice(Math.max(0, k - h), Math.min(s.length, k + h + 1));
  return window.reduce((sum, v) => sum + v, 0) / window.length;
}

describe('boxSmooth', () => {
  const values = [7, -3, 12, 40, 1, 0, 9, 100, -25, 6, 3];

  it.each([
    [1, 2],
    [4, 2],
    [5, 2],
    [6, 2],
    [11, 2],
    [11, 1],
    [11, 0],
    [3, 5],
  ])('n = %i, h = %i: the mean of the window present', (n, h) => {
    const s = values.slice(0, n);
    const off = 3;
    const padded = Float64Array.from([1e6, 1e6, 1e6, ...s, 1e6]); // values outside [off, off + n) never read
    const out = new Float64Array(n);
    boxSmooth(padded, off, n, h, out);
    for (let k = 0; k < n; k++) {
      const expected = windowMean(s, h, k);
      expect(Math.abs(out[k] - expected)).toBeLessThanOrEqual(Math.abs(expected) * 2 ** -52);
    }
  });

  it('a constant row stays exactly constant (no drift along the row)', () => {
    const n = 5000;
    const s = new Float64Array(n).fill(0.1);
    s[10] = 1e12; // a running sum would carry this value's rounding along the row
    const out = new Float64Array(n);
    boxSmooth(s, 0, n, 2, out);
    for (let k = 13; k + 2 < n; k++) {
      expect(out[k]).toBe((0.1 + 0.1 + 0.1 + 0.1 + 0.1) * (1 / 5));
    }
  });
});
