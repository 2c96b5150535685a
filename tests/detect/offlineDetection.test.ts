import { describe, expect, it } from 'vitest';
import { OfflineDetection, detectOffline, DetectPoint } from '../../src/detect';
import { generateCurve } from '../../src/detect/evaluate';
import { DetectInputError, UsageError } from '../../src/errors';
import { Rng } from '../../src/sim/rng';

/** A dense shot like `analyze --power` output: 100 Hz frames, power read at 50 Hz with 0.05 W noise, a plateau
 * from 25 to 31 W; a few frames flagged or without a temperature. */
function denseShot(frames: number, seed: number): DetectPoint[] {
  const rng = new Rng(seed);
  const duration = frames / 100;
  const powerAt = (t: number) => 5 + (40 * t) / duration;
  const truth = (p: number) =>
    1100 + 50 * Math.min(p, 25) + 5 * Math.max(0, Math.min(p, 31) - 25) + 50 * Math.max(0, p - 31);
  const readings: number[] = [];
  for (let k = 0; k <= duration * 50; k++) {
    readings.push(powerAt(k / 50) + 0.05 * rng.normal());
  }
  const points: DetectPoint[] = [];
  for (let i = 0; i < frames; i++) {
    const t = i / 100;
    const point: DetectPoint = {
      index: i,
      power: readings[Math.round(t * 50)],
      temperature: truth(powerAt(t)) + 2 * rng.normal(),
      temperatureError: 2,
    };
    if (i % 997 === 0) {
      point.flags = ['fit-failed'];
    }
    if (i % 1499 === 0) {
      point.temperature = NaN;
    }
    points.push(point);
  }
  return points;
}

function incrementally(points: DetectPoint[], options = {}) {
  const detection = new OfflineDetection(options);
  for (const point of points) {
    detection.push(point);
  }
  return detection.finish();
}

describe('OfflineDetection: detectOffline fed point by point', () => {
  it('gives exactly the result of detectOffline on generated curves (plateau, straight, curved)', () => {
    for (const kind of ['plateau', 'straight', 'curved'] as const) {
      for (let seed = 1; seed <= 6; seed++) {
        const points = generateCurve(kind, seed).points;
        expect(incrementally(points)).toStrictEqual(detectOffline(points));
      }
    }
  });

  it('gives exactly the result of detectOffline on a dense shot with skipped frames, and with options', () => {
    const points = denseShot(4000, 3);
    const whole = detectOffline(points);
    expect(whole.events.length).toBeGreaterThan(0); // the comparison is about a real result
    expect(whole.skippedDetail.flagged).toBeGreaterThan(0);
    expect(whole.skippedDetail.nonFinite).toBeGreaterThan(0);
    expect(incrementally(points)).toStrictEqual(whole);
    const options = { threshold: 5, minTemperature: 1500 };
    expect(incrementally(points, options)).toStrictEqual(detectOffline(points, options));
  });

  it('two detections fed in turn (shared scratch buffers) give each its own detectOffline result', () => {
    const dense = denseShot(3000, 5);
    const curve = generateCurve('plateau', 4).points;
    const first = new OfflineDetection();
    const second = new OfflineDetection();
    for (let i = 0; i < dense.length; i++) {
      first.push(dense[i]);
      if (i < curve.length) {
        second.push(curve[i]);
      }
    }
    expect(second.finish()).toStrictEqual(detectOffline(curve));
    expect(first.finish()).toStrictEqual(detectOffline(dense));
  });

  it('throws the same DetectInputError as detectOffline with too few usable points', () => {
    const points: DetectPoint[] = [];
    for (let i = 0; i < 12; i++) {
      points.push({ index: i, power: 10 + i, temperature: i < 9 ? 900 : 2000, flags: i === 11 ? ['weak'] : [] });
    }
    const expected = /^only 2 usable points \(need at least 10\); skipped: 1 flagged, 9 below 1000 K$/;
    expect(() => detectOffline(points)).toThrow(expected);
    expect(() => incrementally(points)).toThrow(expected);
    expect(() => incrementally(points)).toThrow(DetectInputError);
  });

  it('rejects a point that is not an object, and bad options when constructed', () => {
    const detection = new OfflineDetection();
    expect(() => detection.push(null as unknown as DetectPoint)).toThrow(DetectInputError);
    expect(() => detection.push(3 as unknown as DetectPoint)).toThrow(/every point must be an object/);
    expect(() => new OfflineDetection({ window: 3 })).toThrow(UsageError);
  });

  it('counts usable points as they arrive and refuses points after finish()', () => {
    const points = generateCurve('plateau', 9).points;
    const detection = new OfflineDetection();
    points.slice(0, 20).forEach((point) => detection.push(point));
    expect(detection.points).toBe(20);
    points.slice(20).forEach((point) => detection.push(point));
    detection.finish();
    expect(() => detection.push(points[0])).toThrow(/after finish/);
  });
});
