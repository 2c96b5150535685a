/**
 * `pyrolive summary DIR|FILES...`: the shots of a beamtime (results of `batch`, or `analyze --json` files) as one
 * table sorted by pressure — on the terminal, as JSON, as CSV — and the phase-diagram page (plateau-onset
 * temperature vs pressure). The work is in src/beamtime (summary.ts, phasePlot.ts, overlay.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { collect } from '../options';
import { UsageError } from '../../errors';
import {
  summarizeBeamtime,
  summaryCsv,
  summaryJson,
  type BeamtimeSummary,
  type ShotSummaryRow,
} from '../../beamtime/summary';
import { renderPhasePlot } from '../../beamtime/phasePlot';
import { readOverlay } from '../../beamtime/overlay';

const num = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits);

/** The readable table printed when neither --json nor an output file is asked for. */
export function summaryTable(summary: BeamtimeSummary): string {
  const head = ['shot', 'P GPa', 'frames', 'flagged', 'max T K', 'onset W', 'T onset K', 'σT K', 'end W', 'signif σ'];
  const rows = summary.shots.map((r) => [
    r.shot,
    num(r.pressure_GPa, 1),
    String(r.frames),
    String(r.flagged),
    num(r.maxTemperature, 0),
    num(r.plateau?.startPower, 2),
    num(r.plateau?.temperature, 0),
    num(r.plateau?.temperatureError, 0),
    r.plateau ? (r.plateau.endPower === null ? 'open' : num(r.plateau.endPower, 2)) : '',
    num(r.plateau?.significance, 1),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  const withPlateau = summary.shots.filter((r) => r.plateau).length;
  return (
    [
      line(head),
      ...rows.map(line),
      `${summary.shots.length} shot(s), ${withPlateau} with a plateau, ${summary.shots.length - withPlateau} without`,
    ].join('\n') + '\n'
  );
}

/** The report of a result file (DIR/<shot>.html next to DIR/<shot>.json), relative to the page, when it exists. */
function reportLink(plotFile: string) {
  return (row: ShotSummaryRow): string | null => {
    const report = row.file.replace(/\.json$/i, '') + '.html';
    if (!fs.existsSync(report)) {
      return null;
    }
    return path
      .relative(path.dirname(path.resolve(plotFile)), path.resolve(report))
      .split(path.sep)
      .join('/');
  };
}

function writeFile(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface SummaryCliOptions {
  json?: boolean;
  out?: string;
  plot?: string;
  overlay: string[];
  title?: string;
}

export function register(program: Command): void {
  program
    .command('summary')
    .summary('a beamtime as one table (sorted by pressure) and a phase-diagram page: plateau onset T vs pressure')
    .description(
      'Summarise shot results (the folder of `pyrolive batch`, or `analyze --json` files): per shot the ' +
        'pressure, frames, flagged frames, highest temperature, and the main plateau (onset power, temperature ' +
        'at the onset ± 1σ, end power, significance). Prints a table, or --json; --out writes CSV; --plot writes ' +
        'the phase diagram.',
    )
    .argument('<inputs...>', 'result folder(s) of `pyrolive batch` and/or result JSON files')
    .option('--json', 'print {shots: [...]} as JSON (sorted by pressure)')
    .option('--out <summary.csv>', 'write the table as CSV (one row per shot, metadata columns at the end)')
    .option('--plot <phase.html>', 'write a self-contained page: plateau onset temperature vs pressure')
    .option(
      '--overlay <file.csv>',
      'published points or a theory line for the plot: pressure_GPa,temperature_K[,label][,style] ' +
        '(style points|line; repeatable)',
      collect,
      [],
    )
    .option('--title <text>', 'title of the page', 'pyrolive phase diagram')
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive summary results/                                   # the table on the terminal
  $ pyrolive summary results/ --out summary.csv --plot phase.html
  $ pyrolive summary results/ --plot phase.html --overlay theory.csv --overlay published.csv \\
        --title "H2, beamtime 2024-05"
  $ pyrolive summary results/ --json > summary.json

Overlay CSV (rows with one label are one series):
  pressure_GPa,temperature_K,label,style
  80,1700,theory (Morales 2010),line
  120,1250,theory (Morales 2010),line
  95,1560,Zaghoo 2016,points`,
    )
    .action((inputs: string[], options: SummaryCliOptions) => {
      const overlays = options.overlay.flatMap(readOverlay);
      if (options.overlay.length && !options.plot) {
        throw new UsageError('--overlay draws on the phase plot: give --plot phase.html too');
      }
      const summary = summarizeBeamtime(inputs);
      for (const skipped of summary.skipped) {
        process.stderr.write(`pyrolive: warning: ${skipped}: not a shot result, skipped\n`);
      }
      if (summary.shots.length === 0) {
        throw new UsageError(
          `no shot results in ${inputs.join(', ')} (expected the *.json files of \`pyrolive batch\`)`,
        );
      }
      if (options.out) {
        writeFile(options.out, summaryCsv(summary));
        process.stderr.write(`wrote ${options.out} (${summary.shots.length} shot(s))\n`);
      }
      if (options.plot) {
        const pkg = require('../../../package.json') as { version: string };
        writeFile(
          options.plot,
          renderPhasePlot(summary.shots, {
            title: options.title,
            overlays,
            version: pkg.version,
            reportHref: reportLink(options.plot),
          }),
        );
        process.stderr.write(`wrote ${options.plot}\n`);
      }
      if (options.json) {
        process.stdout.write(summaryJson(summary));
      } else if (!options.out && !options.plot) {
        process.stdout.write(summaryTable(summary));
      }
    });
}
