import { describe, expect, it } from 'vitest';
import { SlopeChangeDetector, detectOffline, DetectPoint, DetectorUpdate } from '../../src/detect';
import { DetectInputError, UsageError } from '../../src/errors';
import { Rng } from '../../src/sim/rng';
import { tToZ, normalQuantile, studentTwoSidedP, selectInPlace, medianInPlace, madSigma } from '../../src/detect/stats';

/** Piecewise-linear truth through (P, T) knots. */
function piecewise(knots: Array<[number, number]>): (P: number) => number {
  return (P) => {
    for (let k = 1; k < knots.length; k++) {
      const [p0, t0] = knots[k - 1];
      const [p1, t1] = knots[k];
      if (P <= p1 || k === knots.length - 1) {
        return t0 + ((t1 - t0) * (P - p0)) / (p1 - p0);
      }
    }
    return NaN;
  };
}

function ramp(
  from: number,
  to: number,
  step: number,
  f: (P: number) => number,
  opts: { noise?: number; seed?: number; repeat?: number; start?: number } = {},
): DetectPoint[] {
  const rng = new Rng(opts.seed ?? 1);
  const out: DetectPoint[] = [];
  let index = opts.start ?? 0;
  const n = Math.round(Math.abs(to - from) / step);
  for (let s = 0; s <= n; s++) {
    const P = from + Math.sign(to - from) * step * s;
    for (let r = 0; r < (opts.repeat ?? 1); r++) {
      out.push({ index: index++, power: P, temperature: f(P) + (opts.noise ?? 0) * rng.normal() });
    }
  }
  return out;
}

function run(points: DetectPoint[], opts = {}) {
  const det = new SlopeChangeDetector(opts);
  const updates: DetectorUpdate[] = [];
  for (const p of points) {
    updates.push(...det.push(p));
  }
  return { det, updates, off: det.finish() };
}

describe('SlopeChangeDetector: hand-computed cases', () => {
  it('exact hinge data gives the exact kink, slopes and a plateau', () => {
    // T = 1500 + 100 (P − 10) up to 20 W, then slope 20 K/W: ratio 0.2 < 0.5 → plateau
    const pts = ramp(
      10,
      35,
      0.5,
      piecewise([
        [10, 1500],
        [20, 2500],
        [35, 2800],
      ]),
    );
    const { updates, off } = run(pts);
    const news = updates.filter((u) => u.type === 'new');
    expect(news).toHaveLength(1);
    // kink at 20 W = point 20; 4 points after (minAfter) and 2 confirmations: detected at point 25
    expect(news[0].atIndex).toBe(25);
    expect(news[0].event.detectedAtIndex).toBe(25);
    expect(off.events).toHaveLength(1);
    const e = off.events[0];
    expect(e.kind).toBe('plateau');
    expect(e.startPower).toBeCloseTo(20, 6);
    expect(e.slopeBefore).toBeCloseTo(100, 6);
    expect(e.slopeAfter).toBeCloseTo(20, 6);
    expect(e.temperature).toBeCloseTo(2500, 4);
    expect(e.startIndex).toBe(21); // first point beyond the kink
    expect(e.endPower).toBeNull();
    expect(e.refined).toBe(true);
  });

  it('exact plateau with recovery: start and end kinks and three slopes', () => {
    const f = piecewise([
      [8, 1300],
      [20, 2500],
      [28, 2580],
      [40, 3780],
    ]); // 100, 10, 100 K/W
    const { off, updates } = run(ramp(8, 40, 0.4, f));
    expect(off.events).toHaveLength(1);
    const e = off.events[0];
    expect(e.kind).toBe('plateau');
    expect(e.startPower).toBeCloseTo(20, 5);
    expect(e.endPower).toBeCloseTo(28, 5);
    expect(e.slopeBefore).toBeCloseTo(100, 5);
    expect(e.slopeAfter).toBeCloseTo(10, 5);
    expect(e.slopeEnd).toBeCloseTo(100, 5);
    expect(updates.some((u) => u.type === 'end')).toBe(true);
    expect(e.endDetectedAtIndex).not.toBeNull();
    expect(e.endDetectedAtIndex!).toBeGreaterThan(e.detectedAtIndex);
    // segmented fit has three pieces joined continuously at the kinks
    const segs = off.fit.legs[0].segments;
    expect(segs).toHaveLength(3);
    expect(segs[0].toTemperature).toBeCloseTo(segs[1].fromTemperature, 6);
  });

  it('a moderate drop (slope 100 → 70 K/W) is a slope-change, not a plateau', () => {
    const { off } = run(
      ramp(
        10,
        40,
        0.4,
        piecewise([
          [10, 1500],
          [22, 2700],
          [40, 3960],
        ]),
        { noise: 5, seed: 3 },
      ),
    );
    expect(off.events).toHaveLength(1);
    expect(off.events[0].kind).toBe('slope-change');
    expect(off.events[0].startPower).toBeGreaterThan(21);
    expect(off.events[0].startPower).toBeLessThan(23);
  });
});

describe('SlopeChangeDetector: silence on smooth curves', () => {
  it('a straight noisy line gives no event (20 seeds)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { off } = run(ramp(5, 45, 0.3, (P) => 700 + 90 * P, { noise: 25, seed }));
      expect(off.events, `seed ${seed}`).toHaveLength(0);
    }
  });

  it('a power-law bend T ∝ P^0.88 gives no event (20 seeds)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { off } = run(ramp(5, 45, 0.3, (P) => 210 * Math.pow(P, 0.88), { noise: 15, seed }));
      expect(off.events, `seed ${seed}`).toHaveLength(0);
    }
  });

  it('points near the 1000 K floor do not fake a kink (truncation)', () => {
    // T crosses 1000 K at 6 W: below-floor points are skipped, the near-floor ones are biased high
    for (let seed = 1; seed <= 10; seed++) {
      const { off, det } = run(ramp(2, 30, 0.25, (P) => 400 + 100 * P, { noise: 30, seed }));
      expect(off.events, `seed ${seed}`).toHaveLength(0);
      expect(det.skipped.belowMinTemperature).toBeGreaterThan(10);
    }
  });
});

describe('SlopeChangeDetector: robustness', () => {
  it('±400 K outliers neither make a kink nor move a real one', () => {
    const f = piecewise([
      [8, 1300],
      [22, 2700],
      [40, 2900],
    ]);
    const pts = ramp(8, 40, 0.4, f, { noise: 20, seed: 5 });
    // 3 outliers each side of the kink, two of them adjacent
    for (const [i, d] of [
      [10, 400],
      [25, -400],
      [37, 400],
      [38, 400],
      [45, -400],
      [60, 400],
    ] as const) {
      pts[i].temperature += d;
    }
    const { off } = run(pts);
    expect(off.events).toHaveLength(1);
    expect(Math.abs(off.events[0].startPower - 22)).toBeLessThan(0.5);
    expect(off.fit.legs[0].outliers).toBeGreaterThanOrEqual(6);
    const straight = ramp(8, 40, 0.4, (P) => 500 + 100 * P, { noise: 20, seed: 6 });
    for (const [i, d] of [
      [20, 400],
      [21, 400],
      [50, -400],
      [70, 400],
      [71, -400],
    ] as const) {
      straight[i].temperature += d;
    }
    expect(run(straight).off.events).toHaveLength(0);
  });

  it('repeated powers (3 frames per step) find the kink', () => {
    const f = piecewise([
      [8, 1300],
      [24, 2900],
      [30, 2960],
      [44, 4360],
    ]);
    const { off } = run(ramp(8, 44, 0.8, f, { noise: 15, seed: 9, repeat: 3 }));
    expect(off.events).toHaveLength(1);
    const e = off.events[0];
    expect(e.kind).toBe('plateau');
    expect(Math.abs(e.startPower - 24)).toBeLessThan(0.5);
    expect(Math.abs(e.endPower! - 30)).toBeLessThan(0.5);
  });

  it('a cooling leg is its own segment, not a slope change', () => {
    const f = (P: number) => 600 + 100 * P;
    const up = ramp(8, 40, 0.4, f, { noise: 15, seed: 11 });
    const down = ramp(40, 8, 0.4, (P) => 650 + 98 * P, { noise: 15, seed: 12, start: up.length });
    const { off } = run([...up, ...down]);
    expect(off.events).toHaveLength(0);
    expect(off.fit.legs.map((l) => l.direction)).toEqual([1, -1]);
    expect(off.fit.legs[1].segments[0].slope).toBeCloseTo(98, 0);
  });

  it('flagged and non-finite points are skipped and counted', () => {
    const pts = ramp(8, 40, 0.4, (P) => 600 + 100 * P, { noise: 10, seed: 13 });
    const flags = ['corrupt', 'fit-failed', 'weak', 'saturated'];
    for (let k = 0; k < 12; k++) {
      pts[5 + 6 * k].temperature = 9000;
      pts[5 + 6 * k].flags = [flags[k % 4]];
    }
    pts[3].temperature = NaN;
    pts[4].power = Infinity;
    pts[7].flags = ['cosmic']; // not a bad flag: kept
    const { off, det } = run(pts);
    expect(off.events).toHaveLength(0);
    expect(det.skipped.flagged).toBe(12);
    expect(det.skipped.nonFinite).toBe(2);
    expect(det.points).toBe(pts.length - 14);
  });

  it('detectedAtIndex never changes while the kink is refined', () => {
    const f = piecewise([
      [8, 1300],
      [20, 2500],
      [29, 2590],
      [42, 3890],
    ]);
    const { updates } = run(ramp(8, 42, 0.3, f, { noise: 25, seed: 17 }));
    const byId = new Map<number, number>();
    let refinements = 0;
    for (const u of updates) {
      if (u.type === 'new') {
        byId.set(u.event.id, u.event.detectedAtIndex);
      } else if (u.type !== 'final') {
        refinements++;
        expect(u.event.detectedAtIndex).toBe(byId.get(u.event.id));
      }
    }
    expect(byId.size).toBe(1);
    expect(refinements).toBeGreaterThan(0);
  });
});

describe('dense frames (binning)', () => {
  it('100 frames per W on a slow ramp: the plateau is found, a straight ramp stays silent', () => {
    const f = piecewise([
      [6, 1100],
      [20, 2500],
      [27, 2570],
      [40, 3870],
    ]);
    const rng = new Rng(21);
    const pts: DetectPoint[] = [];
    for (let i = 0; i < 3400; i++) {
      const P = 6 + (34 * i) / 3399;
      pts.push({ index: i, power: P, temperature: f(P) + 25 * rng.normal() });
    }
    const r = detectOffline(pts);
    expect(r.events).toHaveLength(1);
    expect(r.events[0].kind).toBe('plateau');
    expect(Math.abs(r.events[0].startPower - 20)).toBeLessThan(0.3);
    expect(Math.abs(r.events[0].endPower! - 27)).toBeLessThan(0.3);
    expect(r.points).toBe(3400);
    expect(r.used.length).toBeLessThan(500); // analysed as ~0.1 W bins
    const line = pts.map((p) => ({ ...p, temperature: 500 + 100 * p.power + 25 * rng.normal() }));
    expect(detectOffline(line).events).toHaveLength(0);
  });
});

describe('dense frames: bounded work per frame', () => {
  it('a power step of k frames is stored as its median however the analysis was scheduled', () => {
    // 50 frames per 0.2 W step on a line, 7 frames then 13 then 50 …: the stored bin of each step must be the
    // mean power and the median temperature of ALL its frames (the analysis only re-runs at 2, 4, 8, … frames)
    const rng = new Rng(5);
    const pts: DetectPoint[] = [];
    const steps: number[][] = [];
    let idx = 0;
    for (let s = 0; s < 40; s++) {
      const P = 10 + 0.2 * s;
      const k = s % 3 === 0 ? 7 : s % 3 === 1 ? 13 : 50;
      const T: number[] = [];
      for (let r = 0; r < k; r++) {
        const t = 1500 + 80 * (P - 10) + 20 * rng.normal();
        T.push(t);
        pts.push({ index: idx++, power: P, temperature: t });
      }
      steps.push(T);
    }
    const det = new SlopeChangeDetector();
    for (const p of pts) {
      det.push(p);
    }
    const used = det.usedPoints();
    // the first frames decide when binning starts; from there on, one point per step
    const tail = used.slice(-20);
    const med = (a: number[]) => {
      const s = [...a].sort((x, y) => x - y);
      const h = s.length >> 1;
      return s.length % 2 ? s[h] : 0.5 * (s[h - 1] + s[h]);
    };
    tail.forEach((q, i) => {
      const T = steps[20 + i];
      expect(q.frames).toBe(T.length);
      expect(q.temperature).toBeCloseTo(med(T), 9);
      expect(q.power).toBeCloseTo(10 + 0.2 * (20 + i), 9);
    });
  });
});

describe('detectOffline and options', () => {
  it('throws DetectInputError with fewer than 10 usable points', () => {
    const pts = ramp(10, 13.6, 0.4, (P) => 600 + 100 * P); // 10 points …
    pts[0].flags = ['corrupt']; // … 9 usable
    expect(() => detectOffline(pts)).toThrow(DetectInputError);
    expect(() => detectOffline(pts)).toThrow(/only 9 usable points.*1 flagged/);
    expect(detectOffline(ramp(10, 14, 0.4, (P) => 600 + 100 * P)).points).toBe(11);
  });

  it('validates options', () => {
    expect(() => new SlopeChangeDetector({ threshold: -1 })).toThrow(UsageError);
    expect(() => new SlopeChangeDetector({ window: 3 })).toThrow(UsageError);
    expect(() => new SlopeChangeDetector({ plateauRatio: 1.5 })).toThrow(UsageError);
    expect(() => new SlopeChangeDetector({ bogus: 1 } as never)).toThrow(UsageError);
  });

  it('minTemperature is configurable', () => {
    const pts = ramp(5, 30, 0.25, (P) => 400 + 100 * P, { noise: 10, seed: 2 });
    const a = detectOffline(pts, { minTemperature: 1500 });
    const b = detectOffline(pts, { minTemperature: 500 });
    expect(a.skippedDetail.belowMinTemperature).toBeGreaterThan(b.skippedDetail.belowMinTemperature);
    expect(a.points + a.skipped).toBe(pts.length);
  });
});

describe('statistics helpers', () => {
  it('Student t and normal quantiles match tables', () => {
    expect(studentTwoSidedP(2.228, 10)).toBeCloseTo(0.05, 3);
    expect(tToZ(2.228, 10)).toBeCloseTo(1.96, 2);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361341, 4);
    expect(tToZ(5, 1e7)).toBe(5);
  });

  it('selection gives the order statistics and medians that sorting gives (ties, odd and even counts)', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + (trial % 37);
      const values = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 2 + 0); // many ties (+ 0: no −0)
      const sorted = Float64Array.from(values).sort();
      const k = trial % n;
      expect(selectInPlace(Float64Array.from(values), n, k)).toBe(sorted[k]);
      const h = n >> 1;
      expect(medianInPlace(Float64Array.from(values), n)).toBe(n % 2 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]));
    }
    expect(madSigma([3, -1, 2, -5, 0])).toBeCloseTo(1.4826 * 2, 12); // |x| = 3 1 2 5 0 → median 2
    expect(madSigma([4, -1, 1, 3])).toBeCloseTo(1.4826 * 2, 12); // |x| = 4 1 1 3 → (1 + 3) / 2
  });
});

// The demo shot as the live pipeline feeds it to the detector (src/stream/simulate.ts demoShotOptions): 50 frames/s,
// the power stepped by 0.27 W every 10 frames from 5 W and read at 50 Hz with 0.05 W noise, the first frame of
// each step paired with the reading of the step before (nearest in time); T = 1100 + 50·P with the slope ×0.1
// from 25 to 31 W, σT = 0.45 K (what the fit gives). Before a confirmation near a kink still being placed counted
// as that kink, the few points just past the plateau's end opened further "plateau" events (slope after ≈ 0 or
// negative) on top of the plateau's own end.
function steppedShot(seed: number): DetectPoint[] {
  const rng = new Rng(seed);
  const truth = piecewise([
    [5, 1350],
    [25, 2350],
    [31, 2380],
    [45, 3080],
  ]);
  const pts: DetectPoint[] = [];
  for (let i = 0; i < 1500; i++) {
    const stepped = 5 + 0.27 * Math.floor(i / 10);
    const paired = i % 10 === 0 && i > 0 ? stepped - 0.27 : stepped;
    pts.push({
      index: i,
      power: paired + 0.05 * rng.normal(),
      temperature: truth(stepped) + 0.45 * rng.normal(),
      temperatureError: 0.45,
    });
  }
  return pts;
}

describe('SlopeChangeDetector: one plateau, one event', () => {
  for (const seed of [1, 3, 4, 5, 6]) {
    it(`stepped demo-like shot, seed ${seed}: the plateau's end updates the plateau; nothing opens past it`, () => {
      const { updates, off } = run(steppedShot(seed));
      const opened = updates.filter((u) => u.type === 'new').map((u) => u.event);
      const plateau = opened.find((e) => e.kind === 'plateau' && Math.abs(e.startPower - 25) < 0.5);
      expect(plateau).toBeDefined();
      // nothing opens after the plateau was detected (in particular not at its end, 31 W)
      expect(opened.filter((e) => e.detectedAtIndex > plateau!.detectedAtIndex)).toEqual([]);
      const ends = updates.filter((u) => u.type === 'end');
      expect(ends.length).toBeGreaterThanOrEqual(1);
      expect(ends.every((u) => u.event.id === plateau!.id)).toBe(true);
      const final = off.events.find((e) => e.id === plateau!.id)!;
      expect(Math.abs(final.startPower - 25)).toBeLessThan(0.2);
      expect(Math.abs(final.endPower! - 31)).toBeLessThan(0.2);
      expect(Math.abs(final.slopeAfter - 5)).toBeLessThan(1);
      expect(off.events.filter((e) => !e.retracted && e.startPower > 30)).toEqual([]);
    });
  }
});
