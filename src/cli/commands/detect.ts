/**
 * `pyrolive detect CURVE`: find slope changes (the plateau) in a laser power vs temperature curve.
 */
import * as fs from 'fs';
import { Command } from 'commander';
import { DetectInputError, InputFileError, UsageError } from '../../errors';
import { detectOffline } from '../../detect';
import { parseCurve } from '../../detect/input';
import { detectHtml } from '../../report/detectPage';
import type { DetectorOptions, DetectResult, SlopeEvent } from '../../detect/types';
import { DEFAULT_DETECTOR_OPTIONS } from '../../detect/types';

interface DetectCliOptions {
  json?: boolean;
  plot?: string;
  minTemperature?: string;
  threshold?: string;
  plateauRatio?: string;
  window?: string;
  reversalTolerance?: string;
}

function numberOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) {
    return undefined;
  }
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, got '${v}'`);
  }
  return n;
}

const pm = (v: number | null, e: number | null, d: number) =>
  v === null || !Number.isFinite(v)
    ? '—'
    : e !== null && Number.isFinite(e)
      ? `${v.toFixed(d)} ± ${e.toFixed(d)}`
      : v.toFixed(d);

/** The readable table printed without --json. */
export function formatTable(r: DetectResult, file: string): string {
  const lines: string[] = [];
  const sk = r.skippedDetail;
  lines.push(
    `${file}: ${r.points} usable points, ${r.skipped} skipped` +
      (r.skipped
        ? ` (${sk.flagged} flagged, ${sk.nonFinite} missing/non-finite, ${sk.belowMinTemperature} below the temperature floor)`
        : ''),
  );
  if (!r.events.length) {
    lines.push('No slope change found.');
  } else {
    const head = [
      '#',
      'kind',
      'kink W',
      'end W',
      'T kink K',
      'slope before K/W',
      'slope after K/W',
      'slope end K/W',
      'signif.',
      'detected at',
    ];
    const rows = r.events.map((e: SlopeEvent) => [
      String(e.id),
      e.kind,
      pm(e.startPower, e.startPowerError, 2),
      pm(e.endPower, e.endPowerError, 2),
      e.temperature.toFixed(0),
      pm(e.slopeBefore, e.slopeBeforeError, 1),
      pm(e.slopeAfter, e.slopeAfterError, 1),
      pm(e.slopeEnd, e.slopeEndError, 1),
      `${e.significance.toFixed(1)}σ`,
      `#${e.detectedAtIndex}${e.endDetectedAtIndex !== null ? ` (end #${e.endDetectedAtIndex})` : ''}`,
    ]);
    const wid = head.map((h, i) => Math.max(h.length, ...rows.map((r2) => r2[i].length)));
    const fmtRow = (cells: string[]) =>
      cells.map((c, i) => (i <= 1 ? c.padEnd(wid[i]) : c.padStart(wid[i]))).join('  ');
    lines.push(fmtRow(head));
    for (const row of rows) {
      lines.push(fmtRow(row));
    }
  }
  for (const leg of r.fit.legs) {
    lines.push(
      `${leg.direction === 1 ? 'heating' : 'cooling'} leg #${leg.firstIndex}–#${leg.lastIndex}: ${leg.points} points, ` +
        `${leg.outliers} outlier${leg.outliers === 1 ? '' : 's'} ignored, scatter ${leg.sigma.toFixed(1)} K; slopes ` +
        leg.segments.map((s) => `${pm(s.slope, s.slopeError, 1)}`).join(' | ') +
        ' K/W',
    );
  }
  return lines.join('\n') + '\n';
}

export function runDetect(file: string, o: DetectCliOptions): DetectResult {
  const opts: DetectorOptions = {
    minTemperature: numberOpt(o.minTemperature, 'min-temperature'),
    threshold: numberOpt(o.threshold, 'threshold'),
    plateauRatio: numberOpt(o.plateauRatio, 'plateau-ratio'),
    window: numberOpt(o.window, 'window'),
    reversalTolerance: numberOpt(o.reversalTolerance, 'reversal-tolerance'),
  };
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) {
      throw new InputFileError(file, 'is a directory, expected a CSV or JSON file');
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputFileError) {
      throw e;
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(
      file,
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : `cannot read (${(e as Error).message})`,
    );
  }
  const parsed = parseCurve(text, file);
  let r: DetectResult;
  try {
    r = detectOffline(parsed.points, opts);
  } catch (e) {
    if (e instanceof DetectInputError) {
      const extra = parsed.missing
        ? ` (${parsed.missing} row${parsed.missing === 1 ? '' : 's'} without power or temperature)`
        : '';
      throw new InputFileError(file, e.message + extra);
    }
    throw e;
  }
  // rows without a value count as skipped too
  r.skipped += parsed.missing;
  r.skippedDetail = {
    ...r.skippedDetail,
    total: r.skippedDetail.total + parsed.missing,
    nonFinite: r.skippedDetail.nonFinite + parsed.missing,
  };
  return r;
}

export function register(program: Command): void {
  const d = DEFAULT_DETECTOR_OPTIONS;
  program
    .command('detect')
    .summary('find the plateau (change of slope) in a laser power vs temperature curve')
    .description(
      'Find changes of slope in laser power vs temperature: a plateau (the temperature stops rising, or rises\n' +
        'much more slowly, over a power interval) and its end. Runs the online detector over the curve in file order\n' +
        '(time order), then refines the kinks with a continuous segmented fit over the whole curve.',
    )
    .argument(
      '<curve>',
      'CSV with header power_W,temperature_K (optional temperatureError_K, time_s, index, flags),\n' +
        'or the JSON / CSV that `pyrolive analyze` writes',
    )
    .option('--json', 'print {events, points, skipped, offline} as JSON')
    .option('--plot <file.html>', 'write a self-contained HTML chart: curve, fitted segments, plateau shaded')
    .option(
      '--min-temperature <K>',
      `skip points below this temperature (faint spectra) (default: ${d.minTemperature})`,
    )
    .option('--threshold <sigma>', `detection threshold on the scan statistic, σ (default: ${d.threshold})`)
    .option(
      '--plateau-ratio <r>',
      `slope after / slope before below which a drop is a plateau (default: ${d.plateauRatio})`,
    )
    .option('--window <points>', `recent points the online test looks at (default: ${d.window})`)
    .option(
      '--reversal-tolerance <W>',
      `a power reversal larger than this starts a new (cooling) leg (default: ${d.reversalTolerance})`,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive detect curve.csv                         # table of events (powers in W, slopes in K/W, significance)
  $ pyrolive detect curve.csv --json > events.json
  $ pyrolive detect results.json --plot shot.html     # from \`pyrolive analyze --json\`, with a chart
  $ pyrolive detect curve.csv --min-temperature 1200  # trust only spectra above 1200 K

Points flagged corrupt, fit-failed, weak or saturated, non-finite values and temperatures below
--min-temperature are skipped and counted. Significance is a z-score (σ) of the kink against a smooth
(quadratic) bend; the threshold accounts for the scan over kink positions (see docs/detect.md).`,
    )
    .action((file: string, o: DetectCliOptions) => {
      const r = runDetect(file, o);
      if (o.plot) {
        try {
          fs.writeFileSync(o.plot, detectHtml(r, file));
        } catch (e) {
          throw new InputFileError(
            o.plot,
            `cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
          );
        }
      }
      if (o.json) {
        process.stdout.write(
          JSON.stringify(
            { events: r.events, points: r.points, skipped: r.skipped, skippedDetail: r.skippedDetail, offline: r.fit },
            null,
            2,
          ) + '\n',
        );
      } else {
        process.stdout.write(formatTable(r, file));
        if (o.plot) {
          process.stdout.write(`chart written to ${o.plot}\n`);
        }
      }
    });
}
