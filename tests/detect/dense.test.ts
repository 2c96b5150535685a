import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng';
import { SlopeChangeDetector } from '../../src/detect/detector';
import { detectOffline } from '../../src/detect';
import type { DetectPoint } from '../../src/detect/types';

// The structure of `pyrolive analyze --power` output on a dense simulated shot: frames at 100 Hz, the power read
// at 50 Hz with 0.05 W noise and paired to each frame by nearest time (consecutive frames share a reading),
// 2 K temperature noise; T = 1100 + 50·P with the slope ×0.1 from 25 to 31 W. Before the effect-size criterion
// and the power-noise span, the detector reported several spurious slope changes here.
function denseShot(frames: number, seed: number, powerNoise = 0.05): DetectPoint[] {
  const rng = new Rng(seed);
  const dur = frames / 100; // s
  const P = (t: number) => 5 + (40 * t) / dur;
  const T = (p: number) =>
    1100 + 50 * Math.min(p, 25) + 5 * Math.max(0, Math.min(p, 31) - 25) + 50 * Math.max(0, p - 31);
  const readings: number[] = [];
  for (let k = 0; k <= dur * 50; k++) {
    readings.push(P(k / 50) + powerNoise * rng.normal());
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

  it('read-back jitter does not split the 0.1 W bins: ~50 frames each, 40 W of ramp in ~400 bins', () => {
    // a bin ends when the power, averaged over enough readings for σP, has moved by binWidth; on the raw reading
    // (σP = 0.05 W against binWidth = 0.1 W) the 20 000 frames used to make ~1700 bins of ~11 frames
    for (const powerNoise of [0.02, 0.05]) {
      const det = new SlopeChangeDetector();
      for (const p of denseShot(20000, 4, powerNoise)) {
        det.push(p);
      }
      expect(det.bins).toBeGreaterThan(340);
      expect(det.bins).toBeLessThan(460);
      const used = det.usedPoints();
      const frames = used.map((q) => q.frames).sort((a, b) => a - b);
      expect(frames[frames.length >> 1]).toBeGreaterThanOrEqual(40); // median frames per bin
      expect(frames[frames.length >> 1]).toBeLessThanOrEqual(60);
      // bins follow the ramp: their mean powers increase (a bin is consecutive frames of one power step)
      const steps = used.slice(20).map((q, i) => q.power - used[19 + i].power);
      expect(steps.filter((step) => step <= 0).length).toBeLessThan(steps.length / 50);
    }
  });

  it('read-back noise as large as binWidth (σP = 0.1 W) still bins the frames instead of using them one by one', () => {
    const det = new SlopeChangeDetector();
    for (const p of denseShot(20000, 4, 0.1)) {
      det.push(p);
    }
    expect(det.bins).toBeLessThan(1500); // frame by frame would be ~13 000 points of 0.1 W noise
    expect(det.powerNoise).toBeGreaterThan(0.08);
    expect(det.powerNoise).toBeLessThan(0.13);
  });

  it('estimates the power noise from the readings (σP ≈ 0.05 W)', () => {
    const det = new SlopeChangeDetector();
    for (const p of denseShot(2000, 3)) {
      det.push(p);
    }
    expect(det.powerNoise).toBeGreaterThan(0.04);
    expect(det.powerNoise).toBeLessThan(0.065);
  });
});
