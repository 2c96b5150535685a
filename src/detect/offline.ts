/**
 * Offline refinement: per leg (a heating or cooling run), the best continuous segmented (hinge) fit
 *   T = a + b (x − x0) + Σ_j c_j · max(0, x − κ_j),   x = direction × power,
 * with one breakpoint per kink the online detector confirmed. Breakpoints are re-placed by coordinate descent
 * (scan over nearby power levels, then golden section between levels) with robust 4σ rejection; uncertainties
 * come from the full Gauss–Newton covariance of (a, b, c_j, κ_j), scaled by the residual scatter.
 */
import type { ResolvedDetectorOptions, SlopeEvent, OfflineFit, FitLeg, FitSegment, FitBreakpoint } from './types';
import type { StoredPoint, Leg } from './detector';
import { hingeZAt, levelStarts, reserveSums } from './hinge';
import { firstAbove, golden, madSigma, invertMatrix, reserveMadScratch } from './stats';

/** Offline re-test: a kink whose whole-curve significance falls below this (σ; p ≈ 0.05 two-sided) is no
 * longer supported by the data and is retracted. Lower than the online threshold on purpose: the online threshold
 * controls the scan over ~50 candidates × ~100 points, the re-test asks about one given kink (and the local z
 * on the points between its neighbours loses power near the ends of a leg). */
export const RETEST_SIGMA = 2;

export interface KinkRef {
  eventId: number;
  role: 'start' | 'end';
  leg: number;
  x: number;
}

interface LegData {
  x: Float64Array;
  y: Float64Array;
  w0: Float64Array;
  ord: Int32Array;
  n: number;
}

function legData(pts: StoredPoint[], leg: Leg): LegData {
  const dir = leg.direction === -1 ? -1 : 1;
  const ords: number[] = [];
  for (let i = leg.first; i < leg.end && i < pts.length; i++) {
    ords.push(i);
  }
  ords.sort((i, j) => dir * pts[i].power - dir * pts[j].power || i - j);
  const n = ords.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const w0 = new Float64Array(n);
  const ord = new Int32Array(n);
  let ws = 0;
  for (let i = 0; i < n; i++) {
    const p = pts[ords[i]];
    x[i] = dir * p.power;
    y[i] = p.temperature;
    w0[i] = p.weight;
    ws += p.weight;
    ord[i] = ords[i];
  }
  for (let i = 0; i < n; i++) {
    w0[i] *= n / (ws || 1);
  }
  return { x, y, w0, ord, n };
}

interface Solved {
  beta: Float64Array;
  rss: number;
}

/** WLS of the segmented model at fixed breakpoints. x0 centres the line. */
function solveSegmented(D: LegData, w: Float64Array, kap: number[], x0: number): Solved | null {
  const p = 2 + kap.length;
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  const g = new Float64Array(p);
  for (let i = 0; i < D.n; i++) {
    const wi = w[i];
    if (!(wi > 0)) {
      continue;
    }
    const x = D.x[i];
    g[0] = 1;
    g[1] = x - x0;
    for (let j = 0; j < kap.length; j++) {
      g[2 + j] = x > kap[j] ? x - kap[j] : 0;
    }
    const y = D.y[i];
    for (let r = 0; r < p; r++) {
      const wr = wi * g[r];
      b[r] += wr * y;
      for (let c = r; c < p; c++) {
        A[r * p + c] += wr * g[c];
      }
    }
  }
  for (let r = 0; r < p; r++) {
    for (let c = 0; c < r; c++) {
      A[r * p + c] = A[c * p + r];
    }
  }
  const inv = invertMatrix(A, p);
  if (!inv) {
    return null;
  }
  const beta = new Float64Array(p);
  for (let r = 0; r < p; r++) {
    let s = 0;
    for (let c = 0; c < p; c++) {
      s += inv[r * p + c] * b[c];
    }
    beta[r] = s;
  }
  // rss computed directly (cancellation-safe)
  let rss = 0;
  for (let i = 0; i < D.n; i++) {
    const wi = w[i];
    if (!(wi > 0)) {
      continue;
    }
    const r = D.y[i] - predict(beta, kap, x0, D.x[i]);
    rss += wi * r * r;
  }
  return { beta, rss };
}

/** Suffix sums of the sorted leg under weights w (x centred on x0, y on its weighted mean): every entry of the
 * segmented model's normal equations in O(1) at any breakpoints, so placing a breakpoint costs O(p³ + p log n)
 * per trial instead of a pass over the leg. */
interface SegSums {
  n: number;
  x: Float64Array;
  x0: number;
  yc: number;
  s0: Float64Array;
  s1: Float64Array;
  s2: Float64Array;
  sy: Float64Array;
  sxy: Float64Array;
  syy: number;
  pos: Int32Array;
}
function segSums(D: LegData, w: Float64Array, x0: number): SegSums {
  const n = D.n;
  let sw = 0;
  let swy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (wi > 0) {
      sw += wi;
      swy += wi * D.y[i];
    }
  }
  const yc = sw > 0 ? swy / sw : 0;
  const s0 = new Float64Array(n + 1);
  const s1 = new Float64Array(n + 1);
  const s2 = new Float64Array(n + 1);
  const sy = new Float64Array(n + 1);
  const sxy = new Float64Array(n + 1);
  const pos = new Int32Array(n + 1);
  let syy = 0;
  for (let i = n - 1; i >= 0; i--) {
    const wi = w[i] > 0 ? w[i] : 0;
    const x = D.x[i] - x0;
    const y = D.y[i] - yc;
    s0[i] = s0[i + 1] + wi;
    s1[i] = s1[i + 1] + wi * x;
    s2[i] = s2[i + 1] + wi * x * x;
    sy[i] = sy[i + 1] + wi * y;
    sxy[i] = sxy[i + 1] + wi * x * y;
    syy += wi * y * y;
  }
  for (let i = 0; i < n; i++) {
    pos[i + 1] = pos[i] + (w[i] > 0 ? 1 : 0);
  }
  return { n, x: D.x, x0, yc, s0, s1, s2, sy, sxy, syy, pos };
}
/** Weighted points (w > 0) with a < x ≤ b. */
function countBetween(S: SegSums, a: number, b: number): number {
  const ia = a === -Infinity ? 0 : firstAbove(S.x, S.n, a);
  const ib = b === Infinity ? S.n : firstAbove(S.x, S.n, b);
  return ib > ia ? S.pos[ib] - S.pos[ia] : 0;
}
/** The same fit as solveSegmented, from the sums (rss = yy − βᵀb on centred y). */
function solveSums(S: SegSums, kap: number[]): Solved | null {
  const m = kap.length;
  const p = 2 + m;
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  const idx = new Int32Array(m);
  const kc = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    idx[j] = firstAbove(S.x, S.n, kap[j]);
    kc[j] = kap[j] - S.x0;
  }
  A[0] = S.s0[0];
  A[1] = S.s1[0];
  A[p] = S.s1[0];
  A[p + 1] = S.s2[0];
  b[0] = S.sy[0];
  b[1] = S.sxy[0];
  for (let j = 0; j < m; j++) {
    const i = idx[j];
    const k = kc[j];
    const c0 = S.s1[i] - k * S.s0[i];
    const c1 = S.s2[i] - k * S.s1[i];
    A[2 + j] = c0;
    A[(2 + j) * p] = c0;
    A[p + 2 + j] = c1;
    A[(2 + j) * p + 1] = c1;
    b[2 + j] = S.sxy[i] - k * S.sy[i];
    for (let l = j; l < m; l++) {
      const q = Math.max(i, idx[l]);
      const kl = kc[l];
      const v = S.s2[q] - (k + kl) * S.s1[q] + k * kl * S.s0[q];
      A[(2 + j) * p + 2 + l] = v;
      A[(2 + l) * p + 2 + j] = v;
    }
  }
  const inv = invertMatrix(A, p);
  if (!inv) {
    return null;
  }
  const beta = new Float64Array(p);
  let fit = 0;
  for (let r = 0; r < p; r++) {
    let v = 0;
    for (let c = 0; c < p; c++) {
      v += inv[r * p + c] * b[c];
    }
    beta[r] = v;
    fit += v * b[r];
  }
  beta[0] += S.yc;
  return { beta, rss: Math.max(S.syy - fit, 0) };
}

function predict(beta: Float64Array, kap: number[], x0: number, x: number): number {
  let v = beta[0] + beta[1] * (x - x0);
  for (let j = 0; j < kap.length; j++) {
    if (x > kap[j]) {
      v += beta[2 + j] * (x - kap[j]);
    }
  }
  return v;
}

/** Re-place breakpoint j by a scan over levels within ±radius, then golden section between levels, on the sums S
 * of the leg under the current weights. */
function optimiseKink(
  S: SegSums,
  kap: number[],
  j: number,
  levels: number[],
  radius: number,
  minSide: number,
  sep = 0,
): void {
  const lo = j > 0 ? kap[j - 1] : -Infinity;
  const hi = j + 1 < kap.length ? kap[j + 1] : Infinity;
  // allowed: at least minSide points strictly between neighbours
  const ok = (k: number) =>
    k - lo >= sep && hi - k >= sep && countBetween(S, lo, k) >= minSide && countBetween(S, k, hi) >= minSide;
  const cand = levels.filter((l) => l > lo && l < hi && Math.abs(l - kap[j]) <= radius && ok(l));
  if (cand.length === 0) {
    return;
  }
  const step = Math.max(1, Math.ceil(cand.length / 40));
  const t = kap.slice();
  const f = (k: number) => {
    t[j] = k;
    const s = solveSums(S, t);
    return s ? s.rss : Infinity;
  };
  let best = kap[j];
  let bv = f(best);
  let bi = -1;
  for (let i = 0; i < cand.length; i += step) {
    const v = f(cand[i]);
    if (v < bv) {
      bv = v;
      best = cand[i];
      bi = i;
    }
  }
  // golden section between the neighbouring levels of the best
  const li = levels.indexOf(bi >= 0 ? best : nearest(levels, best));
  const a = Math.max(levels[Math.max(0, li - step)], lo === -Infinity ? -Infinity : lo + 1e-9);
  const b = Math.min(levels[Math.min(levels.length - 1, li + step)], hi === Infinity ? Infinity : hi - 1e-9);
  if (b > a) {
    const r = golden((k) => (ok(k) ? f(k) : Infinity), a, b, 30);
    if (r.v < bv) {
      bv = r.v;
      best = r.k;
    }
  }
  kap[j] = best;
}

function nearest(levels: number[], v: number): number {
  let b = levels[0];
  for (const l of levels) {
    if (Math.abs(l - v) < Math.abs(b - v)) {
      b = l;
    }
  }
  return b;
}

export function offlineFit(
  pts: StoredPoint[],
  legs: Leg[],
  events: SlopeEvent[],
  kinks: KinkRef[],
  o: ResolvedDetectorOptions,
  separation = 0,
): { events: SlopeEvent[]; fit: OfflineFit } {
  const out = events.map((e) => ({ ...e }));
  const fitLegs: FitLeg[] = [];
  const retracted = new Set<number>();
  const endWithdrawn = new Set<number>();
  for (const leg of legs) {
    const D = legData(pts, leg);
    // the leg may hold more points than the online scans ever saw: their scratch grows now, outside optimised code
    reserveSums(D.n);
    reserveMadScratch(D.n);
    if (D.n < 3) {
      continue;
    }
    const dir: 1 | -1 = leg.direction === -1 ? -1 : 1;
    const legKinks = kinks.filter((k) => k.leg === leg.id).sort((a, b) => a.x - b.x);
    // drop kinks too close to each other
    const ks: KinkRef[] = [];
    // (closer than the separation the power noise allows: the later one is withdrawn like a failed re-test)
    const minSep = Math.max(o.powerResolution, separation, 1e-6);
    for (const k of legKinks) {
      if (!ks.length || k.x - ks[ks.length - 1].x > minSep) {
        ks.push({ ...k });
        continue;
      }
      if (k.role === 'start') {
        retracted.add(k.eventId);
      } else {
        endWithdrawn.add(k.eventId);
      }
    }
    for (let j = ks.length - 1; j >= 0; j--) {
      if (retracted.has(ks[j].eventId)) {
        ks.splice(j, 1);
      }
    }
    const x0 = 0.5 * (D.x[0] + D.x[D.n - 1]);
    const levels = levelStarts(D.x, D.n, o.powerResolution).map((i) => D.x[i]);
    const span = D.x[D.n - 1] - D.x[0];
    const radius = Math.max(3, 0.1 * span);
    // Fit, re-test every kink on the whole leg, drop the weakest failing one (its event is retracted, or for a
    // plateau's end the end is withdrawn) and refit, until all kinks pass.
    let kap: number[] = [];
    let w = new Float64Array(D.w0);
    let sol: Solved | null = null;
    let breakpoints: FitBreakpoint[] = [];
    let segments: FitSegment[] = [];
    let nPos = 0;
    let p = 0;
    for (;;) {
      kap = ks.map((k) => k.x);
      w = new Float64Array(D.w0);
      sol = null;
      for (let it = 0; it < 4; it++) {
        // the sums depend on the weights only: one set for every re-placement until the weights change
        const sums = segSums(D, w, x0);
        for (let pass = 0; pass < 2; pass++) {
          for (let j = 0; j < kap.length; j++) {
            optimiseKink(sums, kap, j, levels, radius, 3, minSep);
          }
        }
        sol = solveSegmented(D, w, kap, x0);
        if (!sol) {
          break;
        }
        const res = new Float64Array(D.n);
        for (let i = 0; i < D.n; i++) {
          res[i] = (D.y[i] - predict(sol.beta, kap, x0, D.x[i])) * Math.sqrt(D.w0[i]);
        }
        const s = madSigma(res, res.length);
        if (!(s > 0)) {
          break;
        }
        let changed = false;
        const nw = new Float64Array(D.n);
        for (let i = 0; i < D.n; i++) {
          nw[i] = Math.abs(res[i]) > o.rejectSigma * s ? 0 : D.w0[i];
          // near the temperature floor the kept points are biased high (truncation): leave out, by fitted value
          if (predict(sol.beta, kap, x0, D.x[i]) < o.minTemperature + (3 * s) / Math.sqrt(D.w0[i])) {
            nw[i] = 0;
          }
          if (nw[i] !== w[i]) {
            changed = true;
          }
        }
        w = nw;
        if (!changed) {
          break;
        }
        sol = solveSegmented(D, w, kap, x0);
        if (!sol) {
          break;
        }
      }
      if (!sol) {
        break;
      }
      // covariance of (a, b, c_1..c_m, κ_1..κ_m)
      const m = kap.length;
      p = 2 + 2 * m;
      const A = new Float64Array(p * p);
      nPos = 0;
      for (let i = 0; i < D.n; i++) {
        const wi = w[i];
        if (!(wi > 0)) {
          continue;
        }
        nPos++;
        const x = D.x[i];
        const g = new Float64Array(p);
        g[0] = 1;
        g[1] = x - x0;
        for (let j = 0; j < m; j++) {
          g[2 + j] = x > kap[j] ? x - kap[j] : 0;
          g[2 + m + j] = x > kap[j] ? -sol.beta[2 + j] : 0;
        }
        for (let r = 0; r < p; r++) {
          for (let c = 0; c < p; c++) {
            A[r * p + c] += wi * g[r] * g[c];
          }
        }
      }
      const dof = nPos - p;
      const s2 = dof > 0 ? sol.rss / dof : NaN;
      const cov = dof > 0 ? invertMatrix(A, p) : null;
      const sd = (g: number[]) => {
        if (!cov || !Number.isFinite(s2)) {
          return null;
        }
        let v = 0;
        for (let r = 0; r < p; r++) {
          for (let c = 0; c < p; c++) {
            v += (g[r] ?? 0) * cov[r * p + c] * (g[c] ?? 0);
          }
        }
        return v > 0 ? Math.sqrt(v * s2) : null;
      };
      // slopes (in x) of the m+1 pieces
      const slopesX: number[] = [];
      const slopeErr: (number | null)[] = [];
      for (let s = 0; s <= m; s++) {
        let v = sol.beta[1];
        const g = new Array(p).fill(0);
        g[1] = 1;
        for (let j = 0; j < s; j++) {
          v += sol.beta[2 + j];
          g[2 + j] = 1;
        }
        slopesX.push(v);
        slopeErr.push(sd(g));
      }
      const bounds = [D.x[0], ...kap, D.x[D.n - 1]];
      segments = [];
      for (let s = 0; s <= m; s++) {
        const xa = bounds[s];
        const xb = bounds[s + 1];
        segments.push({
          fromPower: dir * xa,
          toPower: dir * xb,
          fromTemperature: predict(sol.beta, kap, x0, xa),
          toTemperature: predict(sol.beta, kap, x0, xb),
          slope: dir * slopesX[s],
          slopeError: slopeErr[s],
        });
      }
      breakpoints = [];
      for (let j = 0; j < m; j++) {
        // significance against the smooth alternative, on the points between the neighbouring kinks
        const a = j > 0 ? kap[j - 1] : -Infinity;
        const b = j + 1 < m ? kap[j + 1] : Infinity;
        const idx: number[] = [];
        for (let i = 0; i < D.n; i++) {
          if (D.x[i] > a && D.x[i] <= b) {
            idx.push(i);
          }
        }
        const sub = {
          x: Float64Array.from(idx, (i) => D.x[i]),
          y: Float64Array.from(idx, (i) => D.y[i]),
          w0: Float64Array.from(idx, (i) => D.w0[i]),
          n: idx.length,
          // one frame each (unused by hingeZAt): the same shape as the online detector's data
          cnt: new Float64Array(idx.length).fill(1),
        };
        const z = hingeZAt(
          sub,
          Float64Array.from(idx, (i) => w[i]),
          kap[j],
          true,
        );
        const g = new Array(p).fill(0);
        g[2 + m + j] = 1;
        breakpoints.push({
          power: dir * kap[j],
          powerError: sd(g),
          temperature: predict(sol.beta, kap, x0, kap[j]),
          slopeChange: dir * sol.beta[2 + j],
          significance: Math.abs(z),
        });
      }
      // the re-test: significance ≥ threshold and a substantial change (effect size), both on the whole leg
      let worst = -1;
      let worstScore = Infinity;
      for (let j = 0; j < m; j++) {
        const s1 = segments[j].slope;
        const s2 = segments[j + 1].slope;
        const rel = Math.abs(s2 - s1) / Math.max(Math.abs(s1), Math.abs(s2), 1e-300);
        const score = Math.min(
          breakpoints[j].significance / RETEST_SIGMA,
          o.minRelativeChange > 0 ? rel / o.minRelativeChange : Infinity,
        );
        if (score < 1 && score < worstScore) {
          worstScore = score;
          worst = j;
        }
      }
      if (worst < 0) {
        break;
      }
      const gone = ks[worst];
      if (gone.role === 'start') {
        // the whole event goes (its end kink with it)
        retracted.add(gone.eventId);
        for (let j = ks.length - 1; j >= 0; j--) {
          if (ks[j].eventId === gone.eventId) {
            ks.splice(j, 1);
          }
        }
      } else {
        endWithdrawn.add(gone.eventId);
        ks.splice(worst, 1);
      }
    }
    if (!sol) {
      continue;
    }
    const m = kap.length;
    let outliers = 0;
    // the kept points' residuals in a typed array, as every other caller of madSigma passes them (an array of
    // numbers here threw the optimised madSigma away: "wrong map")
    const res = new Float64Array(D.n);
    let kept = 0;
    for (let i = 0; i < D.n; i++) {
      if (!(w[i] > 0)) {
        outliers++;
      } else {
        res[kept++] = D.y[i] - predict(sol.beta, kap, x0, D.x[i]);
      }
    }
    fitLegs.push({
      direction: dir,
      firstIndex: pts[leg.first].index,
      lastIndex: pts[Math.min(leg.end, pts.length) - 1].index,
      points: D.n,
      outliers,
      sigma: madSigma(res, kept),
      breakpoints,
      segments,
    });
    // map back onto the events
    const firstAfter = (k: number) => {
      let best = Infinity;
      for (let i = 0; i < D.n; i++) {
        if (D.x[i] > k) {
          best = Math.min(best, D.ord[i]);
        }
      }
      return Number.isFinite(best) ? pts[best].index : null;
    };
    for (let j = 0; j < m; j++) {
      const e = out.find((q) => q.id === ks[j].eventId);
      if (!e) {
        continue;
      }
      const bp = breakpoints[j];
      if (ks[j].role === 'start') {
        e.startPower = bp.power;
        e.startPowerError = bp.powerError;
        e.temperature = bp.temperature;
        e.startIndex = firstAfter(kap[j]) ?? e.startIndex;
        e.slopeBefore = segments[j].slope;
        e.slopeBeforeError = segments[j].slopeError;
        e.slopeAfter = segments[j + 1].slope;
        e.slopeAfterError = segments[j + 1].slopeError;
        e.significance = bp.significance;
      } else {
        e.endPower = bp.power;
        e.endPowerError = bp.powerError;
        e.endIndex = firstAfter(kap[j]) ?? e.endIndex;
        e.slopeAfter = segments[j].slope;
        e.slopeAfterError = segments[j].slopeError;
        e.slopeEnd = segments[j + 1].slope;
        e.slopeEndError = segments[j + 1].slopeError;
        e.endSignificance = bp.significance;
      }
      e.refined = true;
    }
  }
  for (const e of out) {
    if (endWithdrawn.has(e.id)) {
      e.endPower = null;
      e.endIndex = null;
      e.endPowerError = null;
      e.endSignificance = null;
      e.endDetectedAtIndex = null;
      e.slopeEnd = null;
      e.slopeEndError = null;
    }
    if (retracted.has(e.id)) {
      e.retracted = true;
      e.refined = true;
      continue;
    }
    e.kind = e.slopeAfter < o.plateauRatio * e.slopeBefore ? 'plateau' : 'slope-change';
  }
  return { events: out, fit: { legs: fitLegs } };
}
