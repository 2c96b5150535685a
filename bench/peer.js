'use strict';
// The peer, measured side by side in the same run: bench/peer.py (a scipy curve_fit greybody loop) on the
// spectra of bench/spectra.js over the same range. `npm run bench` (bench/run.js) measures it once and hands the
// result to each benchmark in PYROLIVE_BENCH_PEER; a benchmark run on its own measures it itself.
// The peer runs at its best: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some processors by this workplace,
// which slows a current numpy several-fold) are removed from its environment only.
// Python: $PYROLIVE_PEER_PYTHON, else the first of python3, /usr/bin/python3 that imports numpy and scipy.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const PEER_SPECTRA = 2000;
const UNSET_FOR_PEER = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/** The machine a figure was measured on: CPU model (from /proc/cpuinfo where there is one), cores, Node. */
function machine() {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) {
      model = line.split(':')[1].trim();
    }
  } catch {
    // not Linux: os.cpus() is what there is
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { model, cores, node: process.version, text: `${model}, ${cores} cores, Node ${process.version}` };
}

function peerEnvironment() {
  const env = { ...process.env };
  for (const name of UNSET_FOR_PEER) {
    delete env[name];
  }
  return env;
}

function findPython(env) {
  const candidates = [process.env.PYROLIVE_PEER_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import numpy, scipy'], { env, encoding: 'utf8' });
    if (probe.status === 0) {
      return candidate;
    }
  }
  return null;
}

function exportSpectra(dir) {
  const { benchSpectra, RANGE_NM } = require('./spectra');
  const spectra = benchSpectra(PEER_SPECTRA);
  const values = new Float64Array(spectra.n + spectra.radiance.length + spectra.truth.length);
  values.set(spectra.wavelength, 0);
  values.set(spectra.radiance, spectra.n);
  values.set(spectra.truth, spectra.n + spectra.radiance.length);
  const data = path.join(dir, 'spectra.f64');
  fs.writeFileSync(data, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  const meta = { data, pixels: spectra.n, spectra: PEER_SPECTRA, rangeNm: RANGE_NM, minSeconds: 1.0, repeats: 3 };
  const metaFile = path.join(dir, 'meta.json');
  fs.writeFileSync(metaFile, JSON.stringify(meta));
  return metaFile;
}

/** Runs bench/peer.py now. Returns its figures, or { absent: reason } when there is no peer to run. */
function runPeer() {
  const env = peerEnvironment();
  const python = findPython(env);
  if (!python) {
    return { absent: 'no python3 with numpy and scipy (set PYROLIVE_PEER_PYTHON to use another python)' };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-peer-'));
  try {
    const metaFile = exportSpectra(dir);
    const run = spawnSync(python, [path.join(__dirname, 'peer.py'), metaFile], { env, encoding: 'utf8' });
    if (run.status !== 0) {
      return { absent: `bench/peer.py failed (exit ${run.status}): ${String(run.stderr).trim().split('\n').pop()}` };
    }
    const unset = UNSET_FOR_PEER.filter((name) => process.env[name] !== undefined);
    return { ...JSON.parse(run.stdout), pythonPath: python, unset };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The peer's figures for this run: from PYROLIVE_BENCH_PEER when bench/run.js measured it, else measured now. */
function peer() {
  if (process.env.PYROLIVE_BENCH_PEER) {
    return JSON.parse(process.env.PYROLIVE_BENCH_PEER);
  }
  return runPeer();
}

/** One line saying what the ratios are against (or that there are none). */
function describePeer(result) {
  if (result.absent) {
    return `peer ABSENT: ${result.absent}; no ratios to the peer are printed`;
  }
  const unset = result.unset.length ? `, ${result.unset.join(' and ')} unset for it` : '';
  return (
    `peer, measured in this run: scipy ${result.scipy} curve_fit greybody loop (unweighted, Wien start), ` +
    `${result.pixels} px, ${Math.round(result.fitsPerSecond).toLocaleString('en-US')} fits/s ` +
    `(${Math.round(result.fitsPerCpuSecond).toLocaleString('en-US')} per CPU-s), median |ΔT/T| ` +
    `${(result.medianRelativeError * 100).toFixed(3)} %; python ${result.python}, numpy ${result.numpy}` +
    `${unset}; BLAS: ${result.blas}`
  );
}

/** "17×" (rate against the peer's fits/s), or "—" when the peer is absent. */
function ratio(rate, result, perCpu = false) {
  if (result.absent) {
    return '—';
  }
  const value = rate / (perCpu ? result.fitsPerCpuSecond : result.fitsPerSecond);
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}×`;
}

/** Adds a row to the README figures block that bench/run.js prints at the end (no-op when run on its own). */
function readmeRow(what, figure) {
  if (process.env.PYROLIVE_BENCH_SUMMARY) {
    fs.appendFileSync(process.env.PYROLIVE_BENCH_SUMMARY, `${JSON.stringify({ what, figure })}\n`);
  }
}

/** A whole number with thousands separators, rounded to 3 significant figures (figures swing more than that). */
function roundRate(rate) {
  const digits = Math.max(0, Math.floor(Math.log10(Math.max(rate, 1))) - 2);
  const step = 10 ** digits;
  return (Math.round(rate / step) * step).toLocaleString('en-US');
}

module.exports = { machine, peer, runPeer, describePeer, ratio, readmeRow, roundRate };
