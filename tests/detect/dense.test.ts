import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng';
import { SlopeChangeDetector } from '../../src/detect/detector';
import { detectOffline } from '../../src/detect';
import type { DetectPoint } from '../../src/detect/types';

// The structure of `pyrolive analyze --power` output on a dense simulated shot: frames at 100 Hz, the power read
// at 50 Hz with 0.05 W noise and paired to each frame by nearest time (consecutive frames share a reading),
// 2 K temperature noise; T = 1100 + 50·P with the slope ×0.1 from 25 to 31 W. Before the effect-size criterion
// and the power-noise span, the detector reported several spurious slope changes here.
function denseShot(frames: number, seed: number): DetectPoint[] {
  const rng = new Rng(seed);
  const dur = frames / 100; // s
  const P = (t: number) => 5 + (40 * t) / dur;
  const T = (p: number) =>
    1100 + 50 * Math.min(p, 25) + 5 * Math.max(0, Math.min(p, 31) - 25) + 50 * Math.max(0, p - 31);
  const readings: number[] = [];
  for (let k = 0; k <= dur * 50; k++) {
    readings.push(P(k / 50) + 0.05 * rng.normal());
  }
  const pts: DetectPoint[] = [];
  for (let i = 0; i < frames; i++) {
    const t = i / 100;
    const reading = readings[Math.round(t * 50)];
    pts.push({ index: i, power: reading, temperature: T(P(t)) + 2 * rng.normal(), temperatureError: 2 });
  }
  return pts;
}

describe('dense real-pipeline-like shot (100 Hz frames, 50 Hz power with 0.05 W noise, 2 K scatter)', () => {
  for (const [frames, seed] of [
    [2000, 7],
    [20000, 7],
    [20000, 11],
  ] as const) {
    it(`${frames} frames, seed ${seed}: exactly one event, the plateau, kink within 0.2 W — online and offline`, () => {
      const pts = denseShot(frames, seed);
      const det = new SlopeChangeDetector();
      const news: number[] = [];
      for (const p of pts) {
        for (const u of det.push(p)) {
          if (u.type === 'new') {
            news.push(u.event.id);
          }
        }
      }
      expect(news).toHaveLength(1); // no spurious event even transiently, while the shot runs
      const r = detectOffline(pts);
      expect(r.events).toHaveLength(1);
      const e = r.events[0];
      expect(e.kind).toBe('plateau');
      expect(Math.abs(e.startPower - 25)).toBeLessThan(0.2);
      expect(e.endPower).not.toBeNull();
      expect(Math.abs(e.endPower! - 31)).toBeLessThan(0.2);
      expect(e.slopeAfter / e.slopeBefore).toBeLessThan(0.35);
    });
  }

  it('estimates the power noise from the readings (σP ≈ 0.05 W)', () => {
    const det = new SlopeChangeDetector();
    for (const p of denseShot(2000, 3)) {
      det.push(p);
    }
    expect(det.powerNoise).toBeGreaterThan(0.04);
    expect(det.powerNoise).toBeLessThan(0.065);
  });
});
