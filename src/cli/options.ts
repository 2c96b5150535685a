/**
 * Option parsers and the analysis options shared by `analyze` and `serve` (same names, same meaning), so the
 * two commands can never drift apart; and the one table that turns a library error's config field into the flag
 * that sets it.
 */
import { Command, Option } from 'commander';
import { ConfigError, UsageError, isPyroliveError } from '../errors';
import { parseRange, type AnalysisOptions } from '../analysis/run';
import type { Method, Weights } from '../analysis/types';

/** A commander parser for a positive (or, with positive = false, non-negative) finite number. */
export function num(what: string, positive = true) {
  return (v: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x) || (positive ? !(x > 0) : x < 0)) {
      throw new UsageError(
        `${what} must be a ${positive ? 'positive' : 'non-negative'} number (got "${v}")`,
        'E_OPTION_VALUE',
      );
    }
    return x;
  };
}

/** A ConfigError's message as the CLI prints it: the flag in place of the config field. */
export function configErrorMessage(error: ConfigError): string {
  const flag = flagOfField(error.field);
  return flag ? `${flag} ${error.problem}` : error.message;
}

/** A commander parser for any finite number (negative allowed). */
export function finite(what: string) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) {
      throw new UsageError(`${what} must be a number (got "${v}")`);
    }
    return x;
  };
}

/** Collects a repeatable option into a list. */
export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** Adds the calibration and fit options of `pyrolive analyze`. */
export function addAnalysisOptions(cmd: Command): Command {
  return cmd
    .option('--calibration <lamp.spe>', 'lamp SPE file (counts of a lamp of known radiance, same detector region)')
    .option('--lamp-temperature <K>', 'the lamp is a greybody at this temperature', num('--lamp-temperature'))
    .option('--lamp-spectrum <file>', 'the lamp radiance as a table (nm, radiance), interpolated linearly')
    .option('--tungsten', "with --lamp-temperature: multiply by tungsten's spectral emissivity (Larrabee / de Vos)")
    .option('--background <dark.spe>', 'dark/background SPE, averaged over its frames, subtracted from lamp and shot')
    .option('--power-expr <expr>', 'turn the logged (or pushed) value x into watts (mathjs), e.g. "x / 100 * 42"')
    .option('--rows <A:B>', 'sum rows A..B (0-based, inclusive) into one spectrum (default: all rows)')
    .option(
      '--roi <NAME=A:B>',
      'a named band of rows, fitted separately (repeat: --roi DS=10:30 --roi US=60:80)',
      collect,
      [],
    )
    .option('--range <LO:HI>', 'fit range in nm (default: where the lamp response is ≥ 5 % of its peak)')
    .addOption(new Option('--method <m>', 'fit method').choices(['planck', 'wien', 'two-color']).default('planck'))
    .option(
      '--emissivity <expr>',
      'emissivity ε(lambda), lambda in nm (mathjs), divided out before the fit, e.g. "1 - 2e-4*(lambda-700)"',
    )
    .option(
      '--gain <e/count>',
      'detector gain in electrons per count (default: estimated from the data)',
      num('--gain'),
    )
    .option(
      '--read-noise <counts>',
      'read noise in counts rms (default: from the dark frames)',
      num('--read-noise', false),
    )
    .option(
      '--saturation <counts>',
      'saturation level in counts (default: full scale of the data type, 65535 for uint16)',
      num('--saturation'),
    )
    .option(
      '--frame-interval <s>',
      'seconds between frames, for shots without time stamps or when the file is wrong ' +
        '(default: time stamps, else FrameRate / kinetic cycle time, else exposure)',
      num('--frame-interval'),
    )
    .option(
      '--time-offset <s>',
      "time of the first frame on the power log's clock, in s (default 0)",
      finite('--time-offset'),
    )
    .addOption(
      new Option(
        '--weights <w>',
        'fit weights: noise (by the noise model, σT with the misfit) or none ' +
          '(unweighted least squares, σT scaled by the residual variance, as T-Rax and PyRadiant)',
      )
        .choices(['noise', 'none'])
        .default('noise'),
    );
}

/** The analysis options as addAnalysisOptions parsed them (commander's option object), for analyze and serve. */
export function analysisOptionsFrom(options: Record<string, unknown>): AnalysisOptions {
  return {
    calibration: (options.calibration as string) ?? null,
    lampTemperature: (options.lampTemperature as number) ?? null,
    lampSpectrum: (options.lampSpectrum as string) ?? null,
    tungsten: !!options.tungsten,
    background: (options.background as string) ?? null,
    rows: (options.rows as string) ?? null,
    roi: (options.roi as string[]) ?? [],
    range: options.range ? parseRange(String(options.range)) : null,
    method: (options.method as Method) ?? 'planck',
    emissivity: (options.emissivity as string) ?? null,
    gain: (options.gain as number) ?? null,
    readNoise: (options.readNoise as number) ?? null,
    saturation: (options.saturation as number) ?? null,
    frameInterval: (options.frameInterval as number) ?? null,
    timeOffset: (options.timeOffset as number) ?? null,
    weights: (options.weights as Weights) ?? 'noise',
  };
}

/**
 * The flag that sets each config field. Library code names the field in a ConfigError (`gain must be a positive
 * number (got -1)`); the CLI shows the flag instead (`--gain must be a positive number (got -1)`). One table for
 * every command: a field that several commands take has the same flag in each.
 */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = Object.freeze({
  // analysis (analyze, serve): addAnalysisOptions
  calibration: '--calibration',
  lampTemperature: '--lamp-temperature',
  lampSpectrum: '--lamp-spectrum',
  tungsten: '--tungsten',
  background: '--background',
  power: '--power',
  powerExpr: '--power-expr',
  rows: '--rows',
  roi: '--roi',
  range: '--range',
  method: '--method',
  emissivity: '--emissivity',
  gain: '--gain',
  readNoise: '--read-noise',
  saturation: '--saturation',
  weights: '--weights',
  frameInterval: '--frame-interval',
  timeOffset: '--time-offset',
  chunkFrames: '--chunk',
  // live sources and the server (serve, demo)
  rate: '--rate',
  port: '--port',
  host: '--host',
  record: '--record',
  // simulate
  frames: '--frames',
  seed: '--seed',
  width: '--width',
  exposureTime: '--exposure',
  // detect
  minTemperature: '--min-temperature',
  threshold: '--threshold',
  window: '--window',
});

/** The flag that sets a config field, or undefined when no flag sets it. */
export function flagOfField(field: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(FLAG_OF_FIELD, field) ? FLAG_OF_FIELD[field] : undefined;
}

/**
 * What the CLI prints for an error that ends a command. A PyroliveError (the user's input) is one line,
 * `pyrolive: <message>`, with a ConfigError's field replaced by its flag. Anything else is a bug: one line too,
 * or its stack when `debug` (PYROLIVE_DEBUG is set).
 */
export function formatCliError(error: unknown, debug: boolean): string {
  if (error instanceof ConfigError) {
    return `pyrolive: ${configErrorMessage(error)}\n`;
  }
  if (isPyroliveError(error)) {
    return `pyrolive: ${error.message}\n`;
  }
  const bug = error as Error | undefined;
  if (debug) {
    return `${bug?.stack ?? String(error)}\n`;
  }
  return `pyrolive: ${bug?.message ?? String(error)}\n`;
}
