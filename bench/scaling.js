#!/usr/bin/env node
'use strict';
// `npm run bench scaling` (docs/speed.md): how `pyrolive analyze` scales with the shot's length, and the batch fit
// with the number of threads.
//  1. Whole process (spawned CLI, --json to a file, as bench/analyze.bench.js) on simulated 1340 px × 2-row uint16
//     shots of 1k, 10k and 100k frames (--million adds 1M frames: a 5.4 GB shot, generated once into the temp
//     folder, ~10 min): wall time, frames/s, CPU time and peak resident memory (maxRSS) of the process.
//  2. native fitPlanckBatch on 20,000 spectra (bench/spectra.js) at 1, 2, 4 and 8 threads: fits/s (wall) and
//     fits per CPU-second.
// Usage: node bench/scaling.js [--million] [--frames 1000,10000] [--reps N]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { machine, roundRate } = require('./peer');
const { ROOT, benchShot, spawnAnalyze } = require('./shot');
const argValue = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const SIZES = argValue('--frames')
  ? argValue('--frames').split(',').map(Number)
  : [1000, 10000, 100000, ...(process.argv.includes('--million') ? [1000000] : [])];
const REPS = Number(argValue('--reps') ?? 2);
const THREADS = [1, 2, 4, 8];

function analyzeOnce(dir) {
  const out = path.join(dir, 'results.json');
  const run = spawnAnalyze(dir, ['--out', out]);
  const bytes = fs.statSync(out).size;
  fs.rmSync(out);
  return { ...run, jsonMb: bytes / 1e6 };
}

function analyzeScaling() {
  const rows = [];
  for (const frames of SIZES) {
    const dir = benchShot(frames);
    const shotMb = fs.statSync(path.join(dir, 'shot.spe')).size / 1e6;
    let best = null;
    for (let rep = 0; rep < REPS; rep++) {
      const run = analyzeOnce(dir);
      if (best === null || run.wall < best.wall) {
        best = { ...run, maxRssMb: Math.max(run.maxRssMb, best?.maxRssMb ?? 0) };
      }
    }
    rows.push({ frames, shotMb, ...best });
  }
  console.log('\n| frames | shot file | wall | frames/s | CPU | frames per CPU-s | peak RSS | results.json |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.frames.toLocaleString('en-US')} | ${row.shotMb.toFixed(0)} MB | ${row.wall.toFixed(2)} s | ` +
        `${roundRate(row.frames / row.wall)} | ${row.cpu.toFixed(2)} s | ${roundRate(row.frames / row.cpu)} | ` +
        `${row.maxRssMb.toFixed(0)} MB | ${row.jsonMb.toFixed(1)} MB |`,
    );
  }
}

async function threadScaling() {
  const { getEngine, nativeAvailable } = require(path.join(ROOT, 'dist/physics'));
  if (!nativeAvailable()) {
    console.log('\n(native engine not built: no thread scaling)');
    return;
  }
  const { benchSpectra } = require('./spectra');
  const spectra = benchSpectra(2000, 20000);
  const native = getEngine('native');
  console.log('\n| threads | fits/s (wall, best of 3) | fits per CPU-s |');
  console.log('|---:|---:|---:|');
  for (const threads of THREADS) {
    let bestWall = 0;
    let bestCpu = 0;
    for (let rep = 0; rep < 3; rep++) {
      const started = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      await native.fitPlanckBatch(spectra.wavelength, spectra.radiance, spectra.total, {
        variance: spectra.variance,
        mask: spectra.mask,
        threads,
      });
      const cpu = process.cpuUsage(cpu0);
      bestWall = Math.max(bestWall, spectra.total / (Number(process.hrtime.bigint() - started) / 1e9));
      bestCpu = Math.max(bestCpu, spectra.total / ((cpu.user + cpu.system) / 1e6));
    }
    console.log(`| ${threads} | ${roundRate(bestWall)} | ${roundRate(bestCpu)} |`);
  }
}

(async () => {
  const host = machine();
  console.log(
    `scaling: machine ${host.text}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`analyze: 1340 px × 2 rows uint16, lamp + dark, fit 570–830 nm, --out results.json; best of ${REPS}`);
  analyzeScaling();
  console.log('\nnative fitPlanckBatch, 20,000 spectra of 1340 px fitted over 696 px, noise-weighted');
  await threadScaling();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
