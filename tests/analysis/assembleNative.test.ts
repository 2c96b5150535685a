// The per-frame result assembly of Planck batches, native (native/assemble.cc, the engine's assembleCountsResults)
// against its TypeScript twin (src/analysis/results.ts roiResult, which the analyzer runs on an engine without the
// method): every column bit-identical (Object.is per element, flags equal) on simulated shots with saturated,
// cosmic, weak and corrupt frames, two ROIs, both weights, σT scaled by √(χ²/dof) or not, and misfit frames
// (a dark that is too low leaves a bias in the counts) whose σT the unweighted refit widens. On the counts path the
// prepared frames stay on the engine's workers, which do the misfit refits there: both assemblies read those, and
// are also compared with the path that prepares into the analyzer's buffers and refits from them
// (planckSubBatches, an engine without analyzeCountsBatch).
import { describe, expect, it } from 'vitest';
import { createAnalyzer, type AnalyzerConfig } from '../../src/analysis/analyzer';
import { FLAG_BIT, type FrameBlock } from '../../src/analysis/frameBlock';
import { FitArgumentError } from '../../src/errors';
import { loadNative } from '../../src/physics/engine';
import { getEngine, nativeAvailable } from '../../src/physics';
import type { AssembleCountsInput, AssembleCountsOutput, PhysicsEngine } from '../../src/physics/types';
import { misfitChi2Threshold } from '../../src/quality/flags';
import { countsConfig, makeShot, meanOf, type TestShot } from '../support/simShot';

const available = nativeAvailable();
if (!available) {
  // visible in the run's output: these tests need the addon (npm run build:native)
  console.warn('assembleNative.test.ts: native addon not built — the native assembly tests are skipped');
}

const FRAMES = 240;
const shot = makeShot({
  frames: FRAMES,
  seed: 77,
  width: 400,
  height: 2,
  level: 4000,
  cosmics: (f) => (f % 13 === 5 ? 2 : 0),
});

/** The shot's frames with saturated, corrupt (NaN, Infinity) and almost dark (weak) ones. */
function damagedFrames(s: TestShot): Float64Array[] {
  return s.frames.map((frame, f) => {
    if (f % 17 === 3) {
      return frame.map((c) => Math.min(65535, 600 + (c - 600) * 20));
    }
    const copy = Float64Array.from(frame);
    if (f % 19 === 7) {
      copy[17 + (f % 2) * s.width] = NaN;
    } else if (f % 23 === 11) {
      copy[s.width + 100] = Infinity;
    } else if (f % 29 === 13) {
      return s.dark[0].map((d, i) => d + (frame[i] - 600) * 0.00003);
    } else if (f % 31 === 2) {
      // faint: σT beyond the weak limit in one ROI or both
      return s.dark[0].map((d, i) => d + (frame[i] - 600) * 0.004);
    }
    return copy;
  });
}

function config(s: TestShot, engine: PhysicsEngine, extra: Partial<AnalyzerConfig>): AnalyzerConfig {
  return countsConfig(s, engine, {
    gain: 2,
    range: [560, 840],
    rois: [
      { name: 'top', first: 0, last: 0 },
      { name: 'bottom', first: 1, last: 1 },
    ],
    ...extra,
  });
}

function expectSameColumns(actual: FrameBlock, expected: FrameBlock): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.nRois).toBe(expected.nRois);
  for (const key of [
    'index',
    'time',
    'power',
    'temperature',
    'temperatureError',
    'chi2',
    'twoColorMean',
    'twoColorStd',
  ] as const) {
    const a = actual[key];
    const e = expected[key];
    expect(a.length, key).toBe(e.length);
    for (let i = 0; i < e.length; i++) {
      if (!Object.is(a[i], e[i])) {
        expect.fail(`${key}[${i}]: native ${a[i]}, TypeScript ${e[i]}`);
      }
    }
  }
  expect(Array.from(actual.flags)).toEqual(Array.from(expected.flags));
}

interface Run {
  blocks: FrameBlock[];
  last: ReturnType<ReturnType<typeof createAnalyzer>['lastSpectrum']>;
}

/** The frames in batches of 100 (the last one shorter) through an analyzer on `engine`. */
async function analyze(engine: PhysicsEngine, frames: Float64Array[], extra: Partial<AnalyzerConfig>): Promise<Run> {
  const analyzer = createAnalyzer(config(shot, engine, extra));
  const blocks: FrameBlock[] = [];
  for (let start = 0; start < frames.length; start += 100) {
    const chunk = frames.slice(start, start + 100);
    blocks.push(
      await analyzer.analyzeBlock(
        chunk,
        chunk.map((_f, i) => start + i),
        chunk.map((_f, i) => (start + i) * 0.001),
        chunk.map((_f, i) => (i % 3 === 0 ? null : i)),
      ),
    );
  }
  return { blocks, last: analyzer.lastSpectrum() };
}

const cases: [string, Partial<AnalyzerConfig>][] = [
  ['weights noise, σT scaled by √(χ²/dof)', { weights: 'noise', scaleByChi2: true }],
  ['weights noise, σT not scaled', { weights: 'noise', scaleByChi2: false }],
  ['weights none', { weights: 'none' }],
];

/** The dark too low by `bias` counts a pixel: the bias stays in the counts (χ²/dof in the hundreds when faint). */
function lowDark(bias: number): Partial<AnalyzerConfig> {
  return { dark: { counts: meanOf(shot.dark).map((d) => d - bias), frames: shot.dark.length } };
}

describe.skipIf(!available)('assembleCountsResults: the native assembly of Planck batches', () => {
  const engine = available ? getEngine('native') : (null as unknown as PhysicsEngine);
  const frames = damagedFrames(shot);

  /** `changes` on the engine, counting the refits (fitPlanck) made on the JavaScript thread. */
  function counted(changes: Partial<PhysicsEngine>): { twin: PhysicsEngine; refits: () => number } {
    let refits = 0;
    const twin: PhysicsEngine = {
      ...engine,
      ...changes,
      fitPlanck: (wl, y, opts) => {
        refits++;
        return engine.fitPlanck(wl, y, opts);
      },
    };
    return { twin, refits: () => refits };
  }

  /** The engine without the native assembly (the TypeScript twin assembles). */
  function twinOf(): { twin: PhysicsEngine; refits: () => number } {
    return counted({ assembleCountsResults: undefined });
  }

  /** Neither the native assembly nor analyzeCountsBatch: prepared into the buffers, refitted from them. */
  function buffersPath(): { twin: PhysicsEngine; refits: () => number } {
    return counted({
      assembleCountsResults: undefined,
      analyzeCountsBatch: undefined,
      analyzeCountsBatchSync: undefined,
    });
  }

  it('the engine has it', () => {
    expect(engine.assembleCountsResults).toBeTypeOf('function');
  });

  it.each(cases)('%s: every column bit-identical, every flag of the preparation met', async (_name, extra) => {
    const { twin } = twinOf();
    const native = await analyze(engine, frames, extra);
    const ts = await analyze(twin, frames, extra);
    native.blocks.forEach((block, k) => expectSameColumns(block, ts.blocks[k]));
    expect(native.last).not.toBeNull();
    expect(native.last!.index).toBe(ts.last!.index);
    expect(Array.from(native.last!.fit)).toEqual(Array.from(ts.last!.fit));
    expect(Array.from(native.last!.radiance)).toEqual(Array.from(ts.last!.radiance));
    expect(Array.from(native.last!.mask)).toEqual(Array.from(ts.last!.mask));
    expect(native.last!.fit.some((v) => Number.isFinite(v))).toBe(true);
    const all = native.blocks.flatMap((block) => Array.from(block.flags));
    for (const flag of ['saturated', 'cosmic', 'corrupt', 'weak'] as const) {
      expect(
        all.some((bits) => (bits & FLAG_BIT[flag]) !== 0),
        flag,
      ).toBe(true);
    }
    // frames with a temperature and a two-colour
    expect(native.blocks[0].temperature.some((t) => Number.isFinite(t))).toBe(true);
    expect(native.blocks[0].twoColorMean.some((t) => Number.isFinite(t))).toBe(true);
  });

  it.each([
    ['σT scaled', true],
    ['σT not scaled', false],
  ] as const)('misfit frames (bias left in), %s: flagged and widened alike', async (_name, scaleByChi2) => {
    const extra = { ...lowDark(40), weights: 'noise' as const, scaleByChi2 };
    // what the counts path hands analyzeCountsBatch to write into: no buffers for the prepared frames
    const outs: string[][] = [];
    const onWorkers = counted({
      analyzeCountsBatch: (wl, list, plan, out, opts) => {
        outs.push(Object.keys(out));
        return engine.analyzeCountsBatch!(wl, list, plan, out, opts);
      },
    });
    const twin = twinOf();
    const buffers = buffersPath();
    const native = await analyze(onWorkers.twin, frames, extra);
    const ts = await analyze(twin.twin, frames, extra);
    const reference = await analyze(buffers.twin, frames, extra);
    native.blocks.forEach((block, k) => expectSameColumns(block, ts.blocks[k]));
    native.blocks.forEach((block, k) => expectSameColumns(block, reference.blocks[k]));
    // the misfit path ran: frames flagged, and refits that widened σT; the refits were made on the workers on the
    // counts path, from the buffers on the other (engine.fitPlanck)
    const misfit = native.blocks.flatMap((block) => Array.from(block.flags)).filter((b) => b & FLAG_BIT.misfit);
    expect(misfit.length).toBeGreaterThan(10);
    expect(buffers.refits()).toBeGreaterThan(misfit.length);
    expect(onWorkers.refits()).toBe(0);
    expect(outs.length).toBeGreaterThan(0);
    expect(new Set(outs.map((keys) => keys.join()))).toEqual(new Set(['misfitThreshold']));
    expect(twin.refits()).toBe(0);
    // the live spectrum: the last frame's prepared radiance and mask, whichever path prepared it
    expect(Array.from(native.last!.radiance)).toEqual(Array.from(reference.last!.radiance));
    expect(Array.from(native.last!.mask)).toEqual(Array.from(reference.last!.mask));
    expect(native.last!.radiance.some((y) => y > 0)).toBe(true);
    // and not every frame: the rest of the rules are compared too
    expect(misfit.length).toBeLessThan(2 * FRAMES);
    // a widened σT exceeds the fit's own: the unweighted refit moved T by more than σ for some frame
    const widened = native.blocks.some((block) =>
      Array.from(block.flags).some(
        (bits, slot) => (bits & FLAG_BIT.misfit) !== 0 && Number.isFinite(block.temperatureError[slot]),
      ),
    );
    expect(widened).toBe(true);
  });

  it('analyzeFrame (a batch of one) alike', () => {
    const { twin } = twinOf();
    for (const extra of [cases[0][1], cases[2][1], lowDark(40)]) {
      const a = createAnalyzer(config(shot, engine, extra));
      const b = createAnalyzer(config(shot, twin, extra));
      for (const f of [0, 3, 5, 7, 13, 41]) {
        expect(a.analyzeFrame(frames[f], f, null)).toEqual(b.analyzeFrame(frames[f], f, null));
      }
    }
  });
});

describe.skipIf(!available)('assembleCountsResults: argument validation', () => {
  const addon = available ? loadNative().addon! : null;
  const engine = available ? getEngine('native') : (null as unknown as PhysicsEngine);
  const nU = 5;
  const n = 3;
  const nRois = 2;

  function valid(): { input: AssembleCountsInput; out: AssembleCountsOutput } {
    const wavelengthNm = Float64Array.from({ length: nU }, (_v, i) => 600 + 10 * i);
    return {
      input: {
        wavelengthNm,
        radiance: new Float64Array(n * nU).fill(1),
        mask: new Uint8Array(n * nU),
        n,
        nRois,
        roi: 1,
        sat: new Uint8Array(n * nRois),
        cosmic: new Uint8Array(n * nRois),
        corrupt: new Uint8Array(n * nRois),
        weak: new Uint8Array(n * nRois),
        status: new Uint8Array(n),
        temperature: new Float64Array(n).fill(2000),
        temperatureError: new Float64Array(n).fill(5),
        chi2: new Float64Array(n).fill(3),
        dof: new Int32Array(n).fill(nU - 2),
        scale: new Float64Array(n).fill(0.5),
        twoColor: null,
        weights: 'noise',
        scaleByChi2: true,
        weakMaxRelativeError: 0.05,
        misfitMinChi2: 10,
        misfitThreshold: Float64Array.from({ length: nU + 1 }, (_v, d) => misfitChi2Threshold(d)),
      },
      out: {
        temperature: new Float64Array(n * nRois),
        temperatureError: new Float64Array(n * nRois),
        chi2: new Float64Array(n * nRois),
        flags: new Uint8Array(n * nRois),
        twoColorMean: new Float64Array(n),
        twoColorStd: new Float64Array(n),
        scale: new Float64Array(n),
      },
    };
  }

  it('a valid call writes the ROI slots (and only those)', () => {
    const { input, out } = valid();
    out.temperature.fill(-1);
    engine.assembleCountsResults!(input, out);
    expect(Array.from(out.temperature)).toEqual([-1, 2000, -1, 2000, -1, 2000]);
    expect(Array.from(out.flags)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(out.chi2[1]).toBe(1);
    expect(out.temperatureError[1]).toBe(5);
    expect(Array.from(out.scale)).toEqual([0.5, 0.5, 0.5]);
  });

  const typeErrors: [string, (c: ReturnType<typeof valid>) => unknown[]][] = [
    ['input not an object', (c) => [42, c.out]],
    ['out not an object', (c) => [c.input, null]],
    ['radiance not a Float64Array', (c) => [{ ...c.input, radiance: Array.from(c.input.radiance!) }, c.out]],
    ['unweightedTemperature not a Float64Array', (c) => [{ ...c.input, unweightedTemperature: [1, 2, 3] }, c.out]],
    ['mask not a Uint8Array', (c) => [{ ...c.input, mask: new Int8Array(n * nU) }, c.out]],
    ['dof not an Int32Array', (c) => [{ ...c.input, dof: new Float64Array(n) }, c.out]],
    ['n not a number', (c) => [{ ...c.input, n: '3' }, c.out]],
    ['weights not a string', (c) => [{ ...c.input, weights: 1 }, c.out]],
    ['scaleByChi2 not a boolean', (c) => [{ ...c.input, scaleByChi2: 1 }, c.out]],
    ['twoColor not an object', (c) => [{ ...c.input, twoColor: 5 }, c.out]],
    [
      'twoColor.count not an Int32Array',
      (c) => [
        { ...c.input, twoColor: { mean: c.input.temperature, std: c.input.temperature, count: new Uint32Array(n) } },
        c.out,
      ],
    ],
    ['out.flags not a Uint8Array', (c) => [c.input, { ...c.out, flags: new Float64Array(n * nRois) }]],
  ];
  const rangeErrors: [string, (c: ReturnType<typeof valid>) => unknown[], RegExp][] = [
    ['roi ≥ nRois', (c) => [{ ...c.input, roi: 2 }, c.out], /input\.roi must be an integer in \[0, 1\]/],
    ['nRois 0', (c) => [{ ...c.input, nRois: 0 }, c.out], /input\.nRois/],
    ['n fractional', (c) => [{ ...c.input, n: 1.5 }, c.out], /input\.n must be/],
    ['n negative', (c) => [{ ...c.input, n: -1 }, c.out], /input\.n must be/],
    ['weights unknown', (c) => [{ ...c.input, weights: 'poisson' }, c.out], /weights must be 'noise' or 'none'/],
    [
      'radiance short',
      (c) => [{ ...c.input, radiance: new Float64Array(n * nU - 1) }, c.out],
      /input\.radiance length/,
    ],
    [
      'unweightedTemperature short',
      (c) => [{ ...c.input, radiance: undefined, unweightedTemperature: new Float64Array(n - 1) }, c.out],
      /input\.unweightedTemperature length/,
    ],
    ['sat short', (c) => [{ ...c.input, sat: new Uint8Array(n * nRois - 1) }, c.out], /input\.sat length/],
    ['status short', (c) => [{ ...c.input, status: new Uint8Array(n - 1) }, c.out], /input\.status length/],
    ['misfitThreshold short', (c) => [{ ...c.input, misfitThreshold: new Float64Array(nU) }, c.out], /misfitThreshold/],
    [
      'dof beyond the thresholds',
      (c) => [{ ...c.input, dof: new Int32Array(n).fill(nU + 1) }, c.out],
      /input\.dof\[0\]/,
    ],
    ['weak limit not positive', (c) => [{ ...c.input, weakMaxRelativeError: 0 }, c.out], /weakMaxRelativeError/],
    ['wavelength not positive', (c) => [{ ...c.input, wavelengthNm: new Float64Array(nU) }, c.out], /wavelengths\[0\]/],
    ['out.chi2 short', (c) => [c.input, { ...c.out, chi2: new Float64Array(n * nRois - 1) }], /out\.chi2 length/],
    ['out.scale short', (c) => [c.input, { ...c.out, scale: new Float64Array(n - 1) }], /out\.scale length/],
  ];

  it.each(typeErrors)('%s: TypeError from the addon, FitArgumentError from the engine', (_name, args) => {
    const call = (fn: (...a: unknown[]) => unknown) => () => fn(...args(valid()));
    expect(call(addon!.assembleCountsResults as (...a: unknown[]) => unknown)).toThrow(TypeError);
    expect(call(engine.assembleCountsResults as (...a: unknown[]) => unknown)).toThrow(FitArgumentError);
  });

  it.each(rangeErrors)('%s: RangeError from the addon, FitArgumentError from the engine', (_name, args, message) => {
    const call = (fn: (...a: unknown[]) => unknown) => () => fn(...args(valid()));
    expect(call(addon!.assembleCountsResults as (...a: unknown[]) => unknown)).toThrow(RangeError);
    expect(call(addon!.assembleCountsResults as (...a: unknown[]) => unknown)).toThrow(message);
    expect(call(engine.assembleCountsResults as (...a: unknown[]) => unknown)).toThrow(FitArgumentError);
  });

  it('a mask value other than 0 or 1 in a misfit frame: the refit fails, the values stay (as fitPlanck throws)', () => {
    const { input, out } = valid();
    input.chi2.fill(3 * 1000);
    input.scaleByChi2 = false;
    input.mask![1] = 7;
    input.radiance = Float64Array.from({ length: n * nU }, (_v, i) => 1 + (i % nU));
    engine.assembleCountsResults!(input, out);
    // frame 0: χ²/dof = 1000 ≥ 10 → misfit; its refit throws (mask[1] = 7) → σT not widened
    expect(out.flags[1]).toBe(FLAG_BIT.misfit);
    expect(out.temperatureError[1]).toBe(5);
    expect(out.chi2[1]).toBe(1000);
  });

  it('the refits given (unweightedTemperature): used instead of refitting; NaN is a refit that failed', () => {
    const { input, out } = valid();
    input.chi2.fill(3 * 1000);
    input.scaleByChi2 = false;
    // no prepared frames: they stayed on the workers, which refitted frames 0 and 2 (frame 1's refit failed)
    delete input.radiance;
    delete input.mask;
    input.unweightedTemperature = Float64Array.from([1990, NaN, 2003]);
    engine.assembleCountsResults!(input, out);
    // χ²/dof = 1000 ≥ 10 → misfit; σT² = 5² + (T − T_unweighted)²
    expect([out.flags[1], out.flags[3], out.flags[5]]).toEqual([FLAG_BIT.misfit, FLAG_BIT.misfit, FLAG_BIT.misfit]);
    expect(out.temperatureError[1]).toBe(Math.sqrt(5 ** 2 + 10 * 10));
    expect(out.temperatureError[3]).toBe(5);
    expect(out.temperatureError[5]).toBe(Math.sqrt(5 ** 2 + 3 * 3));
    expect(Array.from(out.temperature)).toEqual([0, 2000, 0, 2000, 0, 2000]);
  });
});
