/**
 * `analyze --out` writes what its extension says (.json, .csv; anything else a one-line error before any work),
 * `report` reads both and draws every ROI (double-sided heating: the upstream side too), and `detect --plot` and
 * `report` share one page frame, one style sheet and one set of words (src/report/page.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../support/build';
import { simulateShot, writeShot } from '../../src/sim/shot';
import { loadShot } from '../../src/cli/commands/report';
import { calibrationArgs, twoSidedShot } from '../support/shotFiles';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-report-formats-'));
const FRAMES = 80;
let files: ReturnType<typeof writeShot>['files'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const analyzeArgs = () => [
  'analyze',
  files.shot,
  ...calibrationArgs(files),
  '--power',
  files.power,
  '--roi',
  'DS=1:3',
  '--roi',
  'US=5:6',
  '--range',
  '570:830',
];

/** The `data-series` names of one chart's series (the chart with that id). */
function seriesOf(html: string, chartId: string): string[] {
  const start = html.indexOf(`id="${chartId}"`);
  const end = html.indexOf('</svg>', start);
  return [...html.slice(start, end).matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]);
}

/** The number of points (circles) or vertices (polyline points) of a named series in a chart. */
function seriesSize(html: string, chartId: string, name: string): number {
  const chart = html.slice(html.indexOf(`id="${chartId}"`), html.indexOf('</svg>', html.indexOf(`id="${chartId}"`)));
  const at = chart.indexOf(`data-series="${name}"`);
  const element = chart.slice(at, chart.indexOf('>', chart.indexOf(`data-series="${name}"`)) + 1);
  if (/points="/.test(element)) {
    return (/points="([^"]*)"/.exec(element)?.[1] ?? '').trim().split(' ').length;
  }
  const group = chart.slice(at, chart.indexOf('</g>', at));
  return (group.match(/<circle/g) ?? []).length;
}

beforeAll(() => {
  ensureBuilt();
  const sim = simulateShot(twoSidedShot({ frames: FRAMES, seed: 23, cosmicRate: 0 }));
  files = writeShot(sim, path.join(tmp, 'shot')).files;
}, 240_000);

describe('analyze --out: the extension says the format', () => {
  it('.json writes the JSON of --json, .csv the results CSV; report reads both and draws both ROIs', () => {
    const json = path.join(tmp, 'results.json');
    const csv = path.join(tmp, 'results.csv');
    const printed = run([...analyzeArgs(), '--json']);
    expect(printed.code, printed.err).toBe(0);
    expect(run([...analyzeArgs(), '--out', json]).code).toBe(0);
    expect(run([...analyzeArgs(), '--out', csv]).code).toBe(0);
    // the file is the very text --json prints
    expect(fs.readFileSync(json, 'utf8')).toBe(printed.out);
    expect(fs.readFileSync(csv, 'utf8').split('\n')[0]).toMatch(
      /^index,time_s,.*,DS_temperature_K,DS_temperatureError_K,US_temperature_K/,
    );

    const fromJson = loadShot(json);
    const fromCsv = loadShot(csv);
    expect(fromJson.frames).toHaveLength(FRAMES);
    expect(fromCsv.frames).toHaveLength(FRAMES);
    const doc = JSON.parse(printed.out) as { frames: Array<{ rois: Record<string, { temperature: number | null }> }> };
    for (const [k, frame] of fromCsv.frames.entries()) {
      expect(frame.rois?.US.temperature).toBe(doc.frames[k].rois.US.temperature);
      expect(fromJson.frames[k].rois?.US.temperature).toBe(doc.frames[k].rois.US.temperature);
    }

    for (const input of [json, csv]) {
      const page = path.join(tmp, `${path.basename(input)}.html`);
      const r = run(['report', input, '-o', page]);
      expect(r.code, r.err).toBe(0);
      const html = fs.readFileSync(page, 'utf8');
      // every ROI has its own series on both charts, as many points as frames with a temperature (good frames)
      expect(seriesOf(html, 'chart-time')).toEqual(['DS', 'US', 'flagged frames']);
      expect(seriesOf(html, 'chart-power')).toEqual(['DS', 'DS mean per step', 'US']);
      const good = fromCsv.frames.filter((f) => f.flags.length === 0);
      const withUs = good.filter((f) => f.rois?.US.temperature !== null).length;
      const withDs = good.filter((f) => f.rois?.DS.temperature !== null).length;
      expect(withUs).toBeGreaterThan(FRAMES / 2);
      expect(seriesSize(html, 'chart-time', 'US')).toBe(withUs);
      expect(seriesSize(html, 'chart-power', 'US')).toBe(withUs);
      expect(seriesSize(html, 'chart-power', 'DS')).toBe(withDs);
      expect(html).toMatch(/<dt>US temperature<\/dt><dd>\d+–\d+ K<\/dd>/);
      // the JSON carries the detector's plateau; the CSV has no events and the page says so (not "no change")
      if (input === json) {
        expect(html).toMatch(/<strong>plateau at \d+\.\d W, \d+ K/);
      } else {
        expect(html).toContain('no events: a results CSV holds none');
        expect(html).not.toContain('no change of slope detected');
      }
    }
  });

  it('any other extension: one line naming the file, exit 1, nothing written, no work done', () => {
    const bad = path.join(tmp, 'results.txt');
    const r = run([...analyzeArgs(), '--out', bad]);
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/results\.txt: give a \.json or a \.csv file/);
    expect(fs.existsSync(bad)).toBe(false);
  });
});

describe('detect --plot and report: one look, one set of words', () => {
  it('share the style sheet, the chart title and axis names, the event sentence and the events table', () => {
    const json = path.join(tmp, 'look.json');
    expect(run([...analyzeArgs(), '--out', json]).code).toBe(0);
    const reportPage = path.join(tmp, 'look-report.html');
    const detectPage = path.join(tmp, 'look-detect.html');
    expect(run(['report', json, '-o', reportPage]).code).toBe(0);
    const detect = run(['detect', json, '--plot', detectPage]);
    expect(detect.code, detect.err).toBe(0);
    const report = fs.readFileSync(reportPage, 'utf8');
    const plot = fs.readFileSync(detectPage, 'utf8');
    const style = (html: string) => /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];
    expect(style(plot)).toBeDefined();
    expect(style(plot)).toBe(style(report));
    for (const html of [report, plot]) {
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).toContain('<h2>Temperature vs laser power</h2>');
      expect(html).toContain('Laser power (W)');
      expect(html).toContain('Temperature (K)');
      expect(html).toContain('<th>start power (W)</th><th>end power (W)</th><th>T at kink (K)</th>');
      expect(html).toMatch(/<strong>plateau at \d+\.\d W, \d+ K/);
      expect(html).not.toMatch(/<script|(src|href)="(https?:)?\/\//);
    }
  });
});
