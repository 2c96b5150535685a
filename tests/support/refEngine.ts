/**
 * A small, independent reference implementation of the PhysicsEngine contract for the analysis tests:
 * variable projection (scale eliminated) with a golden-section + Newton search on T, plain JS, no speed.
 * Used (1) as the "scipy-style" unweighted reference fit and (2) to run the pipeline when the real engine is
 * not built. It shares no code with src/physics.
 */
import type {
  BatchOptions,
  BatchResult,
  FitOptions,
  PhysicsEngine,
  PlanckResult,
  SlidingTwoColorBatchOptions,
  SlidingTwoColorResult,
  TwoColorBatchResult,
  WienResult,
} from '../../src/physics/types';

const C1 = 1.191042972e-16;
const C2 = 1.438776877e-2;
const L = (nm: number, T: number) => {
  const l = nm * 1e-9;
  return C1 / l ** 5 / Math.expm1(C2 / (l * T));
};

function profile(wl: Float64Array, y: Float64Array, w: Float64Array, T: number): { chi2: number; s: number } {
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < wl.length; i++) {
    if (w[i] === 0) {
      continue;
    }
    const l = L(wl[i], T);
    a += w[i] * y[i] * l;
    b += w[i] * l * l;
    c += w[i] * y[i] * y[i];
  }
  const s = a / b;
  return { chi2: c - (a * a) / b, s };
}

export function refFitPlanck(wl: Float64Array, y: Float64Array, opts: FitOptions = {}): PlanckResult {
  const n = wl.length;
  const w = new Float64Array(n);
  let used = 0;
  for (let i = 0; i < n; i++) {
    if (opts.mask && opts.mask[i]) {
      continue;
    }
    w[i] = opts.variance ? 1 / opts.variance[i] : 1;
    used++;
  }
  // coarse log grid then golden section on ln T
  let best = 1000;
  let bestC = Infinity;
  for (let lt = Math.log(500); lt < Math.log(20000); lt += 0.05) {
    const c = profile(wl, y, w, Math.exp(lt)).chi2;
    if (c < bestC) {
      bestC = c;
      best = lt;
    }
  }
  let lo = best - 0.05;
  let hi = best + 0.05;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 50; it++) {
    const x1 = hi - g * (hi - lo);
    const x2 = lo + g * (hi - lo);
    if (profile(wl, y, w, Math.exp(x1)).chi2 < profile(wl, y, w, Math.exp(x2)).chi2) {
      hi = x2;
    } else {
      lo = x1;
    }
  }
  const T = Math.exp(0.5 * (lo + hi));
  const p = profile(wl, y, w, T);
  const h = T * 1e-4;
  const c2 = (profile(wl, y, w, T + h).chi2 - 2 * p.chi2 + profile(wl, y, w, T - h).chi2) / (h * h);
  let sT = Math.sqrt(2 / c2);
  const dof = used - 2;
  if (!opts.variance) {
    sT *= Math.sqrt(p.chi2 / dof);
  }
  return {
    temperature: T,
    temperatureError: sT,
    scale: p.s,
    chi2: p.chi2,
    dof,
    iterations: 80,
    converged: true,
    engine: 'js',
  };
}

function batch(wl: Float64Array, frames: Float64Array, nF: number, o: BatchOptions = {}): BatchResult {
  const n = wl.length;
  const r: BatchResult = {
    temperature: new Float64Array(nF),
    temperatureError: new Float64Array(nF),
    scale: new Float64Array(nF),
    chi2: new Float64Array(nF),
    dof: new Int32Array(nF),
    iterations: new Int32Array(nF),
    status: new Uint8Array(nF),
    engine: 'js',
  };
  for (let f = 0; f < nF; f++) {
    const y = frames.subarray(f * n, (f + 1) * n);
    const m = o.mask ? (o.mask.length === n ? o.mask : o.mask.subarray(f * n, (f + 1) * n)) : undefined;
    const v = o.variance ? o.variance.subarray(f * n, (f + 1) * n) : undefined;
    let bad = false;
    let cnt = 0;
    for (let i = 0; i < n; i++) {
      if (m && m[i]) {
        continue;
      }
      cnt++;
      if (!Number.isFinite(y[i]) || (v && !(v[i] > 0))) {
        bad = true;
      }
    }
    if (bad) {
      r.status[f] = 1;
      r.temperature[f] = NaN;
      continue;
    }
    if (cnt < 3) {
      r.status[f] = 3;
      r.temperature[f] = NaN;
      continue;
    }
    const p = refFitPlanck(wl, y, { variance: v, mask: m });
    r.temperature[f] = p.temperature;
    r.temperatureError[f] = p.temperatureError;
    r.scale[f] = p.scale;
    r.chi2[f] = p.chi2;
    r.dof[f] = p.dof;
    r.iterations[f] = p.iterations;
  }
  if (o.twoColorSeparation) {
    r.twoColor = twoColorBatch(wl, frames, nF, o.twoColorSeparation, o);
  }
  return r;
}

/** Per-frame slidingTwoColor of this engine; NaN/0 where it has no valid pair or a non-finite used pixel. */
function twoColorBatch(
  wl: Float64Array,
  frames: Float64Array,
  nF: number,
  sep: number,
  o: SlidingTwoColorBatchOptions = {},
): TwoColorBatchResult {
  const n = wl.length;
  const out: TwoColorBatchResult = {
    mean: new Float64Array(nF).fill(NaN),
    std: new Float64Array(nF).fill(NaN),
    count: new Int32Array(nF),
  };
  for (let f = 0; f < nF; f++) {
    const y = frames.subarray(f * n, (f + 1) * n);
    const m = o.mask ? (o.mask.length === n ? o.mask : o.mask.subarray(f * n, (f + 1) * n)) : undefined;
    let bad = false;
    for (let i = 0; i < n; i++) {
      if (!(m && m[i]) && !Number.isFinite(y[i])) {
        bad = true;
      }
    }
    if (bad) {
      continue;
    }
    const r = refEngine.slidingTwoColor(wl, y, sep, { mask: m });
    if (r.count > 0) {
      out.mean[f] = r.mean;
      out.std[f] = r.count > 1 ? r.std : 0;
      out.count[f] = r.count;
    }
  }
  return out;
}

export const refEngine: PhysicsEngine = {
  name: 'js',
  fitPlanck: refFitPlanck,
  fitWien(wl, y, opts = {}): WienResult {
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let n = 0;
    for (let i = 0; i < wl.length; i++) {
      if ((opts.mask && opts.mask[i]) || !(y[i] > 0)) {
        continue;
      }
      const x = 1 / (wl[i] * 1e-9);
      const l = wl[i] * 1e-9;
      const z = Math.log((y[i] * l ** 5) / C1);
      const ww = opts.variance ? (y[i] * y[i]) / opts.variance[i] : 1;
      sw += ww;
      sx += ww * x;
      sy += ww * z;
      sxx += ww * x * x;
      sxy += ww * x * z;
      n++;
    }
    const d = sw * sxx - sx * sx;
    const slope = (sw * sxy - sx * sy) / d;
    const icpt = (sy - slope * sx) / sw;
    const T = -C2 / slope;
    const sSlope = Math.sqrt(sw / d);
    return {
      temperature: T,
      temperatureError: (T * sSlope) / Math.abs(slope),
      scale: Math.exp(icpt),
      chi2: 0,
      dof: n - 2,
      engine: 'js',
    };
  },
  twoColor(wl, y, i, j) {
    const li = wl[i] * 1e-9;
    const lj = wl[j] * 1e-9;
    return (C2 * (1 / lj - 1 / li)) / Math.log((y[i] * li ** 5) / (y[j] * lj ** 5));
  },
  slidingTwoColor(wl, y, sep, opts = {}): SlidingTwoColorResult {
    const ts: number[] = [];
    for (let i = 0; i + sep < wl.length; i++) {
      const j = i + sep;
      if (opts.mask && (opts.mask[i] || opts.mask[j])) {
        continue;
      }
      if (!(y[i] > 0 && y[j] > 0)) {
        continue;
      }
      const t = this.twoColor(wl, y, i, j);
      if (Number.isFinite(t) && t > 0) {
        ts.push(t);
      }
    }
    const mean = ts.reduce((a, b) => a + b, 0) / ts.length;
    const std = Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ts.length - 1));
    return {
      mean,
      std,
      count: ts.length,
      histogram: { edges: new Float64Array(2), counts: new Uint32Array(1) },
      engine: 'js',
    };
  },
  fitPlanckBatchSync: batch,
  slidingTwoColorBatchSync(wl, frames, nF, sep, o) {
    return { ...twoColorBatch(wl, frames, nF, sep, o), engine: 'js' };
  },
  async slidingTwoColorBatch(wl, frames, nF, sep, o) {
    return { ...twoColorBatch(wl, frames, nF, sep, o), engine: 'js' };
  },
  async fitPlanckBatch(wl, frames, nF, o) {
    return batch(wl, frames, nF, o);
  },
};
