#!/usr/bin/env node
'use strict';
/**
 * The fit-weights tables of docs/analysis.md, measured (not typed by hand):
 *  1. every real spectrum of ../shared/real-data with an established tool's value: the default (noise weights),
 *     `--weights none` and the tool;
 *  2. simulated shots with known temperatures: accuracy and pull of both weightings (with a dark; background-
 *     corrected float frames of an "intensified" camera, no dark; counts with their bias left in).
 * Usage: `npm run build:ts && node scripts/fit-table.js [--write]` (--write replaces the text between the
 * fit-table markers of docs/analysis.md).
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const dist = (p) => require(path.join(ROOT, 'dist', p));
const { analyzeFiles } = dist('analysis/run');
const { createAnalyzer } = dist('analysis/analyzer');
const { simulateShot } = dist('sim/shot');
const { greybodyLampRadiance } = dist('calibration/lamp');
const { estimateReadNoise } = dist('quality/noise');

const REAL = path.resolve(ROOT, '..', 'shared', 'real-data');

/** T-Rax's values per side from trax/README.md's table. */
function traxReferences() {
  const text = fs.readFileSync(path.join(REAL, 'trax', 'README.md'), 'utf8');
  const out = [];
  const row = /^\|\s*(downstream|upstream)\s*\|\s*(\d+:\d+)\s*\|\s*(\S+\.spe)\s*\|\s*([\d.]+)\s*±\s*([\d.]+)\s*K/gm;
  for (const m of text.matchAll(row)) {
    out.push({ side: m[1], rows: m[2], calibration: m[3], temperature: Number(m[4]), error: Number(m[5]) });
  }
  return out;
}

/** The real cases: name, how to run them, the tool's value. */
function realCases() {
  const cases = [];
  const trax = path.join(REAL, 'trax');
  if (fs.existsSync(trax)) {
    for (const ref of traxReferences()) {
      cases.push({
        name: `trax test_measurement.spe ${ref.side} (rows ${ref.rows}, 666–836 nm)`,
        tool: 'T-Rax',
        ref,
        options: {
          shots: [path.join(trax, 'test_measurement.spe')],
          calibration: path.join(trax, ref.calibration),
          lampSpectrum: path.join(trax, '15A_lamp.txt'),
          rows: ref.rows,
          range: [666, 836],
        },
      });
    }
  }
  const ptwire = path.join(REAL, 'hpcat-ptwire');
  if (fs.existsSync(ptwire)) {
    const expectJson = JSON.parse(fs.readFileSync(path.join(ptwire, 'expect.json'), 'utf8'));
    for (const c of expectJson.cases) {
      cases.push({
        name: `hpcat-ptwire ${c.file}`,
        tool: 'PyRadiant',
        ref: { temperature: c.temperature, error: c.error },
        options: { shots: [path.join(ptwire, c.file)] },
      });
    }
  }
  const pyradiant = path.join(REAL, 'hpcat-pyradiant');
  if (fs.existsSync(pyradiant)) {
    for (const [file, side] of [
      ['downstream.txt', 'Downstream'],
      ['upstream.txt', 'Upstream'],
    ]) {
      const text = fs.readFileSync(path.join(pyradiant, file), 'utf8');
      const m = new RegExp(`^#\\s*${side} \\(K\\):\\s*([\\d.]+)\\s+([\\d.]+)`, 'm').exec(text);
      cases.push({
        name: `hpcat-pyradiant ${file}`,
        tool: 'PyRadiant',
        ref: { temperature: Number(m[1]), error: Number(m[2]) },
        options: { shots: [path.join(pyradiant, file)] },
      });
    }
  }
  return cases;
}

const fmtT = (t, e) => (t === null ? 'withheld' : `${t.toFixed(1)} ± ${e.toFixed(1)}`);

async function realTable() {
  const lines = [
    '| spectrum | tool | `--weights none` | default (noise) | χ²/dof | flags | \\|default − none\\| / σ_comb |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of realCases()) {
    const none = (await analyzeFiles({ ...c.options, weights: 'none' })).frames[0];
    const noise = (await analyzeFiles({ ...c.options, weights: 'noise' })).frames[0];
    const combined = Math.hypot(noise.temperatureError, none.temperatureError);
    const shift = Math.abs(noise.temperature - none.temperature) / combined;
    lines.push(
      `| ${c.name} | ${c.tool} ${fmtT(c.ref.temperature, c.ref.error)} | ${fmtT(none.temperature, none.temperatureError)} ` +
        `| ${fmtT(noise.temperature, noise.temperatureError)} | ${noise.chi2 === null ? '' : noise.chi2.toFixed(2)} ` +
        `| ${noise.flags.join(', ') || '—'} | ${shift.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

function meanFrame(frames) {
  const out = new Float64Array(frames[0].length);
  for (const f of frames) {
    for (let i = 0; i < out.length; i++) {
      out[i] += f[i] / frames.length;
    }
  }
  return out;
}

function median(values) {
  const a = [...values].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : 0.5 * (a[m - 1] + a[m]);
}

function meanStd(values) {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** One simulated case under both weightings: median |ΔT/T|, pull mean ± std, flags. */
async function simulatedRows(label, shot, frames, config) {
  const rows = [];
  const n = frames.length;
  for (const weights of ['noise', 'none']) {
    const analyzer = createAnalyzer({ ...config, weights });
    const res = await analyzer.analyzeBatch(
      frames,
      frames.map((_f, i) => i),
      frames.map(() => null),
    );
    const rel = [];
    const pulls = [];
    const flagged = {};
    res.forEach((r, i) => {
      for (const flag of r.flags) {
        flagged[flag] = (flagged[flag] ?? 0) + 1;
      }
      if (r.temperature === null) {
        return;
      }
      rel.push(Math.abs(r.temperature / shot.truth.temperature[i] - 1));
      pulls.push((r.temperature - shot.truth.temperature[i]) / r.temperatureError);
    });
    const pull = meanStd(pulls);
    const flags =
      Object.entries(flagged)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '—';
    rows.push(
      `| ${label} | ${weights === 'noise' ? 'default (noise)' : 'none'} | ${rel.length}/${n} ` +
        `| ${(100 * median(rel)).toFixed(3)} % | ${pull.mean.toFixed(2)} ± ${pull.std.toFixed(2)} | ${flags} |`,
    );
  }
  return rows;
}

async function simulatedTable() {
  const shot = simulateShot({
    frames: 300,
    seed: 41,
    rows: 8,
    downstreamRows: [2, 5],
    plateau: null,
    t0: 1300,
    slope: 40,
  });
  const wl = shot.wavelength;
  const { width } = shot.options;
  const height = shot.options.rows;
  const frames = [...shot.frames()];
  const darkFrames = Array.from({ length: shot.options.dark.frames }, (_v, i) => shot.darkFrame(i));
  const lampFrames = Array.from({ length: shot.options.lamp.frames }, (_v, i) => shot.lampFrame(i));
  const dark = meanFrame(darkFrames);
  const lampCounts = meanFrame(lampFrames);
  const radiance = greybodyLampRadiance(wl, shot.options.lamp.temperature);
  const base = {
    wavelength: wl,
    width,
    height,
    rois: [{ name: 'DS', first: 2, last: 5 }],
    range: [570, 830],
    dataType: 'uint16',
    lamp: { counts: lampCounts, frames: lampFrames.length, radiance },
  };
  const lines = [
    '| simulated shot (300 frames, 1300–2500 K, rows 2–5, 570–830 nm) | weights | frames with T | median \\|ΔT/T\\| ' +
      '| pull mean ± std | flags |',
    '|---|---|---|---|---|---|',
  ];
  const withDark = {
    ...base,
    dark: { counts: dark, frames: darkFrames.length },
    readNoiseFromDark: estimateReadNoise(darkFrames, width, height),
  };
  lines.push(...(await simulatedRows('lamp and dark (gain estimated)', shot, frames, withDark)));
  const corrected = frames.map((f) => Float32Array.from(f, (v, i) => v - dark[i]));
  const correctedConfig = {
    ...base,
    dataType: 'float32',
    lamp: { ...base.lamp, counts: Float64Array.from(lampCounts, (v, i) => v - dark[i]) },
    backgroundCorrected: true,
    camera: { intensified: true },
  };
  lines.push(
    ...(await simulatedRows('background-corrected float32, no dark, "intensified"', shot, corrected, correctedConfig)),
  );
  lines.push(...(await simulatedRows('no dark: the bias (600 counts) left in', shot, frames, base)));
  return lines.join('\n');
}

async function main() {
  const text = [
    fs.existsSync(REAL) ? await realTable() : '(../shared/real-data absent: no real cases)',
    '',
    await simulatedTable(),
  ].join('\n');
  if (!process.argv.includes('--write')) {
    console.log(text);
    return;
  }
  const doc = path.join(ROOT, 'docs', 'analysis.md');
  const old = fs.readFileSync(doc, 'utf8');
  const begin = '<!-- fit-table:begin -->';
  const end = '<!-- fit-table:end -->';
  if (!old.includes(begin) || !old.includes(end)) {
    throw new Error(`${doc}: no ${begin} … ${end} markers`);
  }
  const updated = old.slice(0, old.indexOf(begin) + begin.length) + '\n' + text + '\n' + old.slice(old.indexOf(end));
  fs.writeFileSync(doc, updated);
  console.log(`fit-table: ${doc} updated`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
