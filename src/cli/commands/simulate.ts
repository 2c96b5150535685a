/**
 * `pyrolive simulate OUTDIR`: a simulated heating shot with its calibration lamp, dark frames, power log and truth.
 */
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { UsageError } from '../../errors';
import { simulateShot, writeShot, ShotOptions } from '../../sim/shot';

function num(name: string, opts: { int?: boolean; min?: number; max?: number } = {}) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) {
      throw new UsageError(`${name}: "${v}" is not a number`);
    }
    if (opts.int && !Number.isInteger(x)) {
      throw new UsageError(`${name}: "${v}" is not an integer`);
    }
    if (opts.min !== undefined && x < opts.min) {
      throw new UsageError(`${name}: ${x} is below ${opts.min}`);
    }
    if (opts.max !== undefined && x > opts.max) {
      throw new UsageError(`${name}: ${x} is above ${opts.max}`);
    }
    return x;
  };
}

function rowsRange(name: string) {
  return (v: string): [number, number] => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(v);
    if (!m) {
      throw new UsageError(`${name}: "${v}" is not A:B (0-based rows, inclusive)`);
    }
    return [Number(m[1]), Number(m[2])];
  };
}

function fmtBytes(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${(n / 1e3).toFixed(1)} kB`;
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

export function register(program: Command): void {
  program
    .command('simulate')
    .summary('write a simulated heating shot (SPE 3.0) with lamp, dark, power log and truth')
    .description(
      'Simulate a laser-heating shot and write into OUTDIR:\n' +
        '  shot.spe   the frames: SPE 3.0, uint16, wavelength list, frame times\n' +
        '  lamp.spe   lamp: greybody (emissivity 1), same rows and response\n' +
        '  dark.spe   dark frames (bias + read noise)\n' +
        '  power.csv  laser power log time_s,power_W at 50 Hz\n' +
        '  truth.csv  frame, time_s, power_W, temperature_K, ...\n' +
        '  shot.json  all parameters: ROI rows, lamp T, detector model\n' +
        'T = t0 + slope·P, with a plateau of reduced slope from\n' +
        '--plateau-start to --plateau-start + --plateau-width.\n' +
        'The same --seed always gives the same bytes.',
    )
    .argument('<outdir>', 'folder to write into (created if needed; files are overwritten)')
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
    )
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
    .option('--no-plateau', 'a straight line T = t0 + slope·P (no plateau)')
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
    )
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
    )
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive simulate shot/                                  # 400 frames, seed 1, plateau at 25–31 W
  $ pyrolive simulate shot/ --frames 20000 --seed 7          # a long shot (about 20 s, 860 MB)
  $ pyrolive simulate shot/ --upstream --cosmic-rate 0.02 --saturate-frame 100
  $ pyrolive simulate shot/ --no-plateau --power-start 10 --power-end 40 --frames-per-step 5
  $ pyrolive simulate shot/ --rows 100 --ds-rows 40:48 --frames 200

Then: pyrolive analyze shot/shot.spe --calibration shot/lamp.spe --lamp-temperature 2800 \\
        --background shot/dark.spe --power shot/power.csv --rows A:B (see shot.json "rois")`,
    )
    .action((outdir: string, o: SimulateCliOptions) => {
      const opts: ShotOptions = {
        frames: o.frames,
        seed: o.seed,
        rows: o.rows,
        width: o.width,
        exposureTime: o.exposure,
        frameInterval: o.interval,
        powerStart: o.powerStart,
        powerEnd: o.powerEnd,
        framesPerStep: o.framesPerStep,
        t0: o.t0,
        slope: o.slope,
        plateau: o.plateau ? { start: o.plateauStart, width: o.plateauWidth, slopeFraction: o.plateauSlope } : null,
        upstream: !!(o.upstream || o.usRows),
        downstreamRows: o.dsRows,
        upstreamRows: o.usRows,
        upstreamOffset: o.usOffset,
        emissivity: o.emissivity,
        emissivitySlope: o.emissivitySlope,
        cosmicRate: o.cosmicRate,
        saturateFrame: o.saturateFrame ?? null,
        lamp: { temperature: o.lampTemperature, frames: o.lampFrames },
        dark: { frames: o.darkFrames },
        peakCounts: o.peakCounts,
        noise: o.noise,
      };
      const shot = simulateShot(opts);
      const tty = !!process.stderr.isTTY && !o.json;
      let bar: SingleBar | null = null;
      if (tty && o.frames >= 500) {
        bar = new SingleBar({
          format: 'simulate [{bar}] {value}/{total} frames  {eta_formatted} left',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        });
        bar.start(o.frames, 0);
      }
      const t0 = Date.now();
      let written;
      try {
        written = writeShot(shot, outdir, bar ? (done) => bar!.update(done) : undefined);
      } finally {
        bar?.stop();
      }
      const secs = (Date.now() - t0) / 1000;
      const r = shot.options;
      const rois = r.upstreamRows
        ? { downstream: r.downstreamRows, upstream: r.upstreamRows }
        : { downstream: r.downstreamRows };
      if (o.json) {
        process.stdout.write(
          JSON.stringify(
            {
              dir: outdir,
              files: written.files,
              bytes: written.bytes,
              frames: r.frames,
              rois,
              lampTemperature: r.lamp.temperature,
              seconds: secs,
            },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      const t = shot.truth.temperature;
      let tmin = Infinity;
      let tmax = -Infinity;
      for (const v of t) {
        tmin = Math.min(tmin, v);
        tmax = Math.max(tmax, v);
      }
      const lines = [
        `wrote ${outdir} in ${secs.toFixed(1)} s (${fmtBytes(written.bytes)}):`,
        `  shot.spe   ${r.frames} frames × ${r.rows} rows × ${r.width} px, uint16, exposure ${r.exposureTime} s, every ${r.frameInterval} s`,
        `  lamp.spe   ${r.lamp.frames} frames, greybody ${r.lamp.temperature} K (emissivity 1), exposure ${r.lamp.exposureTime} s`,
        `  dark.spe   ${r.dark.frames} frames (bias ${r.detector.bias}, read noise ${r.detector.readNoise} counts)`,
        `  power.csv  ${shot.powerLog.time.length} samples at ${r.powerLogRate} Hz, ${r.powerStart}→${r.powerEnd} W`,
        `  truth.csv  T ${tmin.toFixed(0)}–${tmax.toFixed(0)} K` +
          (r.plateau
            ? `, plateau ${r.plateau.start}–${r.plateau.start + r.plateau.width} W (slope × ${r.plateau.slopeFraction})`
            : ', no plateau'),
        `  shot.json  ROI rows: downstream ${r.downstreamRows.join(':')}` +
          (r.upstreamRows ? `, upstream ${r.upstreamRows.join(':')}` : ''),
      ];
      const cos = shot.truth.cosmic.reduce((a, b) => a + b, 0);
      if (cos) {
        lines.push(`  cosmic spikes on ${cos} frame(s)`);
      }
      if (r.saturateFrame !== null) {
        lines.push(`  frame ${r.saturateFrame} clips at full scale`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
