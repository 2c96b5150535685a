#!/usr/bin/env node
'use strict';
// Live latency: simulated frames at 1 kHz through the whole live pipeline (real analyzer with lamp/dark
// calibration, native engine, slope-change detector, toLiveMessages) and the real server, with a WebSocket
// client on loopback. Reports, after a warm-up:
//   hand-off  — from a frame's arrival in the pipeline to its message being handed to the server, which sends
//               it at once to a client that keeps up (FrameMessage.latencyMs, as on the dashboard);
//   received  — from arrival to the client's 'message' event (same process, so an upper bound incl. the
//               client's parsing and event-loop wait);
// then the end-to-end throughput when frames arrive as fast as the pipeline takes them.
// Usage: node bench/latency.bench.js [--frames N] [--rows R]
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const { simulate, demoShotOptions, simulatedCalibration } = require(path.join(dist, 'stream', 'simulate.js'));
const { buildAnalyzer, liveAnalyzer } = require(path.join(dist, 'stream', 'analyzer.js'));
const { createLivePipeline } = require(path.join(dist, 'stream', 'pipeline.js'));
const { startServer } = require(path.join(dist, 'server', 'index.js'));
const WebSocket = require('ws');
const { machine, readmeRow, roundRate } = require('./peer');

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FRAMES = arg('--frames', 6000);
const ROWS = arg('--rows', 8);
const WARMUP = 500;

function q(values, p) {
  if (!values.length) {
    return NaN;
  }
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

async function run(rate, frames) {
  // a 1 kHz shot: 1 ms frames, the demo's heating ramp and plateau compressed into `frames` frames
  const shot = demoShotOptions({
    rows: ROWS,
    frames,
    frameInterval: 0.001,
    exposureTime: 0.0008,
    framesPerStep: 10,
    cosmicRate: 0.01,
  });
  const cal = simulatedCalibration(shot);
  const { analyzer } = buildAnalyzer({}, cal.geometry, 'simulated', cal);
  const live = liveAnalyzer(analyzer);
  const arrived = new Float64Array(frames);
  const wrapped = {
    ...live,
    analyzeFrame: (f) => {
      arrived[f.index] = f.arrivedAt;
      return live.analyzeFrame(f);
    },
    analyzeBatch: (fs) => {
      for (const f of fs) {
        arrived[f.index] = f.arrivedAt;
      }
      return live.analyzeBatch(fs);
    },
  };
  // frames are generated before the run (cacheFrames), so the source costs nothing during it
  const pre = simulate({ ...shot, rate: 1e9, cycles: 1, cacheFrames: true });
  const cache = [];
  await new Promise((resolve) =>
    pre.subscribe({
      next: (it) => {
        if (it.kind === 'frame') {
          cache.push(it);
        }
      },
      complete: resolve,
    }),
  );
  const { Observable } = require('rxjs');
  const { pace } = require(path.join(dist, 'stream', 'pace.js'));
  const { asyncScheduler } = require('rxjs');
  const log = simulate({ ...shot, rate: 1e9, cycles: 1 });
  const powerItems = [];
  await new Promise((resolve) =>
    log.subscribe({
      next: (it) => {
        if (it.kind === 'power') {
          powerItems.push(it);
        }
      },
      complete: resolve,
    }),
  );
  const source = new Observable((sub) => {
    let k = 0;
    const p = pace(
      rate,
      asyncScheduler,
      (i) => {
        const t = cache[i].frame.time;
        while (k < powerItems.length && powerItems[k].reading.time <= t + 0.02) {
          sub.next(powerItems[k++]);
        }
        sub.next(cache[i]);
        return i + 1 < cache.length;
      },
      () => sub.complete(),
    );
    return () => p.unsubscribe();
  });
  const pipeline = createLivePipeline({ source, sourceName: 'bench', analyzer: wrapped });
  const server = await startServer({ host: '127.0.0.1', port: 0, source: pipeline });
  const origin = server.url.replace(/\/$/, '');
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws`, { headers: { Origin: origin } });
  const handoff = [];
  const received = [];
  let events = 0;
  let got = 0;
  let firstAt = 0;
  let lastAt = 0;
  ws.on('message', (data) => {
    const now = performance.now();
    const m = JSON.parse(String(data));
    if (m.type === 'event') {
      events++;
    }
    if (m.type !== 'frames') {
      return;
    }
    for (const f of m.frames) {
      got++;
      if (got === 1) {
        firstAt = now;
      }
      lastAt = now;
      if (f.index < WARMUP) {
        continue;
      }
      handoff.push(f.latencyMs);
      received.push(now - arrived[f.index]);
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // what stalls the event loop: GC pauses and the loop's own delay, over the measured part of the run
  const { monitorEventLoopDelay, PerformanceObserver } = require('perf_hooks');
  const gcs = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs.push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await pipeline.done;
  const cpu = process.cpuUsage(cpu0);
  eld.disable();
  obs.disconnect();
  await new Promise((r) => setTimeout(r, 200));
  const wall = (performance.now() - t0) / 1000;
  ws.close();
  await server.close();
  return {
    gcs,
    eld,
    cpuPerFrameMs: (cpu.user + cpu.system) / 1000 / frames,
    handoff,
    received,
    events,
    got,
    fps: (got - 1) / ((lastAt - firstAt) / 1000),
    wall,
    engine: analyzer.engine.name,
  };
}

(async () => {
  console.log(`machine: ${machine().text}`);
  console.log(
    `frames ${ROWS} rows × 1340 px (uint16), lamp/dark calibration, Planck fit, detector, server + WebSocket client on loopback`,
  );
  const a = await run(1000, FRAMES);
  console.log(
    `engine ${a.engine}; at 1 kHz: ${a.got} frames received in ${a.wall.toFixed(2)} s, ${a.events} event messages`,
  );
  console.log(
    `  latency arrival → hand-off/WebSocket send : p50 ${q(a.handoff, 0.5).toFixed(3)} ms   p99 ${q(a.handoff, 0.99).toFixed(3)} ms   max ${q(a.handoff, 1).toFixed(2)} ms`,
  );
  console.log(
    `  latency arrival → client received         : p50 ${q(a.received, 0.5).toFixed(3)} ms   p99 ${q(a.received, 0.99).toFixed(3)} ms`,
  );
  console.log(
    `  CPU time ${a.cpuPerFrameMs.toFixed(3)} ms per frame (pipeline + server + client, one process); load average ${require('os').loadavg()[0].toFixed(1)} on ${require('os').cpus().length} cores`,
  );
  const gcMax = a.gcs.length ? Math.max(...a.gcs) : 0;
  console.log(
    `  event-loop delay p99 ${(a.eld.percentile(99) / 1e6).toFixed(2)} ms, max ${(a.eld.max / 1e6).toFixed(1)} ms; GC: ${a.gcs.length} pauses, ${a.gcs.filter((d) => d > 2).length} over 2 ms, longest ${gcMax.toFixed(1)} ms`,
  );
  console.log(
    `  delivered rate ${a.fps.toFixed(0)} frames/s  (goal: p99 < 5 ms at 1 kHz: ${q(a.handoff, 0.99) < 5 ? 'met' : 'NOT met'})`,
  );
  const b = await run(1e6, FRAMES);
  console.log(
    `as fast as possible: ${b.got} frames end to end at ${b.fps.toFixed(0)} frames/s (latency p50 ${q(b.handoff, 0.5).toFixed(1)} ms: a backlog, absorbed by batches)`,
  );
  readmeRow(
    'live at 1 kHz, frame arrival → WebSocket send, p50 / p99',
    `${q(a.handoff, 0.5).toFixed(2)} ms / ${q(a.handoff, 0.99).toFixed(1)} ms (client received: ` +
      `${q(a.received, 0.5).toFixed(2)} / ${q(a.received, 0.99).toFixed(1)} ms)`,
  );
  readmeRow('live, as fast as frames can be pushed (backlog fitted in native batches)', `${roundRate(b.fps)} frames/s`);
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
