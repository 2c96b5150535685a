// The calibration's loops over the dark's and the lamp's frames (src/calibration/index.ts addFrame, meanFrames;
// src/quality/noise.ts pixelVariances, estimateReadNoise) and their native twins (native/calibration.cc): hand-worked
// cases, the same doubles from both (bit for bit) on realistic and hostile frames, the same mean and read noise from
// an SPE file either way, and the addon's boundary.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { addFrame, meanFrames } from '../../src/calibration';
import { FitArgumentError } from '../../src/errors';
import { openSpe } from '../../src/io/spe';
import { writeSpe } from '../../src/io/speWriter';
import { getEngine, loadNative, nativeAvailable } from '../../src/physics';
import { estimateReadNoise, pixelVariances } from '../../src/quality/noise';
import { Rng } from '../../src/sim/rng';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-frame-kernels-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The bytes of a Float64Array: equal bytes are the same doubles (NaN payloads and the sign of zero included). */
const bytesOf = (values: Float64Array) => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** `n` dark-like frames of `count` pixels (bias + read noise), with hostile values when asked. */
function frames(rng: Rng, n: number, count: number, hostile: boolean): Float64Array[] {
  const list = Array.from({ length: n }, () =>
    Float64Array.from({ length: count }, () => 600 + 4 * rng.normal() + (rng.uniform() < 0.01 ? 900 : 0)),
  );
  if (hostile) {
    const at = (f: number, p: number, value: number) => {
      if (f < n && p < count) {
        list[f][p] = value;
      }
    };
    at(0, 3, NaN);
    at(1, 7, Infinity);
    at(n - 1, 11, -Infinity);
    at(0, 13, -0);
    at(1, 13, 0);
    at(0, 17, 1e308);
    at(1, 17, 1e308);
    at(0, 19, -1e-310);
  }
  return list;
}

describe('the TypeScript loops', () => {
  it('addFrame adds the first `count` values of a frame into the sum', () => {
    const sum = Float64Array.from([1, 2, 3, 4]);
    addFrame(sum, Float64Array.from([0.5, -2, 10, 99]), 3);
    expect(Array.from(sum)).toEqual([1.5, 0, 13, 4]);
  });

  it('pixelVariances: the sample variance of each pixel finite in every frame, in pixel order', () => {
    const f0 = Float64Array.from([1, 2, NaN, 4]);
    const f1 = Float64Array.from([3, 2, 5, 8]);
    const f2 = Float64Array.from([5, 2, 6, 0]);
    const out = new Float64Array(4);
    // pixel 0: 1, 3, 5 → mean 3, Σd² 8 → 4; pixel 1: constant → 0; pixel 2: NaN → skipped; pixel 3: 4, 8, 0 → 16
    expect(pixelVariances([f0, f1, f2], 4, out)).toBe(3);
    expect(Array.from(out.subarray(0, 3))).toEqual([4, 0, 16]);
  });
});

describe.skipIf(!nativeAvailable())(
  'native addFrame and pixelVariances: the same doubles as the TypeScript loops',
  () => {
    const engine = getEngine('native');

    it('addFrame: the same sums, frame after frame, on realistic and hostile frames', () => {
      const rng = new Rng(5);
      for (const hostile of [false, true]) {
        for (const count of [0, 1, 7, 2680]) {
          const list = frames(rng, 6, count + 3, hostile);
          const ts = new Float64Array(count + 3);
          const native = new Float64Array(count + 3);
          for (const frame of list) {
            addFrame(ts, frame, count);
            engine.addFrame!(native, frame, count);
          }
          expect(bytesOf(native).equals(bytesOf(ts)), `count ${count}, hostile ${hostile}`).toBe(true);
        }
      }
    });

    it('pixelVariances: the same pixels and the same variances, for 1 to 64 frames', () => {
      const rng = new Rng(9);
      for (const hostile of [false, true]) {
        for (const n of [1, 2, 3, 10, 64]) {
          const count = 1340;
          const list = frames(rng, n, count, hostile);
          const ts = new Float64Array(count);
          const native = new Float64Array(count);
          const m = pixelVariances(list, count, ts);
          expect(engine.pixelVariances!(list, count, native), `n ${n}, hostile ${hostile}`).toBe(m);
          expect(bytesOf(native).equals(bytesOf(ts)), `n ${n}, hostile ${hostile}`).toBe(true);
        }
      }
    });

    it('a dark file: the same mean and read noise through meanFrames and estimateReadNoise either way', () => {
      const rng = new Rng(13);
      const file = path.join(dir, 'dark.spe');
      const list = frames(rng, 12, 1340 * 2, false);
      list[4][100] = NaN; // a float file: a frame with a NaN is left out of the mean
      writeSpe(file, { width: 1340, height: 2, dataType: 'float32', frames: list });
      const spe = openSpe(file);
      try {
        const ts = meanFrames(spe, 64);
        const native = meanFrames(spe, 64, engine.addFrame);
        expect(native.frames).toBe(11);
        expect(bytesOf(native.mean).equals(bytesOf(ts.mean))).toBe(true);
        const noiseTs = estimateReadNoise(ts.kept, 1340, 2);
        expect(estimateReadNoise(ts.kept, 1340, 2, engine.pixelVariances)).toBe(noiseTs);
        expect(noiseTs).toBeGreaterThan(3);
        expect(noiseTs).toBeLessThan(5);
      } finally {
        spe.close();
      }
    });

    it('refuses bad arguments with a JavaScript error, through the engine as a FitArgumentError', () => {
      const addon = loadNative().addon!;
      const sum = new Float64Array(4);
      const frame = new Float64Array(4);
      expect(() => addon.addFrame!(sum, frame, 5)).toThrow(RangeError);
      expect(() => addon.addFrame!(sum, new Float32Array(4) as unknown as Float64Array, 4)).toThrow(TypeError);
      expect(() => addon.addFrame!(sum, frame, -1)).toThrow(RangeError);
      expect(() => addon.addFrame!(sum, frame, 1.5)).toThrow(RangeError);
      expect(() => addon.pixelVariances!([frame, new Float64Array(2)], 4, sum)).toThrow(RangeError);
      expect(() => addon.pixelVariances!([frame, frame], 4, new Float64Array(3))).toThrow(RangeError);
      expect(() => addon.pixelVariances!(frame as unknown as Float64Array[], 4, sum)).toThrow(TypeError);
      expect(() => addon.pixelVariances!([frame, 'x' as unknown as Float64Array], 4, sum)).toThrow(TypeError);
      expect(() => engine.addFrame!(sum, frame, 5)).toThrow(FitArgumentError);
      expect(() => engine.pixelVariances!([frame], 5, sum)).toThrow(FitArgumentError);
    });
  },
);
