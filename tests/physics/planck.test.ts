/**
 * Planck's law (src/physics/planck.ts) against laws derived from it independently: Wien's displacement law for
 * the peak, the Stefan–Boltzmann law for the integral, and Wien's approximation far in the tail; planckCurve is
 * s·L on a grid.
 */
import { describe, expect, it } from 'vitest';
import { FitArgumentError } from '../../src/errors';
import { C1, C2, planckCurve, planckRadiance } from '../../src/physics/planck';
import { planckRadiance as simPlanckRadiance } from '../../src/sim/spectrum';

const WIEN_B = 2.897771955e-3; // m K (CODATA 2018)
const SIGMA = 5.670374419e-8; // W m⁻² K⁻⁴ (CODATA 2018)

describe("Planck's law", () => {
  it('peaks where Wien displacement puts it: λmax·T = b', () => {
    for (const temperature of [1500, 2500, 4000]) {
      const expectedNm = (WIEN_B / temperature) * 1e9;
      const step = 0.01;
      let best = 0;
      let bestNm = 0;
      for (let nm = expectedNm * 0.8; nm <= expectedNm * 1.2; nm += step) {
        const radiance = planckRadiance(nm, temperature);
        if (radiance > best) {
          best = radiance;
          bestNm = nm;
        }
      }
      expect(Math.abs(bestNm - expectedNm)).toBeLessThan(2 * step);
    }
  });

  it('integrates to σT⁴/π over wavelength (Stefan–Boltzmann)', () => {
    const temperature = 3000;
    // trapezoid on 1 nm … 200 µm in 0.5 nm steps: the tails beyond hold < 1e-6 of the total
    let total = 0;
    const stepNm = 0.5;
    let previous = planckRadiance(1, temperature);
    for (let nm = 1 + stepNm; nm <= 200_000; nm += stepNm) {
      const radiance = planckRadiance(nm, temperature);
      total += 0.5 * (previous + radiance) * stepNm * 1e-9;
      previous = radiance;
    }
    expect(Math.abs(total / ((SIGMA * temperature ** 4) / Math.PI) - 1)).toBeLessThan(1e-4);
  });

  it("tends to Wien's approximation c1/λ⁵·exp(−c2/λT) when c2/λT ≫ 1", () => {
    const nm = 400;
    const temperature = 1000;
    const lm = nm * 1e-9;
    const wien = (C1 / lm ** 5) * Math.exp(-C2 / (lm * temperature));
    expect(Math.abs(planckRadiance(nm, temperature) / wien - 1)).toBeLessThan(1e-15);
  });

  it('the simulator uses the same function (one definition)', () => {
    expect(simPlanckRadiance).toBe(planckRadiance);
  });

  it('planckCurve is s·L on the grid and rejects bad arguments', () => {
    const grid = Float64Array.from([500, 650, 800]);
    const curve = planckCurve(grid, 2500, 3e-7);
    grid.forEach((nm, i) => expect(curve[i]).toBe(3e-7 * planckRadiance(nm, 2500)));
    expect(() => planckCurve(grid, 0, 1)).toThrow(FitArgumentError);
    expect(() => planckCurve(grid, 2500, Number.NaN)).toThrow(FitArgumentError);
    expect(() => planckCurve([500] as unknown as Float64Array, 2500, 1)).toThrow(FitArgumentError);
  });
});
