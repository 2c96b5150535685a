/**
 * One fit status, two languages: FitStatus (src/physics/types.ts) must equal native/fit.h's `pyro::Status`,
 * read from the header text; and both engines report those codes for the cases they name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { FIT_STATUS, getEngine, jsEngine, nativeAvailable, type PhysicsEngine } from '../../src/physics';
import { FitStatus } from '../../src/physics/types';
import { exactPlanck, grid } from '../support/spectra';

/** `enum Status : uint8_t { Ok = 0, … }` of native/fit.h as name → value. */
function nativeStatus(): Record<string, number> {
  const header = fs.readFileSync(path.resolve(__dirname, '../../native/fit.h'), 'utf8');
  const match = /enum\s+Status\s*:\s*uint8_t\s*\{([^}]*)\}/.exec(header);
  expect(match, 'native/fit.h declares enum Status').not.toBeNull();
  const entries = (match as RegExpExecArray)[1]
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const [name, value] = item.split('=').map((part) => part.trim());
      return [name, Number(value)] as const;
    });
  return Object.fromEntries(entries);
}

describe('FitStatus', () => {
  it("equals native/fit.h's Status, name for name and value for value", () => {
    expect(nativeStatus()).toEqual({ ...FitStatus });
  });

  it('is one object under both names (FIT_STATUS is the deprecated alias)', () => {
    expect(FIT_STATUS).toBe(FitStatus);
  });

  const engines: PhysicsEngine[] = [jsEngine, ...(nativeAvailable() ? [getEngine('native')] : [])];
  it.each(engines.map((engine) => [engine.name, engine] as const))(
    '%s: a batch reports Ok, InvalidData and TooFewPixels with these codes',
    (_name, engine) => {
      const wl = grid(40, 550, 850);
      const good = exactPlanck(wl, 2500, 1e-6);
      const frames = new Float64Array(3 * wl.length);
      frames.set(good, 0);
      frames.set(good, wl.length);
      frames[wl.length + 7] = Number.NaN;
      const mask = new Uint8Array(wl.length).fill(1);
      const result = engine.fitPlanckBatchSync(wl, frames.subarray(0, 2 * wl.length), 2);
      expect(Array.from(result.status)).toEqual([FitStatus.Ok, FitStatus.InvalidData]);
      const masked = engine.fitPlanckBatchSync(wl, frames.subarray(0, wl.length), 1, { mask });
      expect(Array.from(masked.status)).toEqual([FitStatus.TooFewPixels]);
    },
  );
});
