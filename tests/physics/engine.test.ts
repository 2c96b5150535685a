// Engine selection: PYROLIVE_ENGINE, explicit names, and the loader's report when the addon is absent.
import * as path from 'path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors';
import {
  getEngine,
  jsEngine,
  loadNative,
  nativeAvailable,
  nativeLoadReport,
  physics,
  planckCurve,
} from '../../src/physics';
import { addonCandidates, createEngineSelector } from '../../src/physics/engine';
import { exactPlanck, grid } from '../support/spectra';

const saved = process.env.PYROLIVE_ENGINE;
afterEach(() => {
  if (saved === undefined) {
    delete process.env.PYROLIVE_ENGINE;
  } else {
    process.env.PYROLIVE_ENGINE = saved;
  }
});
const wl = grid(40, 550, 850);
const y = exactPlanck(wl, 3000, 1);

describe('engine selection', () => {
  it('PYROLIVE_ENGINE=js gives the TypeScript engine and results say so', () => {
    process.env.PYROLIVE_ENGINE = 'js';
    const e = getEngine();
    expect(e).toBe(jsEngine);
    expect(e.fitPlanck(wl, y).engine).toBe('js');
    expect(e.fitWien(wl, y).engine).toBe('js');
  });

  it('PYROLIVE_ENGINE=native gives the addon (built by npm install) and results say so', async () => {
    process.env.PYROLIVE_ENGINE = 'native';
    const e = getEngine();
    expect(e.name).toBe('native');
    expect(e.fitPlanck(wl, y).engine).toBe('native');
    expect(e.slidingTwoColor(wl, y, 5).engine).toBe('native');
    const b = await e.fitPlanckBatch(wl, y, 1);
    expect(b.engine).toBe('native');
    expect(e.fitPlanckBatchSync(wl, y, 1).engine).toBe('native');
  });

  it('default is native when it loads; the report names the loaded path', () => {
    delete process.env.PYROLIVE_ENGINE;
    expect(nativeAvailable()).toBe(true);
    expect(getEngine().name).toBe('native');
    expect(nativeLoadReport()).toContain(path.join('build', 'Release', 'pyrolive.node'));
    expect(nativeLoadReport()).toMatch(/loaded/);
  });

  it('`physics` follows the selection at call time', () => {
    process.env.PYROLIVE_ENGINE = 'js';
    expect(physics.name).toBe('js');
    expect(physics.fitPlanck(wl, y).engine).toBe('js');
    process.env.PYROLIVE_ENGINE = 'native';
    expect(physics.name).toBe('native');
    expect(physics.fitPlanck(wl, y).engine).toBe('native');
  });

  it('planckCurve is the fitted model', () => {
    const r = getEngine('js').fitPlanck(wl, y);
    const c = planckCurve(wl, r.temperature, r.scale);
    for (let i = 0; i < wl.length; i++) {
      expect(Math.abs(c[i] / y[i] - 1)).toBeLessThan(1e-8);
    }
    expect(() => planckCurve(wl, -1, 1)).toThrow(/temperature must be finite and > 0/);
  });

  it('a bad PYROLIVE_ENGINE is a usage error', () => {
    process.env.PYROLIVE_ENGINE = 'fortran';
    expect(() => getEngine()).toThrow(UsageError);
    expect(() => getEngine()).toThrow(/PYROLIVE_ENGINE must be 'js' or 'native'/);
    expect(getEngine('js')).toBe(jsEngine); // an explicit name wins over the environment
  });
});

describe('addon absent (loader pointed at a directory without it)', () => {
  const root = path.join(__dirname, 'no-such-dir');

  it('loadNative reports every path tried with its error', () => {
    const r = loadNative(root);
    expect(r.addon).toBeNull();
    expect(r.tried.map((t) => t.path)).toEqual(addonCandidates(root));
    expect(r.tried.map((t) => t.path)).toEqual([
      path.join(root, 'build', 'Release', 'pyrolive.node'),
      path.join(root, 'build', 'Debug', 'pyrolive.node'),
    ]);
    for (const t of r.tried) {
      expect(t.error).toMatch(/Cannot find module/);
    }
  });

  it('falls back to js with ONE warning naming the paths; asking for native throws', () => {
    delete process.env.PYROLIVE_ENGINE;
    const warn = vi.fn();
    const sel = createEngineSelector(root, warn);
    expect(sel.nativeAvailable()).toBe(false);
    expect(sel.getEngine()).toBe(jsEngine);
    expect(sel.getEngine()).toBe(jsEngine);
    expect(warn).toHaveBeenCalledTimes(1);
    const msg = warn.mock.calls[0][0] as string;
    expect(msg).toContain(path.join(root, 'build', 'Release', 'pyrolive.node'));
    expect(msg).toContain(path.join(root, 'build', 'Debug', 'pyrolive.node'));
    expect(msg).toMatch(/TypeScript/);
    expect(() => sel.getEngine('native')).toThrow(UsageError);
    expect(() => sel.getEngine('native')).toThrow(/cannot be loaded.*no-such-dir/);
    expect(sel.nativeLoadReport()).toMatch(/not available/);
  });

  it('PYROLIVE_ENGINE=js asks nothing of the addon and warns nothing', () => {
    process.env.PYROLIVE_ENGINE = 'js';
    const warn = vi.fn();
    const sel = createEngineSelector(root, warn);
    expect(sel.getEngine()).toBe(jsEngine);
    expect(warn).not.toHaveBeenCalled();
    process.env.PYROLIVE_ENGINE = 'native';
    expect(() => sel.getEngine()).toThrow(UsageError);
  });

  it('the default stderr warning is written once', () => {
    delete process.env.PYROLIVE_ENGINE;
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const sel = createEngineSelector(root);
      sel.getEngine();
      sel.getEngine();
      sel.getEngine();
      const ours = spy.mock.calls.filter((c) => String(c[0]).includes('pyrolive: warning'));
      expect(ours.length).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });
});
