/**
 * The native preparation (analyzeCountsBatch) against its TypeScript twin (prepareCountsBatch) where its vectorised
 * shortcuts could part from the twin's in-order arithmetic: ROIs that are a band of rows or scattered pixels (no
 * contiguous row loop), spikes in the interior and at the ends (the cosmic screen), and the weak test at its
 * threshold, where the vectorised sums are too close to call and the in-order sums must decide.
 */
import { describe, expect, it } from 'vitest';
import { getEngine, nativeAvailable } from '../../src/physics';
import type { CountsFrame, CountsPlan } from '../../src/physics';
import { planckRadiance } from '../../src/sim/spectrum';
import { PREP_COSMIC, PREP_WEAK, prepareCountsBatch, prepareCountsFrame, prepScratch } from '../../src/quality/prepare';
import { makeShot } from '../support/simShot';

const shot = makeShot({ seed: 83, frames: 12, width: 320, height: 4, level: 7000, cosmics: (f) => (f % 3) * 2 });
const { width, height } = shot;

function roundedFrames(): CountsFrame[] {
  const frames: CountsFrame[] = shot.frames.map((frame) =>
    Uint16Array.from(frame, (v) => Math.max(0, Math.min(65535, Math.round(v)))),
  );
  // spikes at both ends of the used pixels and one in the middle (cosmic screen: edge and interior tests)
  const spiky = Float64Array.from(frames[4]);
  for (const px of [0, 1, 2, 150, 317, 318, 319]) {
    spiky[width + px] += 30000;
  }
  frames[4] = spiky;
  return frames;
}

const frames = roundedFrames();

function roiPlan(first: number, last: number, used: number[]): { wl: Float64Array; plan: CountsPlan } {
  const rows = last - first + 1;
  const invDen = Float64Array.from(used, (px) => planckRadiance(shot.wavelength[px], 2800) / (5000 * rows));
  return {
    wl: Float64Array.from(used, (px) => shot.wavelength[px]),
    plan: {
      width,
      height,
      first,
      last,
      used: Int32Array.from(used),
      darkSum: new Float64Array(used.length).fill(600 * rows),
      invDen,
      invDen2: invDen.map((v) => v * v),
      relVarDen: new Float64Array(used.length).fill(2e-5),
      saturation: 65535,
      invGain: 1 / shot.gain,
      readVar: rows * shot.readNoise ** 2,
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_v, i) => from + i);
const ROIS = {
  'all rows, every pixel': roiPlan(0, 3, range(0, width)),
  'rows 1–2, every pixel': roiPlan(1, 2, range(0, width)),
  'rows 0–2, scattered pixels': roiPlan(
    0,
    2,
    range(0, width).filter((px) => px % 5 !== 2),
  ),
};

const outputs = (n: number) => ({
  radiance: new Float64Array(n),
  variance: new Float64Array(n),
  mask: new Uint8Array(n),
});

/** Object.is over two arrays: the first index where they differ, or −1. */
const firstDifference = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).findIndex((v, i) => !Object.is(v, b[i]));

/**
 * Bisection of a predicate false at `below` and true at `above` (both checked) down to adjacent doubles: the last
 * value where it is false and the first where it is true.
 */
function edgeOf(predicate: (x: number) => boolean, below: number, above: number): [number, number] {
  expect(predicate(below)).toBe(false);
  expect(predicate(above)).toBe(true);
  let lo = below;
  let hi = above;
  while (true) {
    const middle = lo + (hi - lo) / 2;
    if (middle === lo || middle === hi) {
      return [lo, hi];
    }
    if (predicate(middle)) {
      hi = middle;
    } else {
      lo = middle;
    }
  }
}
describe.skipIf(!nativeAvailable())('native preparation: bit-identical to the TypeScript twin', () => {
  const native = nativeAvailable() ? getEngine('native') : null;

  it.each(Object.entries(ROIS))('%s', (_name, { wl, plan }) => {
    const size = frames.length * wl.length;
    const expected = outputs(size);
    const expectedFlags = new Uint8Array(frames.length);
    prepareCountsBatch(plan, frames, frames.length, expected.radiance, expected.variance, expected.mask, expectedFlags);
    const out = outputs(size);
    const result = native!.analyzeCountsBatchSync!(wl, frames, plan, out);
    expect(Array.from(result.flags)).toEqual(Array.from(expectedFlags));
    expect(firstDifference(out.radiance, expected.radiance)).toBe(-1);
    expect(firstDifference(out.variance, expected.variance)).toBe(-1);
    expect(firstDifference(out.mask, expected.mask)).toBe(-1);
    // the spiky frame is flagged, its end spikes masked
    expect(result.flags[4] & PREP_COSMIC).toBe(PREP_COSMIC);
  });

  // ROIs narrower than the smoothing window (2·SMOOTH_HALF + 1 = 5 pixels) or barely wider: only end windows or one
  // interior window, where the twins' box means take their other path
  it.each([1, 2, 3, 4, 5, 6, 7])('%i pixels: bit-identical', (nU) => {
    const { wl, plan } = roiPlan(1, 2, range(100, 100 + nU));
    const expected = outputs(frames.length * nU);
    const expectedFlags = new Uint8Array(frames.length);
    prepareCountsBatch(plan, frames, frames.length, expected.radiance, expected.variance, expected.mask, expectedFlags);
    const out = outputs(frames.length * nU);
    const result = native!.analyzeCountsBatchSync!(wl, frames, plan, out);
    expect(Array.from(result.flags)).toEqual(Array.from(expectedFlags));
    expect(firstDifference(out.radiance, expected.radiance)).toBe(-1);
    expect(firstDifference(out.variance, expected.variance)).toBe(-1);
    expect(firstDifference(out.mask, expected.mask)).toBe(-1);
  });

  it('the cosmic screen on both sides of its threshold (the native pre-screen takes no square root)', () => {
    const { wl, plan } = ROIS['rows 1–2, every pixel'];
    const nU = wl.length;
    const spikeAt = 150;
    const withSpike = (height: number): Float64Array => {
      const frame = Float64Array.from(frames[7]);
      frame[width + spikeAt] += height;
      return frame;
    };
    const cosmicWith = (height: number): boolean => {
      const o = outputs(nU);
      return (
        (prepareCountsFrame(plan, withSpike(height), o.radiance, o.variance, o.mask, 0, prepScratch(nU)) &
          PREP_COSMIC) !==
        0
      );
    };
    // the last spike height the screen rejects and the first it takes
    const [clean, spiky] = edgeOf(cosmicWith, 0, 30000);
    for (const height of [clean, spiky]) {
      const frame = withSpike(height);
      const expected = outputs(nU);
      const expectedFlags = prepareCountsFrame(
        plan,
        frame,
        expected.radiance,
        expected.variance,
        expected.mask,
        0,
        prepScratch(nU),
      );
      const out = outputs(nU);
      const result = native!.analyzeCountsBatchSync!(wl, [frame], plan, out);
      expect(result.flags[0]).toBe(expectedFlags);
      expect(firstDifference(out.mask, expected.mask)).toBe(-1);
    }
  });

  // the native sums of a frame without a spike come from the variance loop, those of a frame with one are taken
  // again after the cosmic test's mask (near the threshold the noise of frame 7 passes for spikes)
  it.each([
    ['frame 7', frames[7], true],
    ['a flat frame', new Float64Array(width * height).fill(700), false],
  ] as const)('the weak test on both sides of its threshold (%s)', (_name, frame, spiky) => {
    const { wl, plan } = ROIS['rows 1–2, every pixel'];
    const nU = wl.length;
    const weakWith = (darkShift: number): boolean => {
      const shifted = { ...plan, darkSum: plan.darkSum.map((v) => v + darkShift) };
      const o = outputs(nU);
      return (prepareCountsFrame(shifted, frame, o.radiance, o.variance, o.mask, 0, prepScratch(nU)) & PREP_WEAK) !== 0;
    };
    // the last dark offset where the frame is not weak and the first where it is
    const [strong, weak] = edgeOf(weakWith, 0, 20000);
    for (const [shift, expectedWeak] of [
      [strong, false],
      [weak, true],
    ] as const) {
      const shifted = { ...plan, darkSum: plan.darkSum.map((v) => v + shift) };
      const result = native!.analyzeCountsBatchSync!(wl, [frame], shifted, outputs(nU));
      expect((result.flags[0] & PREP_WEAK) !== 0).toBe(expectedWeak);
      expect((result.flags[0] & PREP_COSMIC) !== 0).toBe(spiky);
    }
  });
});

if (!nativeAvailable()) {
  console.warn('prepareEdges.test.ts: native addon not built: skipped');
}
