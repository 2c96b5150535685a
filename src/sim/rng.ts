/**
 * Seeded random numbers for the simulator: every test, demo and benchmark is reproducible from its seed.
 * Uniform: xoshiro128** (32-bit state words, fast in JS); normal: Box–Muller; Poisson: Knuth for small means,
 * Hörmann's transformed rejection (PTRS) for large ones, so the noise is truly Poisson at every count level.
 */
export class Rng {
  // xoshiro128** state, kept in a Uint32Array so V8 keeps it as raw 32-bit words (about 3× faster than
  // number-typed fields); the sequence is the same as with plain fields.
  private readonly st = new Uint32Array(4);
  private spare: number | null = null;
  private spareFast: number | null = null;

  constructor(seed = 1) {
    // splitmix32 to spread the seed over the state
    let x = (seed >>> 0) ^ 0x9e3779b9;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const st = this.st;
    st[0] = next();
    st[1] = next();
    st[2] = next();
    st[3] = next();
    if ((st[0] | st[1] | st[2] | st[3]) === 0) {
      st[0] = 1;
    }
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const st = this.st;
    const s0 = st[0] | 0;
    const s1 = st[1] | 0;
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const s2 = st[2] ^ s0;
    const s3 = st[3] ^ s1;
    st[1] = s1 ^ s2;
    st[0] = s0 ^ s3;
    st[2] = s2 ^ t;
    st[3] = (s3 << 11) | (s3 >>> 21);
    return r / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) {
      u = this.uniform();
    }
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Standard normal by Marsaglia's polar method (no sin/cos: about twice as fast as normal()). A separate stream
   * of values from normal(): use one or the other for a given purpose so results stay reproducible.
   */
  normalFast(): number {
    if (this.spareFast !== null) {
      const v = this.spareFast;
      this.spareFast = null;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareFast = v * f;
    return u * f;
  }

  /** Fill `out` with standard normals (polar method, in pairs): the bulk form of normalFast, for speed. */
  fillNormalFast(out: Float64Array): Float64Array {
    const n = out.length;
    let i = 0;
    while (i < n) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) {
        continue;
      }
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * f;
      if (i < n) {
        out[i++] = v * f;
      }
    }
    return out;
  }

  /** Poisson deviate of mean lam (lam ≥ 0). */
  poisson(lam: number): number {
    if (!(lam > 0)) {
      return 0;
    }
    if (lam < 12) {
      const L = Math.exp(-lam);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= this.uniform();
      } while (p > L);
      return k - 1;
    }
    // PTRS (Hörmann 1993)
    const slam = Math.sqrt(lam);
    const loglam = Math.log(lam);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const U = this.uniform() - 0.5;
      const V = this.uniform();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor(((2 * a) / us + b) * U + lam + 0.43);
      if (us >= 0.07 && V <= vr) {
        return k;
      }
      if (k < 0 || (us < 0.013 && V > us)) {
        continue;
      }
      if (Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1)) {
        return k;
      }
    }
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }
}

/** ln Γ(x) for x > 0 (Lanczos, |error| < 1e-13 here). */
export function lgamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) {
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  x -= 1;
  let a = c[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) {
    a += c[i] / (x + i);
  }
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
