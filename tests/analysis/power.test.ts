import { describe, expect, it } from 'vitest';
import { pairPower, powerLogSpan } from '../../src/analysis/power';
import { compilePowerExpr, emissivityArray } from '../../src/analysis/expr';
import { UsageError } from '../../src/errors';

describe('pairPower', () => {
  it('time log: the nearest reading in time (worked by hand)', () => {
    // readings at 0, 0.02, 0.05 s; frames at 0, 0.009, 0.011, 0.03, 0.036, 0.07 s and an unknown time
    const log = { kind: 'time' as const, key: Float64Array.from([0.05, 0, 0.02]), power: Float64Array.from([3, 1, 2]) };
    const p = pairPower([0, 0.009, 0.011, 0.03, 0.036, 0.07, null], log);
    // 0 → 1; 0.009 (closer to 0) → 1; 0.011 (closer to 0.02) → 2; 0.03 (0.01 from 0.02) → 2; 0.036 (0.014 from 0.05) → 3;
    // 0.07 beyond the end → 3; null → NaN
    expect(Array.from(p.subarray(0, 6))).toEqual([1, 1, 2, 2, 3, 3]);
    expect(p[6]).toBeNaN();
  });
  it('a tie goes to the earlier reading; before the first reading → the first', () => {
    const log = { kind: 'time' as const, key: Float64Array.from([1, 2]), power: Float64Array.from([10, 20]) };
    expect(Array.from(pairPower([1.5, 0.2], log))).toEqual([10, 10]);
  });
  it('frame log: by frame number, nearest logged frame otherwise; NaN readings are skipped', () => {
    const log = {
      kind: 'frame' as const,
      key: Float64Array.from([0, 10, 20, 30]),
      power: Float64Array.from([5, 6, NaN, 8]),
    };
    expect(Array.from(pairPower([0, 10, 12, 19, 26, 31], log))).toEqual([5, 6, 6, 6, 8, 8]);
  });
  it('empty log → NaN', () => {
    expect(pairPower([1], { kind: 'time', key: new Float64Array(0), power: new Float64Array(0) })[0]).toBeNaN();
  });
});

describe('user expressions (mathjs)', () => {
  it('--power-expr turns the logged value into watts', () => {
    const f = compilePowerExpr('x / 100 * 42 + 0.5');
    expect(f(50)).toBeCloseTo(21.5, 12);
    expect(compilePowerExpr('sqrt(x) * 2')(16)).toBe(8);
  });
  it('--emissivity is evaluated once per pixel', () => {
    const e = emissivityArray('1 - 2e-4 * (lambda - 700)', Float64Array.from([600, 700, 800]));
    expect(Array.from(e)).toEqual([1.02, 1, 0.98].map((v) => expect.closeTo(v, 12)) as unknown as number[]);
  });
  it('bad expressions are clear UsageErrors', () => {
    expect(() => compilePowerExpr('x *')).toThrow(UsageError);
    expect(() => compilePowerExpr('x *')).toThrow(/--power-expr: cannot parse/);
    expect(() => compilePowerExpr('y + 1')).toThrow(/unknown symbol "y".*only variable is x/);
    expect(() => compilePowerExpr('')).toThrow(/empty/);
    expect(() => compilePowerExpr('a = 3')).toThrow(/--power-expr/);
    expect(() => compilePowerExpr('[x, 1]')).toThrow(/does not give a number/);
    expect(() => emissivityArray('lambda +', Float64Array.from([600]))).toThrow(/--emissivity: cannot parse/);
    expect(() => emissivityArray('x * 2', Float64Array.from([600]))).toThrow(/unknown symbol "x"/);
    expect(() => emissivityArray('1 - 0.01 * (lambda - 600)', Float64Array.from([600, 700]))).toThrow(
      /--emissivity.*0 at 700\.0 nm.*positive/,
    );
    expect(() => emissivityArray('log(lambda - 650)', Float64Array.from([600, 700]))).toThrow(/--emissivity/);
  });
});

describe('pairPower: the span of the log', () => {
  it('frame log: frames beyond the last logged frame by more than the median spacing get NaN (worked by hand)', () => {
    // logged frames 0, 10, 20: spacing 10, span −10…30
    const log = { kind: 'frame' as const, key: Float64Array.from([0, 10, 20]), power: Float64Array.from([1, 2, 3]) };
    const p = Array.from(pairPower([0, 14, 16, 29, 30, 31, 100], log));
    expect(p.slice(0, 5)).toEqual([1, 2, 3, 3, 3]);
    expect(p.slice(5).every(Number.isNaN)).toBe(true);
    expect(powerLogSpan(log)).toEqual([-10, 30]);
  });
  it('one reading: only its own time pairs; no usable reading: no span', () => {
    const one = { kind: 'time' as const, key: Float64Array.from([2]), power: Float64Array.from([7]) };
    expect(Array.from(pairPower([2, 2.001], one)).map((x) => (Number.isNaN(x) ? null : x))).toEqual([7, null]);
    expect(powerLogSpan({ kind: 'time', key: Float64Array.from([1]), power: Float64Array.from([NaN]) })).toBeNull();
  });
});
