'use strict';
// Quality figures of the slope-change detector (issue 4) on generated curves, plus its speed per point.
// Usage: node bench/detect.bench.js [perClass] [seed0]   (requires `npm run build:ts`)
const { evaluate, generateCurve } = require('../dist/detect/evaluate');
const { SlopeChangeDetector } = require('../dist/detect/detector');

const perClass = Number(process.argv[2] || 400);
const seed0 = Number(process.argv[3] || 1);
const t0 = process.hrtime.bigint();
const r = evaluate({ perClass, seed0 });
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
console.log(`slope-change detector quality: ${perClass} curves per class, seeds ${seed0}…${seed0 + perClass - 1}`);
console.log('metric                                 value     target');
console.log(`plateaus found (kink within 2 W)       ${f(r.foundPct, 1).padStart(6)} %   ≥ 95 %`);
console.log(`false alarms, straight nulls           ${f(r.falseAlarmStraightPct, 1).padStart(6)} %   ≤ 5 %`);
console.log(`false alarms, curved nulls (P^0.85–0.97) ${f(r.falseAlarmCurvedPct, 1).padStart(4)} %   ≤ 5 %`);
console.log(`median |kink error|, offline           ${f(r.medianKinkErrorOffline, 3).padStart(6)} W   ≤ 0.5 W`);
console.log(`median |kink error|, online (end)      ${f(r.medianKinkErrorOnline, 3).padStart(6)} W   ≤ 0.5 W`);
console.log(`median |kink error|, at detection      ${f(r.medianKinkErrorAtDetection, 3).padStart(6)} W`);
console.log(`median |plateau end error|, offline    ${f(r.medianEndErrorOffline, 3).padStart(6)} W`);
console.log(`median latency after the true kink     ${f(r.medianLatency, 1).padStart(6)} pts  ≤ 10`);
console.log(`90th percentile latency                ${f(r.p90Latency, 1).padStart(6)} pts`);
console.log(`kink pull spread (≈ 1 if σ honest)     ${f(r.kinkPullSpread, 2).padStart(6)}`);
console.log(`(evaluation took ${secs.toFixed(1)} s)`);

// speed: points per second through push() on long curves
let n = 0;
const t1 = process.hrtime.bigint();
for (let s = 1; s <= 100; s++) {
  const c = generateCurve(s % 3 === 0 ? 'straight' : 'plateau', 5000 + s);
  const det = new SlopeChangeDetector();
  for (const p of c.points) { det.push(p); n++; }
  det.finish();
}
const dt = Number(process.hrtime.bigint() - t1) / 1e9;
console.log(`speed: ${n} points in ${dt.toFixed(2)} s = ${(n / dt).toFixed(0)} points/s (${(1e6 * dt / n).toFixed(0)} µs per point incl. finish())`);
