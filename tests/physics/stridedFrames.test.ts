/**
 * The frames of a chunk read from an SPE file are views on one buffer at a constant stride (pixels, then the frame's
 * metadata): the native engine hands them to the addon as one strided block ({data, stride, count}) instead of one
 * typed array per frame. The block must give the addon exactly the frames the views show (results identical to
 * the same frames as separate copies), anything else must stay a list, and a bad block is a JS error, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { declaredFrameLength, markStrided, stridedFrames } from '../../src/physics/stridedFrames';
import { getEngine, loadNative, nativeAvailable } from '../../src/physics';
import type { CountsFrame, CountsPlan } from '../../src/physics';

const width = 64;
const height = 2;
const frameLength = width * height;
const GAP = 12; // uint16 values of per-frame metadata between frames (24 bytes, as a time stamp and more)
const COUNT = 9;

/** COUNT uint16 frames at a stride of frameLength + GAP in one buffer (after a 4-value header): views and copies. */
function chunk(): { views: Uint16Array[]; copies: Uint16Array[] } {
  const stride = frameLength + GAP;
  const all = new Uint16Array(4 + COUNT * stride);
  for (let i = 0; i < all.length; i++) {
    all[i] = 600 + ((i * 7919) % 3000);
  }
  const views = Array.from(
    { length: COUNT },
    (_v, k) => new Uint16Array(all.buffer, (4 + k * stride) * 2, frameLength),
  );
  all[4 + 3 * stride + 15] = 65535; // a saturated pixel of frame 3 (row 0, pixel 15: a used one)
  return { views, copies: views.map((view) => Uint16Array.from(view)) };
}

describe('stridedFrames', () => {
  it('views of one type and length at a constant stride: one block whose frame k is view k', () => {
    const { views } = chunk();
    const block = stridedFrames(views)!;
    expect(block.count).toBe(COUNT);
    expect(block.stride).toBe(frameLength + GAP);
    expect(block.data).toBeInstanceOf(Uint16Array);
    expect(block.data.buffer).toBe(views[0].buffer);
    views.forEach((view, k) => {
      expect(Array.from(block.data.subarray(k * block.stride, k * block.stride + frameLength))).toEqual(
        Array.from(view),
      );
    });
    expect(block.data.length).toBe((COUNT - 1) * block.stride + frameLength);
  });

  it('anything else stays a list', () => {
    const { views, copies } = chunk();
    expect(stridedFrames(copies)).toBeNull(); // separate buffers
    expect(stridedFrames(views.slice(0, 1))).toBeNull(); // one frame: nothing to gain
    expect(stridedFrames([views[0], views[2], views[3]])).toBeNull(); // irregular stride
    const mixed: CountsFrame[] = [...views];
    mixed[4] = new Int16Array(views[4].buffer, views[4].byteOffset, frameLength);
    expect(stridedFrames(mixed)).toBeNull(); // another type
    const overlapping = views.map((view, k) => new Uint16Array(view.buffer, 8 + k * 4, frameLength));
    expect(stridedFrames(overlapping)).toBeNull(); // frames overlap: stride below the frame length
  });
});

describe.skipIf(!nativeAvailable())('native counts batches given a strided block', () => {
  const wl = Float64Array.from({ length: 40 }, (_v, k) => 600 + 5 * k);
  const plan: CountsPlan = {
    width,
    height,
    first: 0,
    last: 1,
    used: Int32Array.from({ length: 40 }, (_v, k) => 10 + k),
    darkSum: new Float64Array(40).fill(1200),
    invDen: Float64Array.from({ length: 40 }, (_v, k) => 1e-9 * (1 + k / 40)),
    invDen2: Float64Array.from({ length: 40 }, (_v, k) => (1e-9 * (1 + k / 40)) ** 2),
    relVarDen: new Float64Array(40).fill(1e-4),
    saturation: 65535,
    invGain: 0.5,
    readVar: 16,
  };

  it('the same row sums, preparation and fits as the frames given one by one', async () => {
    const engine = getEngine('native');
    const { views, copies } = chunk();
    const stage = (frames: CountsFrame[]) => {
      const out = {
        sig: new Float64Array(COUNT * 40),
        mask: new Uint8Array(COUNT * 40),
        totals: new Float64Array(COUNT),
      };
      return { flags: Array.from(engine.countsStageBatchSync!(wl, frames, plan, out)), out };
    };
    const strided = stage(views);
    expect(strided).toEqual(stage(copies));
    expect(strided.flags[3]).not.toBe(0); // the saturated pixel of frame 3 was read from the block
    const batch = async (frames: CountsFrame[]) => {
      const out = {
        radiance: new Float64Array(COUNT * 40),
        variance: new Float64Array(COUNT * 40),
        mask: new Uint8Array(COUNT * 40),
      };
      const result = await engine.analyzeCountsBatch!(wl, frames, plan, out, {});
      return { result, out };
    };
    expect(await batch(views)).toEqual(await batch(copies));
  });

  it('a bad block is a TypeError or RangeError naming the field, never a crash', () => {
    const addon = loadNative().addon!;
    const call = addon.countsStageBatchSync as unknown as (...a: unknown[]) => unknown;
    const { views } = chunk();
    const good = stridedFrames(views)!;
    const out = { sig: new Float64Array(COUNT * 40), mask: new Uint8Array(COUNT * 40) };
    const cases: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [{ ...good, data: [1, 2, 3] }, TypeError, /frames\.data/],
      [{ ...good, stride: 'x' }, TypeError, /frames\.stride/],
      [{ ...good, stride: frameLength - 1 }, RangeError, /frames\.stride/],
      [{ ...good, count: 1.5 }, RangeError, /frames\.count/],
      [{ ...good, count: COUNT + 1 }, RangeError, /fewer than 10 frames/],
      [{ ...good, stride: good.stride + 1 }, RangeError, /fewer than 9 frames/],
    ];
    for (const [frames, kind, message] of cases) {
      expect(() => call(wl, frames, plan, out)).toThrow(kind);
      expect(() => call(wl, frames, plan, out)).toThrow(message);
    }
  });
});

describe('frames declared strided by their producer (markStrided)', () => {
  it('give the declared block without being looked at, and their frame length', () => {
    const { views } = chunk();
    const declaredBlock = { data: views[0], stride: 1, count: COUNT }; // (not what the views are: proves no look)
    const frames = views.slice();
    markStrided(frames, declaredBlock, frameLength);
    expect(stridedFrames(frames)).toBe(declaredBlock);
    expect(declaredFrameLength(frames)).toBe(frameLength);
  });

  it('an array of another length than declared, or never declared, is looked at as before', () => {
    const { views } = chunk();
    const frames = views.slice();
    markStrided(frames, { data: views[0], stride: 1, count: COUNT + 1 }, frameLength);
    expect(declaredFrameLength(frames)).toBeNull();
    expect(stridedFrames(frames)!.stride).toBe(frameLength + GAP);
    expect(declaredFrameLength(views)).toBeNull();
  });
});
