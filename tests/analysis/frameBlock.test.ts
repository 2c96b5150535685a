// FrameBlock: a batch's results in columns. Its objects (frame, toResults) are what the analyzer's FrameResults have
// always been, and its JSON (the engine's formatFramesJson, natively where the addon is built) is exactly
// JSON.stringify of those objects — checked on hand-made blocks with known contents and on an analyzer's batch with
// flagged frames and two ROIs, on every engine.
import { describe, expect, it } from 'vitest';
import { FLAG_BIT, FrameBlock, flagNames } from '../../src/analysis/frameBlock';
import { createAnalyzer } from '../../src/analysis/analyzer';
import type { FrameResult } from '../../src/analysis/types';
import type { PhysicsEngine } from '../../src/physics/types';
import { getEngine, jsEngine, nativeAvailable } from '../../src/physics';
import { countsConfig, makeShot } from '../support/simShot';

const engines: PhysicsEngine[] = [jsEngine, ...(nativeAvailable() ? [getEngine('native')] : [])];
if (!nativeAvailable()) {
  console.warn('frameBlock.test: native addon not built, only the TypeScript formatter is checked');
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** The frames' array elements as JSON.stringify writes them. */
const elements = (frames: readonly FrameResult[]): string => JSON.stringify(frames).slice(1, -1);

describe('flag bits', () => {
  it('names in the order the analyzer lists them, whatever order they were set in', () => {
    expect(flagNames(FLAG_BIT.weak | FLAG_BIT.saturated)).toEqual(['saturated', 'weak']);
    expect(flagNames(FLAG_BIT.misfit | FLAG_BIT.cosmic | FLAG_BIT.weak)).toEqual(['cosmic', 'misfit', 'weak']);
    expect(flagNames(0)).toEqual([]);
  });
});

/** Two frames, two ROIs ("left", 'a "b"'), every kind of value: the block and the objects it must give. */
function handMade(engine: PhysicsEngine): { block: FrameBlock; expected: FrameResult[] } {
  const block = new FrameBlock(2, ['left', 'a "b"'], engine);
  block.index.set([7, 8]);
  block.time.set([0.5, NaN]);
  block.setPower(0, 1.25e-7);
  block.setPower(1, Infinity);
  block.temperature.set([2345.678, 1e21, NaN, -0]);
  block.temperatureError.set([12.5, 0.1 + 0.2, NaN, 5e-324]);
  block.chi2.set([0.97, NaN, 1.5, 123456789012345680000]);
  block.flags.set([FLAG_BIT.cosmic | FLAG_BIT.misfit, 0, FLAG_BIT.saturated | FLAG_BIT.weak, FLAG_BIT.corrupt]);
  block.twoColorMean.set([2400, NaN]);
  block.twoColorStd.set([35.5, 3]);
  const expected: FrameResult[] = [
    {
      index: 7,
      time: 0.5,
      power: 1.25e-7,
      temperature: 2345.678,
      temperatureError: 12.5,
      chi2: 0.97,
      flags: ['cosmic', 'misfit'],
      twoColor: { mean: 2400, std: 35.5 },
      rois: {
        left: { temperature: 2345.678, temperatureError: 12.5, chi2: 0.97, flags: ['cosmic', 'misfit'] },
        'a "b"': { temperature: 1e21, temperatureError: 0.1 + 0.2, chi2: null, flags: [] },
      },
    },
    {
      index: 8,
      time: null,
      power: null,
      temperature: null,
      temperatureError: null,
      chi2: 1.5,
      flags: ['saturated', 'weak'],
      twoColor: null,
      rois: {
        left: { temperature: null, temperatureError: null, chi2: 1.5, flags: ['saturated', 'weak'] },
        'a "b"': { temperature: -0, temperatureError: 5e-324, chi2: 123456789012345680000, flags: ['corrupt'] },
      },
    },
  ];
  return { block, expected };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('FrameBlock, %s engine', (_name, engine) => {
  it('gives the objects of its columns (NaN is null), and their JSON.stringify text', () => {
    const { block, expected } = handMade(engine);
    expect(block.toResults()).toEqual(expected);
    expect(text(block.json(false))).toBe(elements(expected));
    expect(text(block.json(true))).toBe(',' + elements(expected));
    expect(JSON.parse(`[${text(block.json(false))}]`)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('one ROI: no "rois" key; an empty block is no text, even after a comma', () => {
    const block = new FrameBlock(1, ['all'], engine);
    block.index[0] = 3;
    block.temperature[0] = 1800.25;
    const expected: FrameResult = {
      index: 3,
      time: null,
      power: null,
      temperature: 1800.25,
      temperatureError: null,
      chi2: null,
      flags: [],
      twoColor: null,
    };
    expect(block.frame(0)).toEqual(expected);
    expect(text(block.json(true))).toBe(',' + JSON.stringify(expected));
    expect(text(new FrameBlock(0, ['all'], engine).json(true))).toBe('');
  });

  it('ROI names an object reorders or merges ("10" before "2", a duplicate): still its JSON.stringify', () => {
    for (const names of [
      ['left', '10', '2'],
      ['b', 'b'],
    ]) {
      const block = new FrameBlock(2, names, engine);
      block.index.set([0, 1]);
      block.temperature.set(names.flatMap((_n, r) => [1000 + r, 2000 + r]));
      block.flags[1] = FLAG_BIT.cosmic;
      const results = block.toResults();
      expect(text(block.json(true))).toBe(',' + elements(results));
    }
    expect(Object.keys(new FrameBlock(1, ['left', '10', '2'], engine).frame(0).rois!)).toEqual(['2', '10', 'left']);
  });

  it("an analyzer's batch (saturated, cosmic, weak frames; two ROIs): JSON.stringify of its results, the objects analyzeBatch gives", async () => {
    const shot = makeShot({
      frames: 60,
      seed: 11,
      width: 300,
      height: 4,
      cosmics: (f) => (f % 7 === 2 ? 2 : 0),
    });
    const frames = shot.frames.map((frame, f) => {
      const copy = Float64Array.from(frame);
      if (f % 9 === 4) {
        copy.fill(65535, 0, 40); // saturated pixels in row 0
      }
      if (f % 11 === 5) {
        copy.fill(600); // bias only: nothing to fit
      }
      return copy;
    });
    const analyzer = createAnalyzer(
      countsConfig(shot, engine, {
        rois: [
          { name: 'up', first: 0, last: 1 },
          { name: 'down', first: 2, last: 3 },
        ],
        gain: shot.gain,
      }),
    );
    const indices = frames.map((_f, i) => 100 + i);
    const times = frames.map((_f, i) => (i % 5 === 0 ? null : i * 0.01));
    const block = await analyzer.analyzeBlock(frames, indices, times);
    const results = block.toResults();
    const flagged = new Set(results.flatMap((r) => r.flags));
    expect([...flagged].sort()).toEqual(expect.arrayContaining(['cosmic', 'saturated', 'weak']));
    expect(results.some((r) => r.temperature !== null)).toBe(true);
    expect(text(block.json(false))).toBe(elements(results));
    expect(await analyzer.analyzeBatch(frames, indices, times)).toEqual(results);
  });
});
