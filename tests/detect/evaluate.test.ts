import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, generateCurve, CALIBRATION_SEED0, EvaluateSummary } from '../../src/detect/evaluate';

// Issue 4's quality targets on generated curves (seeds 1…240 per class; the threshold was calibrated on
// null curves with seeds ≥ CALIBRATION_SEED0, disjoint from these).
describe('detector quality on generated curves', () => {
  let r: EvaluateSummary;
  beforeAll(() => {
    r = evaluate({ perClass: 240, seed0: 1 });
  });

  it('finds ≥ 95 % of plateaus (kink within 2 W)', () => {
    expect(r.foundPct).toBeGreaterThanOrEqual(95);
  });
  it('≤ 5 % false alarms on straight and on curved nulls', () => {
    expect(r.falseAlarmStraightPct).toBeLessThanOrEqual(5);
    expect(r.falseAlarmCurvedPct).toBeLessThanOrEqual(5);
  });
  it('median |kink power error| ≤ 0.5 W, online and offline', () => {
    expect(r.medianKinkErrorOffline).toBeLessThanOrEqual(0.5);
    expect(r.medianKinkErrorOnline).toBeLessThanOrEqual(0.5);
  });
  it('median latency ≤ 10 points after the true kink', () => {
    expect(r.medianLatency).toBeLessThanOrEqual(10);
    expect(r.medianLatency).toBeGreaterThan(0); // a kink cannot be confirmed before points beyond it exist
  });
  it('reported kink uncertainties are honest (pull spread ≈ 1)', () => {
    expect(r.kinkPullSpread).toBeGreaterThan(0.75);
    expect(r.kinkPullSpread).toBeLessThan(1.3);
  });
  it('the generator follows the issue', () => {
    expect(CALIBRATION_SEED0).toBeGreaterThan(r.seed0 + r.perClass);
    for (let s = 1; s <= 50; s++) {
      const c = generateCurve('plateau', s);
      expect(c.points.length).toBeGreaterThanOrEqual(60);
      expect(c.points.length).toBeLessThanOrEqual(160);
      expect(c.plateau!.start).toBeGreaterThanOrEqual(15);
      expect(c.plateau!.start).toBeLessThanOrEqual(30);
      expect(c.plateau!.end - c.plateau!.start).toBeGreaterThanOrEqual(6);
      expect(c.plateau!.end - c.plateau!.start).toBeLessThanOrEqual(10);
      expect(c.plateau!.ratio).toBeLessThanOrEqual(0.35);
      expect(c.slope).toBeGreaterThanOrEqual(60);
      expect(c.slope).toBeLessThanOrEqual(140);
    }
  });
});
