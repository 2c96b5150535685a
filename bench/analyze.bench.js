#!/usr/bin/env node
'use strict';
// Throughput of `pyrolive analyze` on a 20,000-frame, 1340-pixel, 2-row uint16 shot (binned spectroscopy
// readout) fitted over 570–830 nm (~260 nm, ~700 pixels), with lamp and dark (and once with the power log): whole process
// (spawned CLI, JSON written to a file) and the pipeline in-process (analyzeFiles). Ratios are to the peer (a scipy
// curve_fit greybody loop, bench/peer.py) measured in the same run on the same machine; target ≥ 20×, aim 30×.
// The shot is generated once by the simulator into os.tmpdir() and reused.
const fs = require('fs');
const os = require('os');
const path = require('path');

const FRAMES = Number(process.env.BENCH_FRAMES || 20000);
const { machine, peer, describePeer, ratio, readmeRow, roundRate } = require('./peer');
const { ROOT, benchShot, spawnAnalyze, unsetForPyrolive, startupCost } = require('./shot');
const dir = benchShot(FRAMES);

/** `reps` spawned runs with `extra` arguments (stdout to a file): the best wall and CPU, the largest peak RSS. */
function spawned(reps, extra = []) {
  const out = path.join(dir, 'results.json');
  const runs = [];
  for (let r = 0; r < reps; r++) {
    runs.push(spawnAnalyze(dir, [...extra, '--json'], out));
  }
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  if (j.frames.length !== FRAMES) {
    throw new Error(`expected ${FRAMES} frames, got ${j.frames.length}`);
  }
  return {
    best: Math.min(...runs.map((run) => run.wall)),
    cpu: Math.min(...runs.map((run) => run.cpu)),
    maxRssMb: Math.max(...runs.map((run) => run.maxRssMb)),
    engine: j.engine,
    frames: j.frames,
  };
}

async function inProcess(reps) {
  const { analyzeFiles } = require(path.join(ROOT, 'dist/analysis/run.js'));
  const times = [];
  const cpus = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const o = await analyzeFiles({
      shots: [path.join(dir, 'shot.spe')],
      calibration: path.join(dir, 'lamp.spe'),
      lampTemperature: 2800,
      background: path.join(dir, 'dark.spe'),
      range: [570, 830],
    });
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
    if (o.frames.length !== FRAMES) {
      throw new Error('frame count');
    }
  }
  return { best: Math.min(...times), cpu: Math.min(...cpus) };
}

function accuracy(frames) {
  const truth = fs
    .readFileSync(path.join(dir, 'truth.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const rel = [];
  const pulls = [];
  frames.forEach((f, i) => {
    if (f.temperature === null) {
      return;
    }
    rel.push(Math.abs(f.temperature / truth[i][3] - 1));
    pulls.push((f.temperature - truth[i][3]) / f.temperatureError);
  });
  rel.sort((a, b) => a - b);
  const m = pulls.reduce((a, b) => a + b, 0) / pulls.length;
  const sd = Math.sqrt(pulls.reduce((a, b) => a + (b - m) ** 2, 0) / (pulls.length - 1));
  return { medianRel: rel[rel.length >> 1], pullStd: sd, withT: rel.length };
}

(async () => {
  const reps = Number(process.env.BENCH_REPS || 3);
  const sp = spawned(reps);
  const spNoTc = spawned(reps, ['--no-two-color']);
  const spPower = spawned(reps, ['--power', path.join(dir, 'power.csv')]);
  const ip = await inProcess(reps);
  const acc = accuracy(sp.frames);
  const peerResult = peer();
  const row = (name, r) => {
    const fps = FRAMES / r.best;
    const perCpu = FRAMES / r.cpu;
    console.log(
      `${name.padEnd(42)} ${r.best.toFixed(3).padStart(7)} s  ${fps.toFixed(0).padStart(7)} frames/s  ` +
        `${ratio(fps, peerResult).padStart(6)} peer   | CPU ${r.cpu.toFixed(3)} s = ${perCpu.toFixed(0)} frames per CPU-second ` +
        `(${ratio(perCpu, peerResult, true)} peer per CPU-second)` +
        (r.maxRssMb ? ` | peak RSS ${r.maxRssMb.toFixed(0)} MB` : ''),
    );
  };
  console.log(
    `analyze: ${FRAMES} frames × 1340 px × 2 rows uint16, fit 570–830 nm, engine ${sp.engine}, best of ${reps}`,
  );
  console.log(`machine: ${machine().text}, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(describePeer(peerResult));
  const unset = unsetForPyrolive();
  if (unset.length) {
    const cost = startupCost();
    console.log(
      `pyrolive's process runs without ${unset.join(', ')} (set by this environment; \`node -e 0\` takes ` +
        `${(cost.withEnvironment * 1000).toFixed(0)} ms with it, ${(cost.withoutVariables * 1000).toFixed(0)} ms without)`,
    );
  }
  row('whole process (spawned CLI, --json)', sp);
  row('pipeline in-process (analyzeFiles)', ip);
  row('whole process, --no-two-color', spNoTc);
  row('whole process + --power (pairing, events)', spPower);
  console.log(
    `accuracy: median |ΔT/T| ${(acc.medianRel * 100).toFixed(3)} %, pull std ${acc.pullStd.toFixed(2)}, ${acc.withT} frames with T`,
  );
  console.log('targets (issue 12): whole process ≥ 20× the peer (aim 30×), --power ≥ 10×');
  const figure = (r) =>
    `${r.best.toFixed(2)} s = ${roundRate(FRAMES / r.best)} frames/s (${ratio(FRAMES / r.best, peerResult)} peer; ` +
    `per CPU-second ${roundRate(FRAMES / r.cpu)}, ${ratio(FRAMES / r.cpu, peerResult, true)} peer)`;
  readmeRow(
    `\`pyrolive analyze\`, whole process (start-up, read, calibrate, flag, fit, two-colour, JSON), ` +
      `${FRAMES.toLocaleString('en-US')}-frame uint16 shot, 570–830 nm`,
    figure(sp),
  );
  readmeRow(
    'the same pipeline in-process (no Node start-up)',
    `${roundRate(FRAMES / ip.best)} frames/s (${ratio(FRAMES / ip.best, peerResult)} peer; ` +
      `per CPU-second ${roundRate(FRAMES / ip.cpu)}, ${ratio(FRAMES / ip.cpu, peerResult, true)} peer)`,
  );
  readmeRow(
    `\`pyrolive analyze ... --power\` (pairing + slope-change detection on ${FRAMES.toLocaleString('en-US')} points)`,
    figure(spPower),
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
