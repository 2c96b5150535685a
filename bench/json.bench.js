#!/usr/bin/env node
'use strict';
// The JSON text of 20,000 frame results (`pyrolive analyze --json`'s frames), on the main thread, in ms: the
// addon's formatFramesJson on the columns, the TypeScript twin (jsEngine.formatFramesJson), and JSON.stringify of
// the equivalent frame objects — of objects already built (as the analyzer had them), and building them first (as
// the columns would need). Median of REPEATS rounds after a warm-up; one ROI and three ROIs.
// Usage: node bench/json.bench.js [--quick]   (needs npm run build and npm run build:native)
const path = require('path');

const ROOT = path.join(__dirname, '..');
const { getEngine, jsEngine } = require(path.join(ROOT, 'dist', 'physics'));
const { FrameBlock } = require(path.join(ROOT, 'dist', 'analysis', 'frameBlock.js'));
const COLUMNS = [
  'index',
  'time',
  'power',
  'temperature',
  'temperatureError',
  'chi2',
  'flags',
  'twoColorMean',
  'twoColorStd',
];
const { machine } = require('./peer');

const quick = process.argv.includes('--quick');
const N = 20000;
const REPEATS = quick ? 5 : 15;

/** Deterministic uniform [0, 1) (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A batch like a heating ramp's fits: full-precision temperatures, errors and χ², a few flags and NaNs. */
function batch(nRois) {
  const u = random(42 + nRois);
  const slots = N * nRois;
  const input = {
    n: N,
    nRois,
    roiKeys: nRois > 1 ? Array.from({ length: nRois }, (_v, r) => JSON.stringify(`roi ${r + 1}`)) : null,
    index: Float64Array.from({ length: N }, (_v, f) => f),
    time: Float64Array.from({ length: N }, (_v, f) => f * 0.0125),
    power: Float64Array.from({ length: N }, () => u() * 40),
    temperature: Float64Array.from({ length: slots }, () => (u() < 0.02 ? NaN : 1500 + u() * 2500)),
    temperatureError: Float64Array.from({ length: slots }, () => u() * 30),
    chi2: Float64Array.from({ length: slots }, () => u() * 3 * 1000),
    flags: Uint8Array.from({ length: slots }, () => (u() < 0.05 ? 1 << Math.floor(u() * 6) : 0)),
    twoColorMean: Float64Array.from({ length: N }, () => (u() < 0.05 ? NaN : 1500 + u() * 2500)),
    twoColorStd: Float64Array.from({ length: N }, () => u() * 80),
    leadingComma: false,
  };
  return input;
}

/** The frame objects of the columns, as the analyzer's FrameBlock gives them (FrameBlock.toResults). */
function objects(input) {
  const names = input.roiKeys ? input.roiKeys.map((key) => JSON.parse(key)) : ['all'];
  const block = new FrameBlock(input.n, names);
  for (const column of COLUMNS) {
    block[column].set(input[column]);
  }
  return block.toResults();
}

function median(fn) {
  fn(); // warm-up
  fn();
  const ms = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

function main() {
  console.log(`${machine().text}; ${N} frames, median of ${REPEATS}`);
  let native = null;
  try {
    native = getEngine('native');
  } catch {
    console.log('native addon not available: native rows skipped');
  }
  if (native && typeof native.formatFramesJson !== 'function') {
    console.log('the built addon has no formatFramesJson (npm run build:native): native rows skipped');
    native = null;
  }
  for (const nRois of [1, 3]) {
    const input = batch(nRois);
    const built = objects(input);
    const text = built.map((o) => JSON.stringify(o)).join(',');
    const bytes = Buffer.byteLength(text);
    for (const engine of [native, jsEngine].filter(Boolean)) {
      if (Buffer.compare(Buffer.from(engine.formatFramesJson(input)), Buffer.from(text)) !== 0) {
        throw new Error(`${engine.name} formatFramesJson differs from JSON.stringify (${nRois} ROIs)`);
      }
    }
    const rows = [];
    if (native) {
      rows.push(['formatFramesJson, native', () => native.formatFramesJson(input)]);
    }
    rows.push(['formatFramesJson, TypeScript twin', () => jsEngine.formatFramesJson(input)]);
    rows.push(['JSON.stringify of built objects', () => JSON.stringify(built)]);
    rows.push(['build objects + JSON.stringify', () => JSON.stringify(objects(input))]);
    rows.push(['  … + Buffer.from (UTF-8 bytes)', () => Buffer.from(JSON.stringify(objects(input)))]);
    console.log(`\n${nRois} ROI${nRois > 1 ? 's' : ''}: ${(bytes / 1e6).toFixed(2)} MB of text`);
    for (const [name, fn] of rows) {
      console.log(`${name.padEnd(36)} ${median(fn).toFixed(2).padStart(8)} ms`);
    }
  }
}

main();
