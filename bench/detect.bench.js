'use strict';
// Quality figures of the slope-change detector (issue 4) on generated curves, plus its speed per point.
// Usage: node bench/detect.bench.js [perClass] [seed0]   (requires `npm run build:ts`)
//
// Speed on a real pipeline output (issue 12): the frames of a `pyrolive analyze --power … --json` output fed to
// detectOffline the way `analyze` does (frames with power and temperature), cold (the one call of a fresh process,
// as in `analyze --power`) and warm (median of repeated calls after warm-up), each run in its own process:
//   node bench/detect.bench.js shot ANALYZE.json [--reps N] [--compare DIST_DIR]…
// --compare measures other builds (copies of dist/ from other versions) interleaved with this one (A B A B …);
// medians are reported with the machine and the load average.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const DIST = path.join(__dirname, '..', 'dist');

if (process.argv[2] === 'shot') {
  shotBench(process.argv.slice(3));
} else if (process.argv[2] === 'shot-child') {
  shotChild(process.argv[3], process.argv[4], process.argv[5]);
} else {
  qualityBench();
}

function qualityBench() {
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
    for (const p of c.points) {
      det.push(p);
      n++;
    }
    det.finish();
  }
  const dt = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(
    `speed: ${n} points in ${dt.toFixed(2)} s = ${(n / dt).toFixed(0)} points/s (${((1e6 * dt) / n).toFixed(0)} µs per point incl. finish())`,
  );

  // dense shot: 20,000 frames on a ramp 5 → 45 W (500 frames per W, as `pyrolive simulate --frames 20000`),
  // T = 1100 + 50 P with a plateau (slope ÷10) from 25 to 31 W, noise 15 K, 1 % failed fits of ±400 K:
  // detectOffline end to end, and the cost of single push() calls (the work bound per frame)
  {
    const { detectOffline } = require('../dist/detect');
    const { Rng } = require('../dist/sim/rng');
    const rng = new Rng(7);
    const N = 20000;
    const pts = [];
    for (let i = 0; i < N; i++) {
      const P = 5 + (40 * i) / N;
      let T = 1100 + 50 * P - (P > 25 ? 45 * Math.min(P - 25, 6) : 0) + 15 * rng.normal();
      if (rng.uniform() < 0.01) {
        T += rng.uniform() < 0.5 ? -400 : 400;
      }
      pts.push({ index: i, power: P + 0.002 * rng.normal(), temperature: T, temperatureError: 15 });
    }
    detectOffline(pts); // warm-up
    const reps = 3;
    const ts = [];
    let r;
    for (let k = 0; k < reps; k++) {
      const t = process.hrtime.bigint();
      r = detectOffline(pts);
      ts.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const e = r.events[0];
    console.log(
      `dense shot, ${N} frames (${r.used.length} bins of 0.1 W): detectOffline ${Math.min(...ts).toFixed(0)} ms (best of ${reps}; ${ts.map((t) => t.toFixed(0)).join(', ')} ms), ` +
        `${r.events.length} event(s)${e ? `: ${e.kind} ${e.startPower.toFixed(2)}–${e.endPower === null ? '?' : e.endPower.toFixed(2)} W (truth 25–31 W)` : ''}`,
    );
    const det = new SlopeChangeDetector();
    const per = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint();
      det.push(pts[i]);
      per[i] = Number(process.hrtime.bigint() - t) / 1e3;
    }
    const t = process.hrtime.bigint();
    det.finish();
    const fin = Number(process.hrtime.bigint() - t) / 1e6;
    const s = Float64Array.from(per).sort();
    const qq = (p) => s[Math.min(N - 1, Math.floor(p * N))];
    console.log(
      `  push(): mean ${(s.reduce((a, b) => a + b, 0) / N).toFixed(1)} µs, p50 ${qq(0.5).toFixed(1)} µs, p99 ${qq(0.99).toFixed(0)} µs, p99.9 ${qq(0.999).toFixed(0)} µs, max ${(s[N - 1] / 1000).toFixed(2)} ms; finish() ${fin.toFixed(0)} ms`,
    );
  }
}

/** The detector's input from an `analyze --json` output: frames with power and temperature, as analyze passes them. */
function shotPoints(file) {
  const frames = JSON.parse(fs.readFileSync(file, 'utf8')).frames;
  const points = [];
  for (const frame of frames) {
    if (frame.power === null || frame.temperature === null) {
      continue;
    }
    points.push({
      index: frame.index,
      power: frame.power,
      temperature: frame.temperature,
      temperatureError: frame.temperatureError,
      flags: frame.flags,
    });
  }
  return points;
}

/** The calling thread's time on a CPU and waiting for one (run queue), ms, from /proc/thread-self/schedstat (Linux);
 * NaN elsewhere. The main thread's CPU is the work of the call itself; its run-queue wait is the time other threads
 * (this process's compiler and GC threads, other processes) held the cores it could run on. */
function threadTimes() {
  try {
    const fields = fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { cpuMs: Number(fields[0]) / 1e6, waitMs: Number(fields[1]) / 1e6 };
  } catch {
    return { cpuMs: NaN, waitMs: NaN };
  }
}

/** One measurement in this (fresh) process: `cold` times the first detectOffline call, `warm` the median of 7 calls
 * after 3 warm-up calls. The call is made as detectOffline makes it, and as `analyze` feeds the detection: an
 * OfflineDetection, every point pushed, then finish() (timed on its own: the offline fit at the end of a run).
 * Prints one JSON line. */
function shotChild(file, dist, mode) {
  const points = shotPoints(file);
  const { OfflineDetection } = require(path.join(dist, 'detect'));
  const time = () => {
    const cpu0 = process.cpuUsage();
    const thread0 = threadTimes();
    const t0 = process.hrtime.bigint();
    const detection = new OfflineDetection();
    for (let i = 0; i < points.length; i++) {
      detection.push(points[i]);
    }
    const t1 = process.hrtime.bigint();
    const result = detection.finish();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const finishMs = Number(process.hrtime.bigint() - t1) / 1e6;
    const thread1 = threadTimes();
    const cpu = process.cpuUsage(cpu0);
    const mainCpuMs = thread1.cpuMs - thread0.cpuMs;
    const mainWaitMs = thread1.waitMs - thread0.waitMs;
    return { ms, finishMs, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs, mainWaitMs, result };
  };
  let run = time();
  if (mode === 'warm') {
    for (let k = 0; k < 3; k++) {
      time();
    }
    const runs = [];
    for (let k = 0; k < 7; k++) {
      runs.push(time());
    }
    runs.sort((a, b) => a.ms - b.ms);
    run = runs[3];
  }
  const events = run.result.events.map((e) => ({
    kind: e.kind,
    start: e.startPower,
    end: e.endPower,
    detectedAt: e.detectedAtIndex,
    endDetectedAt: e.endDetectedAtIndex,
  }));
  const line = {
    ms: run.ms,
    finishMs: run.finishMs,
    cpuMs: run.cpuMs,
    mainCpuMs: run.mainCpuMs,
    mainWaitMs: run.mainWaitMs,
    points: points.length,
    bins: run.result.used.length,
    events,
  };
  console.log(JSON.stringify(line));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m]);
}

function shotBench(argv) {
  const file = argv[0];
  if (!file || !fs.existsSync(file)) {
    console.error('usage: node bench/detect.bench.js shot ANALYZE.json [--reps N] [--compare DIST_DIR]…');
    process.exit(2);
  }
  let reps = 5;
  const builds = [DIST];
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--reps') {
      reps = Number(argv[++i]);
    } else if (argv[i] === '--compare') {
      builds.push(path.resolve(argv[++i]));
    }
  }
  const { machine } = require('./peer');
  const load0 = os.loadavg()[0];
  const samples = builds.map(() => ({
    cold: [],
    coldFinish: [],
    coldCpu: [],
    coldMainCpu: [],
    coldMainWait: [],
    warm: [],
    last: null,
  }));
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of ['cold', 'warm']) {
      builds.forEach((dist, b) => {
        const child = spawnSync(process.execPath, [__filename, 'shot-child', file, dist, mode], { encoding: 'utf8' });
        if (child.status !== 0) {
          throw new Error(`${dist} ${mode}: ${child.stderr}`);
        }
        const line = JSON.parse(child.stdout.trim().split('\n').pop());
        samples[b][mode].push(line.ms);
        if (mode === 'cold') {
          samples[b].coldFinish.push(line.finishMs);
          samples[b].coldCpu.push(line.cpuMs);
          samples[b].coldMainCpu.push(line.mainCpuMs);
          samples[b].coldMainWait.push(line.mainWaitMs);
        }
        samples[b].last = line;
      });
    }
  }
  const load1 = os.loadavg()[0];
  console.log(
    `detectOffline on ${path.basename(file)}: ${machine().text}, load average ${load0.toFixed(2)} → ${load1.toFixed(2)}`,
  );
  console.log(`${reps} runs per build, interleaved; medians (all runs in ms)`);
  builds.forEach((dist, b) => {
    const s = samples[b];
    const last = s.last;
    const events = last.events
      .map(
        (e) =>
          `${e.kind} ${e.start.toFixed(3)}–${e.end === null ? '?' : e.end.toFixed(3)} W @#${e.detectedAt}/#${e.endDetectedAt}`,
      )
      .join('; ');
    console.log(`${dist}: ${last.points} frames → ${last.bins} bins; ${events || 'no events'}`);
    const list = (v) => v.map((t) => t.toFixed(0)).join(' ');
    console.log(
      `  cold ${median(s.cold).toFixed(0)} ms (CPU ${median(s.coldCpu).toFixed(0)} ms) [${list(s.cold)}], ` +
        `of which finish() ${median(s.coldFinish).toFixed(0)} ms [${list(s.coldFinish)}]`,
    );
    console.log(
      `    main thread: CPU ${median(s.coldMainCpu).toFixed(0)} ms [${list(s.coldMainCpu)}], ` +
        `waiting for a core ${median(s.coldMainWait).toFixed(0)} ms [${list(s.coldMainWait)}]`,
    );
    console.log(`  warm ${median(s.warm).toFixed(1)} ms [${list(s.warm)}]`);
  });
}
