/**
 * `pyrolive simulate OUTDIR`: a simulated heating shot with its calibration lamp, dark frames, power log and truth.
 */
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { UsageError } from '../../errors';
import { simulateShot, writeShot, ShotOptions, SimulatedShot, WrittenShot } from '../../sim/shot';

/** A parser for a numeric option: a one-line UsageError naming the flag when it is not a number or out of range. */
function num(name: string, limits: { int?: boolean; min?: number; max?: number } = {}) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(`${name}: "${text}" is not a number`);
    }
    if (limits.int && !Number.isInteger(value)) {
      throw new UsageError(`${name}: "${text}" is not an integer`);
    }
    if (limits.min !== undefined && value < limits.min) {
      throw new UsageError(`${name}: ${value} is below ${limits.min}`);
    }
    if (limits.max !== undefined && value > limits.max) {
      throw new UsageError(`${name}: ${value} is above ${limits.max}`);
    }
    return value;
  };
}

/** A parser for a row range A:B (0-based, inclusive). */
function rowsRange(name: string) {
  return (text: string): [number, number] => {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
    if (!match) {
      throw new UsageError(`${name}: "${text}" is not A:B (0-based rows, inclusive)`);
    }
    return [Number(match[1]), Number(match[2])];
  };
}

/** A byte count as kB, MB or GB. */
function formatBytes(bytes: number): string {
  return bytes >= 1e9
    ? `${(bytes / 1e9).toFixed(2)} GB`
    : bytes >= 1e6
      ? `${(bytes / 1e6).toFixed(1)} MB`
      : `${(bytes / 1e3).toFixed(1)} kB`;
}

interface SimulateCliOptions {
  frames: number;
  seed: number;
  rows: number;
  width: number;
  exposure: number;
  interval: number;
  powerStart: number;
  powerEnd: number;
  framesPerStep: number;
  t0: number;
  slope: number;
  plateau: boolean;
  plateauStart: number;
  plateauWidth: number;
  plateauSlope: number;
  upstream?: boolean;
  dsRows?: [number, number];
  usRows?: [number, number];
  usOffset: number;
  emissivity: number;
  emissivitySlope: number;
  cosmicRate: number;
  saturateFrame?: number;
  lampTemperature: number;
  lampFrames: number;
  darkFrames: number;
  peakCounts: number;
  noise: 'fast' | 'exact';
  json?: boolean;
}

const DESCRIPTION =
  'Simulate a laser-heating shot and write into OUTDIR:\n' +
  '  shot.spe   the frames: SPE 3.0, uint16, wavelength list, frame times\n' +
  '  lamp.spe   lamp: greybody (emissivity 1), same rows and response\n' +
  '  dark.spe   dark frames (bias + read noise)\n' +
  '  power.csv  laser power log time_s,power_W at 50 Hz\n' +
  '  truth.csv  frame, time_s, power_W, temperature_K, ...\n' +
  '  shot.json  all parameters: ROI rows, lamp T, detector model\n' +
  'T = t0 + slope·P, with a plateau of reduced slope from\n' +
  '--plateau-start to --plateau-start + --plateau-width.\n' +
  'The same --seed always gives the same bytes.';

const HELP = `
Examples:
  $ pyrolive simulate shot/                                  # 400 frames, seed 1, plateau at 25–31 W
  $ pyrolive simulate shot/ --frames 20000 --seed 7          # a long shot (about 20 s, 860 MB)
  $ pyrolive simulate shot/ --upstream --cosmic-rate 0.02 --saturate-frame 100
  $ pyrolive simulate shot/ --no-plateau --power-start 10 --power-end 40 --frames-per-step 5
  $ pyrolive simulate shot/ --rows 100 --ds-rows 40:48 --frames 200

Then: pyrolive analyze shot/shot.spe --calibration shot/lamp.spe --lamp-temperature 2800 \\
        --background shot/dark.spe --power shot/power.csv --rows A:B (see shot.json "rois")`;

/** --frames, --seed, frame geometry (--rows, --width) and timing (--exposure, --interval). */
function addFrameOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-n, --frames <N>', 'number of frames')
        .default(400)
        .argParser(num('--frames', { int: true, min: 1, max: 10_000_000 })),
    )
    .addOption(
      new Option('-s, --seed <S>', 'random seed')
        .default(1)
        .argParser(num('--seed', { int: true, min: 0, max: 4294967295 })),
    )
    .addOption(
      new Option('--rows <N>', 'rows per frame').default(16).argParser(num('--rows', { int: true, min: 1, max: 4096 })),
    )
    .addOption(
      new Option('--width <N>', 'pixels per row')
        .default(1340)
        .argParser(num('--width', { int: true, min: 8, max: 65535 })),
    )
    .addOption(
      new Option('--exposure <s>', 'exposure time per frame, s')
        .default(0.008)
        .argParser(num('--exposure', { min: 1e-6 })),
    )
    .addOption(
      new Option('--interval <s>', 'time between frame starts, s')
        .default(0.01)
        .argParser(num('--interval', { min: 1e-6 })),
    );
}

/** The power ramp (--power-start, --power-end, --frames-per-step) and T(P): --t0, --slope, the plateau. */
function addHeatingOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--power-start <W>', 'laser power at the first frame')
        .default(5)
        .argParser(num('--power-start', { min: 0 })),
    )
    .addOption(
      new Option('--power-end <W>', 'laser power at the last frame')
        .default(45)
        .argParser(num('--power-end', { min: 0 })),
    )
    .addOption(
      new Option('--frames-per-step <N>', 'frames sharing one power step')
        .default(1)
        .argParser(num('--frames-per-step', { int: true, min: 1 })),
    )
    .addOption(new Option('--t0 <K>', 'T = t0 + slope·P: intercept').default(1100).argParser(num('--t0', { min: 1 })))
    .addOption(
      new Option('--slope <K/W>', 'T = t0 + slope·P: slope outside the plateau')
        .default(50)
        .argParser(num('--slope', { min: 1e-9 })),
    )
    .addOption(
      new Option('--plateau-start <W>', 'power where the plateau starts')
        .default(25)
        .argParser(num('--plateau-start', { min: 0 })),
    )
    .addOption(
      new Option('--plateau-width <W>', 'width of the plateau in power')
        .default(6)
        .argParser(num('--plateau-width', { min: 1e-9 })),
    )
    .addOption(
      new Option('--plateau-slope <F>', 'slope inside the plateau, as a fraction of the slope outside')
        .default(0.1)
        .argParser(num('--plateau-slope', { min: 0, max: 1 })),
    )
    .option('--no-plateau', 'a straight line T = t0 + slope·P (no plateau)');
}

/** The row bands (--upstream, --ds-rows, --us-rows, --us-offset) and the sample's emissivity. */
function addBandOptions(command: Command): Command {
  return command
    .option('--upstream', 'add an upstream band of rows (own response, temperature offset)')
    .addOption(
      new Option('--ds-rows <A:B>', 'downstream band rows (0-based, inclusive)').argParser(rowsRange('--ds-rows')),
    )
    .addOption(
      new Option('--us-rows <A:B>', 'upstream band rows (implies --upstream)').argParser(rowsRange('--us-rows')),
    )
    .addOption(
      new Option('--us-offset <K>', 'upstream minus downstream temperature').default(-60).argParser(num('--us-offset')),
    )
    .addOption(
      new Option('--emissivity <E>', 'sample emissivity at 700 nm')
        .default(0.5)
        .argParser(num('--emissivity', { min: 1e-6 })),
    )
    .addOption(
      new Option('--emissivity-slope <per-nm>', 'emissivity = E·(1 + slope·(λ − 700)), λ in nm')
        .default(0)
        .argParser(num('--emissivity-slope')),
    );
}

/** Artefacts (--cosmic-rate, --saturate-frame), lamp and dark frames, brightness and the noise model. */
function addDetectorOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--cosmic-rate <F>', 'fraction of frames with a cosmic-ray spike')
        .default(0)
        .argParser(num('--cosmic-rate', { min: 0, max: 1 })),
    )
    .addOption(
      new Option('--saturate-frame <I>', 'make frame I bright enough to clip at 65535').argParser(
        num('--saturate-frame', { int: true, min: 0 }),
      ),
    )
    .addOption(
      new Option('--lamp-temperature <K>', 'calibration lamp temperature')
        .default(2800)
        .argParser(num('--lamp-temperature', { min: 1 })),
    )
    .addOption(
      new Option('--lamp-frames <N>', 'frames in lamp.spe')
        .default(5)
        .argParser(num('--lamp-frames', { int: true, min: 1 })),
    )
    .addOption(
      new Option('--dark-frames <N>', 'frames in dark.spe')
        .default(5)
        .argParser(num('--dark-frames', { int: true, min: 1 })),
    )
    .addOption(
      new Option('--peak-counts <N>', 'expected peak counts above bias of the hottest frame')
        .default(40000)
        .argParser(num('--peak-counts', { min: 1, max: 65000 })),
    )
    .addOption(
      new Option(
        '--noise <model>',
        'fast: Poisson+read noise as one Gaussian of the same variance where its skewness ≤ 0.05; exact: Poisson everywhere',
      )
        .choices(['fast', 'exact'])
        .default('fast'),
    );
}

/** The simulator's options from the parsed flags. */
function shotOptionsFrom(options: SimulateCliOptions): ShotOptions {
  const plateau = options.plateau
    ? { start: options.plateauStart, width: options.plateauWidth, slopeFraction: options.plateauSlope }
    : null;
  return {
    frames: options.frames,
    seed: options.seed,
    rows: options.rows,
    width: options.width,
    exposureTime: options.exposure,
    frameInterval: options.interval,
    powerStart: options.powerStart,
    powerEnd: options.powerEnd,
    framesPerStep: options.framesPerStep,
    t0: options.t0,
    slope: options.slope,
    plateau,
    upstream: !!(options.upstream || options.usRows),
    downstreamRows: options.dsRows,
    upstreamRows: options.usRows,
    upstreamOffset: options.usOffset,
    emissivity: options.emissivity,
    emissivitySlope: options.emissivitySlope,
    cosmicRate: options.cosmicRate,
    saturateFrame: options.saturateFrame ?? null,
    lamp: { temperature: options.lampTemperature, frames: options.lampFrames },
    dark: { frames: options.darkFrames },
    peakCounts: options.peakCounts,
    noise: options.noise,
  };
}

/** A progress bar on stderr for a long shot (500 frames or more) written to a terminal; otherwise null. */
function createProgressBar(frames: number, json: boolean): SingleBar | null {
  const interactive = !!process.stderr.isTTY && !json;
  if (!interactive || frames < 500) {
    return null;
  }
  const bar = new SingleBar({
    format: 'simulate [{bar}] {value}/{total} frames  {eta_formatted} left',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(frames, 0);
  return bar;
}

/** Writes the shot's files (with the progress bar, if any); returns what was written and the seconds it took. */
function writeWithProgress(
  shot: SimulatedShot,
  outdir: string,
  bar: SingleBar | null,
): { written: WrittenShot; seconds: number } {
  const startedAt = Date.now();
  let written: WrittenShot;
  try {
    written = writeShot(shot, outdir, bar ? (done) => bar.update(done) : undefined);
  } finally {
    bar?.stop();
  }
  return { written, seconds: (Date.now() - startedAt) / 1000 };
}

/** The ROI rows as shot.json states them: downstream, and upstream when there is one. */
function roisOf(shot: SimulatedShot) {
  const resolved = shot.options;
  return resolved.upstreamRows
    ? { downstream: resolved.downstreamRows, upstream: resolved.upstreamRows }
    : { downstream: resolved.downstreamRows };
}

/** --json: the folder, the files, their total size, frames, ROIs, lamp temperature and seconds taken. */
function printJsonSummary(outdir: string, shot: SimulatedShot, written: WrittenShot, seconds: number): void {
  const summary = {
    dir: outdir,
    files: written.files,
    bytes: written.bytes,
    frames: shot.options.frames,
    rois: roisOf(shot),
    lampTemperature: shot.options.lamp.temperature,
    seconds,
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}

/** The lowest and highest true temperature of the shot. */
function temperatureExtent(temperatures: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < temperatures.length; i++) {
    min = Math.min(min, temperatures[i]);
    max = Math.max(max, temperatures[i]);
  }
  return { min, max };
}

/** One line per written file saying what is in it, then the cosmic and saturated frames if any. */
function summaryLines(outdir: string, shot: SimulatedShot, written: WrittenShot, seconds: number): string[] {
  const resolved = shot.options;
  const extent = temperatureExtent(shot.truth.temperature);
  const plateau = resolved.plateau
    ? `, plateau ${resolved.plateau.start}–${resolved.plateau.start + resolved.plateau.width} W (slope × ${resolved.plateau.slopeFraction})`
    : ', no plateau';
  const upstream = resolved.upstreamRows ? `, upstream ${resolved.upstreamRows.join(':')}` : '';
  const lines = [
    `wrote ${outdir} in ${seconds.toFixed(1)} s (${formatBytes(written.bytes)}):`,
    `  shot.spe   ${resolved.frames} frames × ${resolved.rows} rows × ${resolved.width} px, uint16, exposure ${resolved.exposureTime} s, every ${resolved.frameInterval} s`,
    `  lamp.spe   ${resolved.lamp.frames} frames, greybody ${resolved.lamp.temperature} K (emissivity 1), exposure ${resolved.lamp.exposureTime} s`,
    `  dark.spe   ${resolved.dark.frames} frames (bias ${resolved.detector.bias}, read noise ${resolved.detector.readNoise} counts)`,
    `  power.csv  ${shot.powerLog.time.length} samples at ${resolved.powerLogRate} Hz, ${resolved.powerStart}→${resolved.powerEnd} W`,
    `  truth.csv  T ${extent.min.toFixed(0)}–${extent.max.toFixed(0)} K` + plateau,
    `  shot.json  ROI rows: downstream ${resolved.downstreamRows.join(':')}` + upstream,
  ];
  const cosmicFrames = shot.truth.cosmic.reduce((sum, mark) => sum + mark, 0);
  if (cosmicFrames) {
    lines.push(`  cosmic spikes on ${cosmicFrames} frame(s)`);
  }
  if (resolved.saturateFrame !== null) {
    lines.push(`  frame ${resolved.saturateFrame} clips at full scale`);
  }
  return lines;
}

/** The action: simulate, write the files, print what was written (text, or JSON with --json). */
async function simulateAction(outdir: string, options: SimulateCliOptions): Promise<void> {
  const shot = simulateShot(shotOptionsFrom(options));
  const bar = createProgressBar(options.frames, !!options.json);
  const { written, seconds } = writeWithProgress(shot, outdir, bar);
  if (options.json) {
    printJsonSummary(outdir, shot, written, seconds);
    return;
  }
  process.stdout.write(summaryLines(outdir, shot, written, seconds).join('\n') + '\n');
}

export function register(program: Command): void {
  const command = program
    .command('simulate')
    .summary('write a simulated heating shot (SPE 3.0) with lamp, dark, power log and truth')
    .description(DESCRIPTION)
    .argument('<outdir>', 'folder to write into (created if needed; files are overwritten)');
  addDetectorOptions(addBandOptions(addHeatingOptions(addFrameOptions(command))))
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', HELP)
    .action(simulateAction);
}
