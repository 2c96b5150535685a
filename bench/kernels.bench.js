#!/usr/bin/env node
'use strict';
// CPU per frame of the native worker kernels on the bench shot (bench/analyze.bench.js generates it): the real
// analyzeCountsBatch inputs of a few chunks are captured from one analyzeFiles run, then each kernel is timed on
// one thread (the *Sync entry points run on the calling thread):
//  - all: analyzeCountsBatchSync as the analyzer calls it (preparation + Planck fit + sliding two-colour, the
//    prepared frames kept on the worker, the misfit refits made there),
//  - the same into buffers (radiance, variance and mask written out, as before the frames were kept),
//  - no two-colour: the buffers call without twoColorSeparation; preparation = that − fit,
//  - fit: fitPlanckBatchSync on the prepared frames (noise weights, per-frame masks),
//  - two-colour: slidingTwoColorBatchSync on the prepared frames,
//  - stage 1: the row sums alone (countsStageBatchSync when the engine has it, and the TypeScript countsStage).
// Usage: node bench/kernels.bench.js [--quick] [--only ROW-NAME-START]   (needs npm run build)
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const dist = path.join(ROOT, 'dist');
const { getEngine } = require(path.join(dist, 'physics'));
const { countsStage } = require(path.join(dist, 'quality', 'prepare'));
const { machine } = require('./peer');

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : null; // a row whose name starts with this
const dir = path.join(os.tmpdir(), 'pyrolive-bench-analyze-20000');
const CHUNKS_KEPT = [4, 5, 6, 7]; // bright chunks of the heating ramp (the first ones are faint)
const MIN_TIME_S = quick ? 0.2 : 0.6;
const REPEATS = 5;

if (!fs.existsSync(path.join(dir, 'shot.spe'))) {
  console.error(`kernels.bench: ${dir}/shot.spe not found: run node bench/analyze.bench.js once first`);
  process.exit(1);
}
const native = getEngine('native');

/** A deep copy of a counts plan (the analyzer may change its noise terms later). */
function copyPlan(plan) {
  const out = {};
  for (const [key, value] of Object.entries(plan)) {
    out[key] = ArrayBuffer.isView(value) ? value.slice() : value;
  }
  return out;
}

/** The analyzeCountsBatch calls of one analyzeFiles run, for the chunks in CHUNKS_KEPT (frames copied). */
async function capture() {
  const { analyzeFiles } = require(path.join(dist, 'analysis', 'run.js'));
  const calls = [];
  let chunk = 0;
  const engine = {
    ...native,
    analyzeCountsBatch(wl, frames, plan, out, options) {
      if (CHUNKS_KEPT.includes(chunk++)) {
        calls.push({
          wl: wl.slice(),
          frames: Array.from(frames, (frame) => frame.slice()),
          plan: copyPlan(plan),
          kept: { ...out },
          options: { ...options },
        });
      }
      return native.analyzeCountsBatch(wl, frames, plan, out, options);
    },
  };
  await analyzeFiles({
    shots: [path.join(dir, 'shot.spe')],
    calibration: path.join(dir, 'lamp.spe'),
    lampTemperature: 2800,
    background: path.join(dir, 'dark.spe'),
    range: [570, 830],
    engine,
  });
  return calls;
}

/** CPU µs per frame of fn (one pass over every captured call): median of REPEATS runs of ≥ MIN_TIME_S. */
function perFrame(calls, fn) {
  const frames = calls.reduce((sum, call) => sum + call.frames.length, 0);
  const runs = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let done = 0;
    do {
      for (const call of calls) {
        fn(call);
      }
      done += frames;
    } while (Number(process.hrtime.bigint() - t0) / 1e9 < MIN_TIME_S);
    const c = process.cpuUsage(c0);
    runs.push((c.user + c.system) / done);
  }
  runs.sort((a, b) => a - b);
  return runs[runs.length >> 1];
}

function outputs(call) {
  const size = call.frames.length * call.wl.length;
  return { radiance: new Float64Array(size), variance: new Float64Array(size), mask: new Uint8Array(size) };
}

async function main() {
  const calls = await capture();
  for (const call of calls) {
    call.out = outputs(call);
    call.result = native.analyzeCountsBatchSync(call.wl, call.frames, call.plan, call.out, call.options);
    call.sig = new Float64Array(call.frames.length * call.wl.length);
    call.stageMask = new Uint8Array(call.frames.length * call.wl.length);
  }
  const iterations = {};
  for (const call of calls) {
    for (const it of call.result.iterations) {
      iterations[it] = (iterations[it] || 0) + 1;
    }
  }
  const separation = calls[0].options.twoColorSeparation;
  const fitOptions = (call) => ({ variance: call.out.variance, mask: call.out.mask });
  const noTwoColor = (call) => ({ ...call.options, twoColorSeparation: undefined });
  const rows = [
    [
      'all (prep + fit + two-colour)',
      (call) => native.analyzeCountsBatchSync(call.wl, call.frames, call.plan, call.kept, call.options),
    ],
    [
      'all, into buffers',
      (call) => native.analyzeCountsBatchSync(call.wl, call.frames, call.plan, call.out, call.options),
    ],
    [
      'prep + fit',
      (call) => native.analyzeCountsBatchSync(call.wl, call.frames, call.plan, call.out, noTwoColor(call)),
    ],
    ['fit', (call) => native.fitPlanckBatchSync(call.wl, call.out.radiance, call.frames.length, fitOptions(call))],
    [
      'two-colour',
      (call) =>
        native.slidingTwoColorBatchSync(call.wl, call.out.radiance, call.frames.length, separation, {
          mask: call.out.mask,
        }),
    ],
    [
      'stage 1, TypeScript',
      (call) => {
        const nU = call.wl.length;
        for (let f = 0; f < call.frames.length; f++) {
          countsStage(call.plan, call.frames[f], call.sig, f * nU, call.stageMask, f * nU);
        }
      },
    ],
  ];
  if (native.countsStageBatchSync) {
    rows.push([
      'stage 1, native',
      (call) => native.countsStageBatchSync(call.wl, call.frames, call.plan, { sig: call.sig, mask: call.stageMask }),
    ]);
  }
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  console.log(`${machine().text}, load average ${load}`);
  console.log(
    `${calls.length} chunks, ${calls.reduce((s, c) => s + c.frames.length, 0)} frames, ${calls[0].wl.length} px, ` +
      `separation ${separation}; Planck iterations per frame: ${JSON.stringify(iterations)}`,
  );
  const times = {};
  for (const [name, fn] of rows) {
    if (only !== null && !name.startsWith(only)) {
      continue;
    }
    times[name] = perFrame(calls, fn);
    console.log(`${name.padEnd(32)} ${times[name].toFixed(2).padStart(7)} µs/frame (1 thread, CPU)`);
  }
  if (only === null) {
    console.log(
      `${'prep (prep + fit − fit)'.padEnd(32)} ${(times['prep + fit'] - times.fit).toFixed(2).padStart(7)} µs/frame`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
