'use strict';
// The simulated shots the analyze benchmarks run on (bench/analyze.bench.js, bench/scaling.js), and one spawned
// `pyrolive analyze` with its wall time, CPU time (all threads) and peak resident memory, measured the same way in
// both: 1340 px × 2-row uint16 frames with lamp and dark, fitted over 570–830 nm. A shot is generated once by the
// simulator into os.tmpdir()/pyrolive-bench-analyze-<frames>/ and reused while its description matches.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');

/**
 * Removed from the spawned pyrolive's environment only, as the peer's OPENBLAS variables are from its own: this
 * workplace sets NODE_EXTRA_CA_CERTS, which makes every Node process parse a CA bundle before any code runs
 * (~30 ms here); pyrolive makes no TLS connection. startupCost() measures what it costs on this machine.
 */
const UNSET_FOR_PYROLIVE = ['NODE_EXTRA_CA_CERTS'];

function pyroliveEnvironment() {
  const env = { ...process.env };
  for (const name of UNSET_FOR_PYROLIVE) {
    delete env[name];
  }
  return env;
}

/** The unset variables that were set (for the bench's header line). */
function unsetForPyrolive() {
  return UNSET_FOR_PYROLIVE.filter((name) => process.env[name] !== undefined);
}

/** Median wall time (s) of `node -e 0` with this environment and with pyrolive's (5 runs each, interleaved). */
function startupCost() {
  const runs = { as: [], unset: [] };
  for (let k = 0; k < 5; k++) {
    for (const [key, env] of [
      ['as', process.env],
      ['unset', pyroliveEnvironment()],
    ]) {
      const started = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
      runs[key].push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
  return { withEnvironment: median(runs.as), withoutVariables: median(runs.unset) };
}

/** The folder of the bench shot of `frames` frames (generated if missing): shot.spe, lamp.spe, dark.spe, power.csv. */
function benchShot(frames) {
  const dir = path.join(os.tmpdir(), `pyrolive-bench-analyze-${frames}`);
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'shot.json'), 'utf8'));
    if (meta.frames === frames && meta.width === 1340 && meta.rows === 2) {
      return dir;
    }
  } catch {
    // not there yet: generate it
  }
  const { simulateShot, writeShot } = require(path.join(ROOT, 'dist/sim/shot.js'));
  const started = Date.now();
  const shot = simulateShot({ frames, seed: 2026, width: 1340, rows: 2, downstreamRows: [0, 1], cosmicRate: 0.01 });
  writeShot(shot, dir);
  console.log(`(generated ${frames} frames into ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return dir;
}

/** The `pyrolive analyze` arguments of the bench shot in `dir`, then `extra`. */
function analyzeArgs(dir, extra = []) {
  return [
    'analyze',
    path.join(dir, 'shot.spe'),
    '--calibration',
    path.join(dir, 'lamp.spe'),
    '--lamp-temperature',
    '2800',
    '--background',
    path.join(dir, 'dark.spe'),
    '--range',
    '570:830',
    ...extra,
  ];
}

// preloaded into the spawned CLI: its CPU time (all threads) and peak RSS on stderr at exit
const PRELOAD = path.join(os.tmpdir(), 'pyrolive-bench-usage-preload.js');
fs.writeFileSync(
  PRELOAD,
  "process.on('exit', () => { const c = process.cpuUsage(); const r = process.resourceUsage(); " +
    "process.stderr.write('\\nBENCH_CPU_US ' + (c.user + c.system) + ' BENCH_MAXRSS_KB ' + r.maxRSS + '\\n'); });\n",
);

/**
 * One spawned `pyrolive analyze` of the shot in `dir` with `extra` arguments, stdout into `stdoutFile` (or
 * ignored): {wall s, cpu s, maxRssMb}. Throws with the CLI's stderr when it fails.
 */
function spawnAnalyze(dir, extra, stdoutFile = null) {
  const fd = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'ignore';
  const started = process.hrtime.bigint();
  const run = spawnSync(
    process.execPath,
    ['-r', PRELOAD, path.join(ROOT, 'bin/pyrolive.js'), ...analyzeArgs(dir, extra)],
    { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: pyroliveEnvironment() },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (stdoutFile) {
    fs.closeSync(fd);
  }
  if (run.status !== 0) {
    throw new Error(`analyze failed: ${run.stderr}`);
  }
  const match = /BENCH_CPU_US (\d+) BENCH_MAXRSS_KB (\d+)/.exec(run.stderr);
  return { wall, cpu: match ? Number(match[1]) / 1e6 : NaN, maxRssMb: match ? Number(match[2]) / 1024 : NaN };
}

module.exports = { ROOT, benchShot, analyzeArgs, spawnAnalyze, unsetForPyrolive, startupCost };
