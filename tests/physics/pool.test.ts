/**
 * The native batches' persistent worker pool (native/batch.cc): many batches in flight at once, with different
 * thread counts and masks, give exactly the results of the same batches run one at a time on the calling thread;
 * batches queued one after another are taken first in, first out.
 */
import { describe, expect, it } from 'vitest';
import { getEngine, nativeAvailable } from '../../src/physics';
import { planckRadiance } from '../../src/sim/spectrum';

const N_PIX = 300;
const wl = Float64Array.from({ length: N_PIX }, (_v, i) => 500 + i);

function frames(nF: number, seed: number): { y: Float64Array; variance: Float64Array } {
  const y = new Float64Array(nF * N_PIX);
  const variance = new Float64Array(nF * N_PIX);
  let state = seed;
  const uniform = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let f = 0; f < nF; f++) {
    const temperature = 1500 + 3000 * uniform();
    for (let i = 0; i < N_PIX; i++) {
      const level = 1e-8 * planckRadiance(wl[i], temperature);
      y[f * N_PIX + i] = level * (1 + 0.01 * (uniform() - 0.5));
      variance[f * N_PIX + i] = (0.01 * level) ** 2 + 1e-6;
    }
  }
  return { y, variance };
}

describe.skipIf(!nativeAvailable())('native batch worker pool', () => {
  it('12 batches in flight (threads 1, 2, 3, 8; shared and per-frame masks) equal the sync results exactly', async () => {
    const native = getEngine('native');
    const jobs = Array.from({ length: 12 }, (_v, k) => {
      const nF = 100 + 137 * k;
      const data = frames(nF, 1000 + k);
      const perFrame = k % 3 === 0;
      const mask = new Uint8Array(perFrame ? nF * N_PIX : N_PIX).map((_m, i) => (i % N_PIX < 20 + k ? 1 : 0));
      const threads = [1, 2, 3, 8][k % 4];
      return { nF, data, mask, threads, twoColorSeparation: k % 2 ? 40 : undefined };
    });
    const results = await Promise.all(
      jobs.map((j) =>
        native.fitPlanckBatch(wl, j.data.y, j.nF, {
          variance: j.data.variance,
          mask: j.mask,
          threads: j.threads,
          twoColorSeparation: j.twoColorSeparation,
        }),
      ),
    );
    jobs.forEach((j, k) => {
      const sync = native.fitPlanckBatchSync(wl, j.data.y, j.nF, {
        variance: j.data.variance,
        mask: j.mask,
        twoColorSeparation: j.twoColorSeparation,
      });
      expect(Array.from(results[k].temperature)).toEqual(Array.from(sync.temperature));
      expect(Array.from(results[k].temperatureError)).toEqual(Array.from(sync.temperatureError));
      expect(Array.from(results[k].status)).toEqual(Array.from(sync.status));
      expect(results[k].temperature.every((t) => t > 1000 && t < 5000)).toBe(true);
      if (j.twoColorSeparation) {
        expect(Array.from(results[k].twoColor!.mean)).toEqual(Array.from(sync.twoColor!.mean));
      }
    });
  });

  it('batches queued one after another on the pool are taken in that order (the first is done before the third)', async () => {
    // (the order of the promises' resolution also depends on when the OS wakes each waiting libuv thread: the
    // first and the third batch are two whole batches of work apart)
    const native = getEngine('native');
    const data = frames(20000, 7);
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2].map((k) =>
        native.fitPlanckBatch(wl, data.y, 20000, { variance: data.variance, threads: 2 }).then(() => order.push(k)),
      ),
    );
    expect(order.indexOf(0)).toBeLessThan(order.indexOf(2));
  });
});
