/**
 * Native → JS error mapping (engine.ts `rethrow`): the addon's argument errors (TypeError/RangeError) become
 * FitArgumentError, as the TypeScript engine throws; its internal errors ("internal error: …", "out of memory",
 * "batch fit failed: …") stay plain Errors, i.e. bugs, with their stack. A fake addon stands in for a native
 * failure that real arguments cannot provoke; the real addon shows the argument path.
 */
import { describe, expect, it } from 'vitest';
import { FitArgumentError, UsageError, isPyroliveError } from '../../src/errors';
import { createEngineSelector, wrapNative, type NativeAddon } from '../../src/physics/engine';
import { getEngine, jsEngine, nativeAvailable } from '../../src/physics';
import { thrownBy } from '../support/thrown';

/** An addon whose every function throws (or, for the async batches, rejects with) `error`. */
function failingAddon(error: unknown): NativeAddon {
  const fail = (): never => {
    throw error;
  };
  const reject = (): Promise<never> => Promise.reject(error);
  return {
    fitPlanck: fail,
    fitWien: fail,
    twoColor: fail,
    slidingTwoColor: fail,
    fitPlanckBatch: reject,
    fitPlanckBatchSync: fail,
    slidingTwoColorBatch: reject,
    slidingTwoColorBatchSync: fail,
    analyzeCountsBatch: reject,
    analyzeCountsBatchSync: fail,
    hardwareConcurrency: 1,
  };
}

const wl = Float64Array.from([600, 650, 700, 750]);
const y = Float64Array.from([1, 2, 3, 4]);

describe('native errors → JS', () => {
  it.each([
    ['RangeError', new RangeError('wavelengths must be increasing')],
    ['TypeError', new TypeError('wavelengths must be a Float64Array')],
  ])('an argument error from the addon (%s) is a FitArgumentError with its message and code', async (_kind, err) => {
    const engine = wrapNative(failingAddon(err));
    const sync = [
      () => engine.fitPlanck(wl, y),
      () => engine.fitWien(wl, y),
      () => engine.twoColor(wl, y, 0, 3),
      () => engine.slidingTwoColor(wl, y, 2),
      () => engine.fitPlanckBatchSync(wl, y, 1),
      () => engine.slidingTwoColorBatchSync(wl, y, 1, 2),
    ];
    for (const call of sync) {
      const thrown = thrownBy(call);
      expect(thrown).toBeInstanceOf(FitArgumentError);
      expect((thrown as FitArgumentError).code).toBe('E_FIT_ARGUMENT');
      expect((thrown as FitArgumentError).message).toBe(err.message);
    }
    await expect(engine.fitPlanckBatch(wl, y, 1)).rejects.toBeInstanceOf(FitArgumentError);
    await expect(engine.slidingTwoColorBatch(wl, y, 1, 2)).rejects.toBeInstanceOf(FitArgumentError);
  });

  it.each([
    ['internal error', new Error('internal error: vector::_M_range_check')],
    ['out of memory', new Error('out of memory')],
    ['a non-Error', 'something odd'],
  ])('%s from the addon stays a bug: the same value, not a PyroliveError', (_kind, err) => {
    const engine = wrapNative(failingAddon(err));
    for (const call of [() => engine.fitPlanck(wl, y), () => engine.slidingTwoColorBatchSync(wl, y, 1, 2)]) {
      const thrown = thrownBy(call);
      expect(thrown).toBe(err);
      expect(isPyroliveError(thrown)).toBe(false);
    }
  });

  it('an async batch that fails inside the worker rejects with the plain Error (a bug), its stack intact', async () => {
    const err = new Error('batch fit failed: std::bad_array_new_length');
    const engine = wrapNative(failingAddon(err));
    const rejected = await engine.fitPlanckBatch(wl, y, 1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(rejected).toBe(err);
    expect(isPyroliveError(rejected)).toBe(false);
    expect((rejected as Error).stack).toContain('errors.test.ts');
  });

  it.skipIf(!nativeAvailable())(
    'the real addon: a bad argument is a FitArgumentError, same class and code as js',
    () => {
      const short = Float64Array.from([600, 650]);
      for (const engine of [getEngine('native'), jsEngine]) {
        const thrown = thrownBy(() => engine.fitPlanck(wl, short));
        expect(thrown, engine.name).toBeInstanceOf(FitArgumentError);
        expect((thrown as FitArgumentError).code, engine.name).toBe('E_FIT_ARGUMENT');
      }
    },
  );
});

describe('engine selection errors carry codes', () => {
  const root = `${__dirname}/no-such-dir`;

  it('a bad PYROLIVE_ENGINE, an unknown engine name and an unavailable native engine', () => {
    const saved = process.env.PYROLIVE_ENGINE;
    const selector = createEngineSelector(root, () => undefined);
    const codeOf = (call: () => unknown): string | undefined => {
      const thrown = thrownBy(call);
      expect(thrown).toBeInstanceOf(UsageError);
      return (thrown as UsageError).code;
    };
    try {
      process.env.PYROLIVE_ENGINE = 'fortran';
      expect(codeOf(() => selector.getEngine())).toBe('E_ENGINE_ENV');
      delete process.env.PYROLIVE_ENGINE;
      expect(codeOf(() => selector.getEngine('fortran' as 'js'))).toBe('E_ENGINE_UNKNOWN');
      expect(codeOf(() => selector.getEngine('native'))).toBe('E_ENGINE_UNAVAILABLE');
    } finally {
      if (saved === undefined) {
        delete process.env.PYROLIVE_ENGINE;
      } else {
        process.env.PYROLIVE_ENGINE = saved;
      }
    }
  });
});
