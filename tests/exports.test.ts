/**
 * The package's supported entry points (package.json `exports`): each maps to a module of src/ that exists and
 * is built to the file named; the physics entry keeps the loader's test seams private.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import * as physics from '../src/physics';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

describe('package.json exports', () => {
  it('lists the supported entry points, and nothing deeper', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(
      ['.', './analysis', './detect', './io', './package.json', './physics', './server', './stream'].sort(),
    );
  });

  it.each(Object.entries(pkg.exports).filter(([key]) => key !== './package.json'))(
    '%s: types and code of one src module that exists',
    (key, target) => {
      expect(typeof target).toBe('object');
      const { types, default: code } = target as { types: string; default: string };
      const area = key === '.' ? 'index' : `${key.slice(2)}/index`;
      expect(code).toBe(`./dist/${area}.js`);
      expect(types).toBe(`./dist/${area}.d.ts`);
      expect(fs.existsSync(path.join(ROOT, 'src', `${area}.ts`))).toBe(true);
    },
  );

  it('pyrolive/physics exports the engine and Planck, not the loader seams', () => {
    expect(typeof physics.getEngine).toBe('function');
    expect(typeof physics.planckRadiance).toBe('function');
    expect(typeof physics.planckCurve).toBe('function');
    for (const seam of ['wrapNative', 'createEngineSelector', 'addonCandidates', 'formatLoadReport', 'PACKAGE_ROOT']) {
      expect(seam in physics, seam).toBe(false);
    }
  });
});
