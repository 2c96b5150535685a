/**
 * The summary table, its CSV, the overlay reader and the phase-diagram page, on hand-made result files.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BIN, ensureBuilt } from '../support/build';
import { parseOverlay } from '../../src/beamtime/overlay';
import { summarizeBeamtime, summaryCsv, type ShotSummaryRow } from '../../src/beamtime/summary';
import { renderPhasePlot, renderPhaseSvg } from '../../src/beamtime/phasePlot';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-summary-'));

/** A heating run T = 1000 + 50 P with a flat plateau from `onset` on (or none), 4 frames per W. */
function resultDoc(name: string, pressure: number | null, onset: number | null, extra: Record<string, string> = {}) {
  const frames = [];
  for (let k = 0; k <= 160; k++) {
    const power = 5 + k / 4;
    const temperature = onset === null || power < onset ? 1000 + 50 * power : 1000 + 50 * onset;
    const flags = k === 3 ? ['cosmic'] : [];
    frames.push({
      index: k,
      time: k * 0.01,
      power,
      temperature: k === 5 ? 9999 : temperature,
      temperatureError: 5,
      flags,
    });
  }
  frames[5].flags = ['saturated'];
  const plateau = {
    id: 1,
    kind: 'plateau',
    startPower: onset,
    endPower: null,
    temperature: 1000 + 50 * (onset ?? 0),
    significance: 12,
    slopeBefore: 50,
    slopeAfter: 0,
    startPowerError: 0.05,
    detectedAtIndex: 100,
    direction: 1,
  };
  return {
    engine: 'native',
    frames,
    events: onset === null ? [] : [plateau],
    meta: {
      name,
      pressure_GPa: pressure,
      columns: { shot: `${name}.spe`, pressure_GPa: String(pressure ?? ''), power: 'p.csv', rows: '2:5', ...extra },
    },
  };
}

function writeDoc(dir: string, doc: ReturnType<typeof resultDoc>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${doc.meta.name}.json`), JSON.stringify(doc));
}

describe('summarizeBeamtime', () => {
  const dir = path.join(tmp, 'results');
  writeDoc(dir, resultDoc('b', 95, 22, { note: 'good, "clean"' }));
  writeDoc(dir, resultDoc('a', 120, 18));
  writeDoc(dir, resultDoc('c', 82, null, { operator: 'KS' }));
  writeDoc(dir, resultDoc('d', null, 25));
  fs.writeFileSync(path.join(dir, 'summary.json'), '{"shots": []}');
  fs.writeFileSync(path.join(dir, '.e.json.tmp-123'), '{"frames": [');

  it('one row per result, by pressure (none last), metadata without shot and pressure; other JSON skipped', () => {
    const summary = summarizeBeamtime([dir]);
    expect(summary.shots.map((r) => r.shot)).toEqual(['c', 'b', 'a', 'd']);
    expect(summary.skipped).toEqual([path.join(dir, 'summary.json')]);
    const [c, b] = summary.shots;
    expect(c.meta).toEqual({ rows: '2:5', operator: 'KS' });
    expect(c.plateau).toBeNull();
    expect(b.frames).toBe(161);
    expect(b.flagged).toBe(2);
    // the saturated 9999 K frame is not the highest temperature; the highest unflagged one is the plateau level
    expect(b.maxTemperature).toBe(1000 + 50 * 22);
    expect(c.maxTemperature).toBe(1000 + 50 * 45);
    expect(b.plateau).toMatchObject({
      startPower: 22,
      startPowerError: 0.05,
      endPower: null,
      temperature: 2100,
      significance: 12,
    });
    // noise-free frames on the model: the onset error is the onset power's, carried through the slope before (50 K/W)
    expect(b.plateau!.temperatureError).toBeGreaterThan(0);
    expect(b.plateau!.temperatureError).toBeLessThan(50 * 0.05 + 1e-6);
  });

  it('the CSV: fixed columns, then every metadata column; cells with commas and quotes quoted', () => {
    const lines = summaryCsv(summarizeBeamtime([dir]))
      .trim()
      .split('\n');
    expect(lines[0]).toBe(
      'shot,pressure_GPa,frames,flagged,maxTemperature_K,plateau_startPower_W,plateau_startPowerError_W,' +
        'plateau_endPower_W,plateau_temperature_K,plateau_temperatureError_K,plateau_significance,events,' +
        'rows,operator,note',
    );
    expect(lines[1]).toBe('c,82,161,2,3250,,,,,,,0,2:5,KS,');
    expect(lines[2]).toMatch(/^b,95,161,2,2100,22,0\.05,,2100,[\d.]+,12,1,2:5,,"good, ""clean"""$/);
    expect(lines).toHaveLength(5);
  });

  it('a plain `analyze --json` file (no meta) is named after the file, with no pressure', () => {
    const { meta: _meta, ...plain } = resultDoc('ignored', 50, 22);
    const file = path.join(tmp, 'plain', 'run7.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(plain));
    const [row] = summarizeBeamtime([file]).shots;
    expect(row).toMatchObject({ shot: 'run7', pressure_GPa: null, meta: {}, frames: 161 });
    expect(row.plateau?.startPower).toBe(22);
  });

  it('an explicit file that is not a result is an error naming it', () => {
    expect(() => summarizeBeamtime([path.join(dir, 'summary.json')])).toThrow(/summary\.json: not a shot result/);
    expect(() => summarizeBeamtime([path.join(tmp, 'nothing')])).toThrow(/nothing: no such file or folder/);
  });
});

describe('overlays', () => {
  it('groups rows by label, reads style, converts kbar and °C, keeps error bars', () => {
    const series = parseOverlay(
      'P (kbar);T (°C);label;style;temperatureError_K\n800;1500;theory;line;\n1200;1300;theory;line;\n' +
        '950;1400,5;Zaghoo;points;80\n',
      'ov.csv',
    );
    expect(series).toHaveLength(2);
    expect(series[0]).toEqual({
      label: 'theory',
      style: 'line',
      points: [
        { pressure: 80, temperature: 1773.15, temperatureError: null },
        { pressure: 120, temperature: 1573.15, temperatureError: null },
      ],
    });
    expect(series[1].style).toBe('points');
    expect(series[1].points[0].pressure).toBeCloseTo(95, 12);
    expect(series[1].points[0].temperature).toBeCloseTo(1673.65, 9);
    expect(series[1].points[0].temperatureError).toBe(80);
  });

  it('without a label column the series is named after the file; bad input names file and line', () => {
    expect(parseOverlay('pressure_GPa,temperature_K\n90,2000\n', '/x/published.csv')[0].label).toBe('published');
    expect(() => parseOverlay('pressure_GPa,temperature_K\n90,hot\n', 'ov.csv')).toThrow(
      /ov\.csv: line 2: temperature "hot"/,
    );
    expect(() => parseOverlay('pressure_GPa,temperature_F\n90,2000\n', 'ov.csv')).toThrow(
      /unknown temperature unit "F"/,
    );
    expect(() => parseOverlay('x,y\n90,2000\n', 'ov.csv')).toThrow(/needs a pressure and a temperature column/);
    expect(() => parseOverlay('pressure_GPa,temperature_K,style\n90,2000,bars\n', 'ov.csv')).toThrow(
      /line 2: style "bars"/,
    );
  });
});

describe('the phase-diagram page', () => {
  const rows = summarizeBeamtime([path.join(tmp, 'results')]).shots;

  it('one linked, titled point per shot with plateau and pressure, error bars in proportion; the rest apart', () => {
    const withErrors: ShotSummaryRow[] = rows.map((r) =>
      r.plateau ? { ...r, plateau: { ...r.plateau, temperatureError: 50 } } : r,
    );
    const html = renderPhasePlot(withErrors, {
      reportHref: (r) => (r.shot === 'b' ? 'b.html' : null),
      generatedAt: 'T',
    });
    const title = '<title>b: 95.0 GPa, 2100 ± 50 K, onset 22.00 W, 12.0σ</title>';
    expect(html).toContain(`<a href="b.html"><g class="shot" data-shot="b">${title}`);
    expect(html).toMatch(/<g class="shot" data-shot="a"><title>a: 120\.0 GPa/);
    expect(html).not.toMatch(/<a href="[^"]*"><g class="shot" data-shot="a">/);
    // c has no plateau: a hollow triangle on the plot (at its highest T), and in the table apart
    expect(html).toMatch(
      /data-shot="c"><title>c: 82\.0 GPa, no plateau \(highest T 3250 K\)<\/title><polygon class="no-plateau"/,
    );
    expect(html).toMatch(/<table id="no-plateau">[\s\S]*<td>c<\/td>[\s\S]*operator: KS/);
    // d has a plateau but no pressure: listed, not plotted
    expect(html).not.toMatch(/data-shot="d"/);
    expect(html).toMatch(/<table id="no-pressure">[\s\S]*<td>d<\/td>/);
    expect(html).toContain(
      '4 shot(s): 2 with a plateau plotted, 1 without a plateau, 1 with a plateau but no pressure',
    );
    // the error bar of b spans ±50 K: measure it against the y axis of the same SVG (2100 − 50 … 2100 + 50)
    const svg = renderPhaseSvg(withErrors);
    const group = /data-shot="b">[\s\S]*?<\/g>/.exec(svg)![0];
    const bar = /<line x1="([\d.]+)" y1="([\d.]+)" x2="\1" y2="([\d.]+)"/.exec(group)!;
    const dotY = Number(/<circle cx="[\d.]+" cy="([\d.]+)"/.exec(group)![1]);
    expect(Number(bar[2]) - dotY).toBeCloseTo(dotY - Number(bar[3]), 0);
    const ticks = [...svg.matchAll(/<line x1="78\.0" y1="([\d.]+)" x2="976\.0"/g)].map((m) => Number(m[1]));
    const tickStep = ticks[0] - ticks[1];
    const tickValues = [...svg.matchAll(/text-anchor="end" dominant-baseline="middle">(\d+)</g)].map((m) =>
      Number(m[1]),
    );
    const kelvinPerPixel = (tickValues[1] - tickValues[0]) / tickStep;
    expect((Number(bar[2]) - dotY) * kelvinPerPixel).toBeCloseTo(50, 0);
  });

  it('puts the legend in the corner with the fewest marks', () => {
    const shot = (name: string, pressure: number, temperature: number): ShotSummaryRow => ({
      ...rows[1],
      shot: name,
      pressure_GPa: pressure,
      plateau: { ...rows[1].plateau!, temperature, temperatureError: 10 },
    });
    const legendX = (list: ShotSummaryRow[]) =>
      Number(/<g class="legend"><rect x="([\d.]+)"/.exec(renderPhaseSvg(list))![1]);
    // points along a falling line: top left and bottom right taken, the legend goes top right
    const falling = [shot('a', 80, 3000), shot('b', 90, 2500), shot('c', 100, 2000)];
    expect(legendX(falling)).toBeGreaterThan(500);
    // a rising line leaves the top left free
    const rising = [shot('a', 80, 2000), shot('b', 90, 2500), shot('c', 100, 3000)];
    expect(legendX(rising)).toBeLessThan(100);
  });

  it('is self-contained and escapes shot names and notes', () => {
    const odd: ShotSummaryRow = { ...rows[1], shot: '<b>&"x"', meta: { note: '<script>alert(1)</script>' } };
    const html = renderPhasePlot([odd], {
      overlays: parseOverlay('pressure_GPa,temperature_K,label\n90,2000,<i>\n', 'o.csv'),
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>&');
    expect(html).toContain('&lt;b&gt;&amp;&quot;x&quot;');
    expect(html).toContain('&lt;i&gt;');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
  });
});

describe('pyrolive summary (CLI)', () => {
  const run = (args: string[]) => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [BIN, 'summary', ...args], { encoding: 'utf8', cwd: tmp });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('prints the table; warns about JSON files that are not results; one-line errors', () => {
    const r = run([path.join(tmp, 'results')]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*summary\.json: not a shot result, skipped/);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^shot\s+P GPa\s+frames\s+flagged\s+max T K\s+onset W\s+T onset K\s+σT K\s+end W\s+signif σ$/,
    );
    expect(lines[1]).toMatch(/^c\s+82\.0\s+161\s+2\s+3250\s*$/);
    expect(lines[2]).toMatch(/^b\s+95\.0\s+161\s+2\s+2100\s+22\.00\s+2100\s+\d+\s+open\s+12\.0$/);
    expect(lines[5]).toBe('4 shot(s), 3 with a plateau, 1 without');
    // output folders are made as needed
    const made = run([path.join(tmp, 'results'), '--plot', path.join(tmp, 'figures', 'beamtime', 'phase.html')]);
    expect(made.code).toBe(0);
    expect(fs.existsSync(path.join(tmp, 'figures', 'beamtime', 'phase.html'))).toBe(true);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    for (const [args, message] of [
      [[empty], /no shot results in .*empty/],
      [[path.join(tmp, 'results'), '--overlay', 'x.csv'], /x\.csv: no such file/],
      [
        [path.join(tmp, 'results', 'b.json'), '--out', path.join(tmp, 'results', 'b.json', 's.csv')],
        /cannot write .*b\.json[/\\]s\.csv: E(EXIST|NOTDIR)/,
      ],
    ] as const) {
      const bad = run([...args]);
      expect(bad.code).toBe(1);
      expect(bad.err.trim().split('\n')).toHaveLength(1);
      expect(bad.err).toMatch(message);
    }
  });
});
