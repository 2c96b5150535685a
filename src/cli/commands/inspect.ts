/**
 * `pyrolive inspect FILE [--json]`: what is in an SPE file or an Andor SOLIS ASCII export.
 *
 * --json prints exactly {version, width, height, frames, dataType, exposureTime, wavelength, sum, format,
 * frameRate, frameTiming, camera, backgroundCorrected}:
 *   - wavelength: {first, last, count} of the calibration of the stored pixels (count = width), or null when
 *     the file has no usable calibration;
 *   - sum: the sum of all pixels of frame 0 (all rows × width of the exposed region);
 *   - exposureTime: s, or null when the file does not say;
 *   - format: 'spe' or 'andor-asc'; frameRate: Hz (LightField FrameRate, 1 / Andor kinetic cycle time) or null;
 *   - frameTiming: {source, interval} of the frame clock analyze uses (time stamps, frameRate, exposure, none);
 *   - camera: {model, intensified, electronMultiplying, emGain, adcGain, sensorTemperature (°C)} or null;
 *   - backgroundCorrected: the acquisition software already subtracted a background (LightField).
 */
import { Command } from 'commander';
import { openFrames } from '../../io/open';
import { frameClock, type FrameTimeSource } from '../../io/timing';
import type { CameraInfo, SpeFile } from '../../io/types';

export interface InspectJson {
  version: number;
  width: number;
  height: number;
  frames: number;
  dataType: string;
  exposureTime: number | null;
  wavelength: { first: number; last: number; count: number } | null;
  sum: number;
  format: 'spe' | 'andor-asc';
  frameRate: number | null;
  frameTiming: { source: FrameTimeSource; interval: number | null };
  camera: CameraInfo | null;
  backgroundCorrected: boolean;
}

export function frameSum(spe: SpeFile, i = 0): number {
  const f = spe.readFrame(i);
  let s = 0;
  for (let k = 0; k < f.length; k++) {
    s += f[k];
  }
  return s;
}

export function inspectJson(spe: SpeFile): InspectJson {
  const wl = spe.wavelength;
  return {
    version: spe.version,
    width: spe.width,
    height: spe.height,
    frames: spe.frames,
    dataType: spe.dataType,
    exposureTime: spe.exposureTime,
    wavelength: wl && wl.length ? { first: wl[0], last: wl[wl.length - 1], count: wl.length } : null,
    sum: frameSum(spe, 0),
    format: spe.format ?? 'spe',
    frameRate: spe.frameRate ?? null,
    frameTiming: timingOf(spe),
    camera: spe.camera ?? null,
    backgroundCorrected: !!spe.backgroundCorrected,
  };
}

function timingOf(spe: SpeFile): { source: FrameTimeSource; interval: number | null } {
  const clock = frameClock(spe);
  return { source: clock.source, interval: clock.interval };
}

const TIMING_TEXT: Record<FrameTimeSource, string> = {
  frameInterval: 'given interval',
  timestamps: 'per-frame time stamps',
  frameRate: 'frame rate',
  exposure: 'exposure time (no time stamps or frame rate)',
  none: 'none: give --frame-interval to pair a time-based power log',
};

/** The acquisition lines of inspect's text: camera, background correction, frame timing. */
function acquisitionLines(spe: SpeFile, j: InspectJson): string[] {
  const lines: string[] = [];
  const camera = j.camera;
  if (camera) {
    const traits = [
      camera.intensified ? 'intensified' : null,
      camera.electronMultiplying ? `electron-multiplying (EM gain ${camera.emGain ?? '?'})` : null,
      camera.adcGain !== null ? `ADC gain ${camera.adcGain}` : null,
      camera.sensorTemperature !== null ? `sensor ${camera.sensorTemperature} °C` : null,
    ].filter((t) => t !== null);
    lines.push(`  camera      ${camera.model ?? 'model not stated'}${traits.length ? `: ${traits.join(', ')}` : ''}`);
  }
  if (j.backgroundCorrected) {
    lines.push(
      `  background  already subtracted by the acquisition software` +
        `${spe.backgroundReference ? ` (reference ${spe.backgroundReference})` : ''}: no --background needed`,
    );
  }
  if (j.frameRate !== null) {
    lines.push(`  frame rate  ${fmt(j.frameRate)} Hz`);
  }
  const interval = j.frameTiming.interval;
  lines.push(
    `  timing      ${TIMING_TEXT[j.frameTiming.source]}${interval !== null ? `, ${fmt(interval)} s per frame` : ''}`,
  );
  return lines;
}

function formatLine(spe: SpeFile, j: InspectJson): string {
  if (j.format === 'andor-asc') {
    return '  format      Andor SOLIS ASCII export (frames as columns)';
  }
  return (
    `  format      SPE ${j.version >= 2.95 ? '3.0 (LightField)' : `${j.version} (WinSpec)`}, geometry from ` +
    `${spe.geometrySource === 'xml' ? 'the XML footer' : 'the legacy header'}`
  );
}

function fmt(x: number, digits = 4): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(digits + 2).replace(/\.?0+$/, '');
}

export function inspectText(spe: SpeFile): string {
  const j = inspectJson(spe);
  const L: string[] = [];
  L.push(`${spe.path}`);
  L.push(formatLine(spe, j));
  L.push(
    `  frames      ${j.frames}${spe.declaredFrames !== undefined && spe.declaredFrames !== j.frames ? ` (file declares ${spe.declaredFrames})` : ''}` +
      ` × ${j.height} row(s) × ${j.width} px, ${j.dataType}${spe.fullScale ? ` (full scale ${spe.fullScale})` : ''}`,
  );
  if (spe.regions && spe.regions.length > 1) {
    const stacked = spe.regions.every((r) => r.rows);
    L.push(
      `  regions     ${spe.regions.map((r) => `${r.width}×${r.height}${r.rows ? ` (rows ${r.rows[0]}:${r.rows[1]})` : ''}`).join(', ')}` +
        (stacked ? ', stacked into one frame' : ' (only the first is read)'),
    );
  }
  if (j.format === 'spe') {
    L.push(
      `  layout      data at byte ${spe.dataOffset}, frame stride ${spe.frameStride} bytes` +
        (spe.frameSize !== undefined && spe.frameStride !== spe.frameSize
          ? ` (${spe.frameSize} of pixels + ${spe.frameStride - spe.frameSize} of per-frame metadata/other regions)`
          : ''),
    );
  }
  if (spe.metadata && spe.metadata.length) {
    L.push(
      `  per-frame   ${spe.metadata.map((m) => `${m.kind}${m.event ? ` ${m.event}` : ''} (${m.bytes} B)`).join(', ')}`,
    );
  }
  L.push(`  exposure    ${j.exposureTime === null ? 'not stated' : `${fmt(j.exposureTime)} s`}`);
  L.push(...acquisitionLines(spe, j));
  if (j.wavelength) {
    const src =
      j.format === 'andor-asc'
        ? 'first column'
        : spe.wavelengthSource === 'xml'
          ? 'XML wavelength list'
          : 'x-calibration polynomial';
    L.push(
      `  wavelength  ${fmt(j.wavelength.first)} – ${fmt(j.wavelength.last)} nm over ${j.wavelength.count} px (${src})`,
    );
    if (spe.wavelengthSource === 'polynomial' && spe.polynomial) {
      L.push(
        `  polynomial  ${spe.polynomial.map((c) => c.toExponential(6)).join(', ')} (lowest order first, pixel 1-based)`,
      );
    }
  } else {
    L.push('  wavelength  uncalibrated (no wavelength list or polynomial)');
  }
  if (spe.sensorMapping) {
    const s = spe.sensorMapping;
    L.push(`  sensor map  x ${s.x}, y ${s.y}, ${s.width}×${s.height}, binning ${s.xBinning}×${s.yBinning}`);
  }
  if (spe.frameTimes && spe.frameTimes.length) {
    const ft = spe.frameTimes;
    L.push(
      `  frame times ${fmt(ft[0])} … ${fmt(ft[ft.length - 1])} s` +
        (ft.length > 1 ? ` (mean interval ${fmt((ft[ft.length - 1] - ft[0]) / (ft.length - 1))} s)` : ''),
    );
  }
  L.push(`  frame 0     sum ${fmt(j.sum, 10)}`);
  for (const w of spe.warnings ?? []) {
    L.push(`  warning     ${w}`);
  }
  return L.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('inspect')
    .summary('show what is in an SPE file or Andor ASCII export (dimensions, data type, calibration, camera, timing)')
    .description(
      'Show what is in a Princeton Instruments SPE file (WinSpec 2.x or LightField 3.0) or an Andor SOLIS\n' +
        'ASCII export (.asc): frames, rows, pixels, data type, exposure, wavelength calibration and where it came from,\n' +
        'frame stride and per-frame metadata, camera (intensifier, EM, ADC gain, sensor temperature), background\n' +
        'correction, frame rate and timing, and the sum of frame 0. SPE frames are not loaded, except frame 0.',
    )
    .argument('<file>', 'an .spe or .asc file')
    .option(
      '--json',
      'print {version, width, height, frames, dataType, exposureTime, wavelength: {first, last, count} | null, ' +
        'sum, format, frameRate, frameTiming, camera, backgroundCorrected}',
    )
    .option('--allow-truncated', 'accept a file whose last frame is incomplete (count only the complete frames)')
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive inspect shot/shot.spe
  $ pyrolive inspect shot/shot.spe --json | jq .wavelength
JSON: sum = sum of all pixels of frame 0; wavelength = null when the file is uncalibrated; exposureTime in s
(null when the file does not say). A file that is not a readable SPE gives one line on stderr and exit 1.`,
    )
    .action((file: string, o: { json?: boolean; allowTruncated?: boolean }) => {
      const spe = openFrames(file, { allowTruncated: !!o.allowTruncated });
      for (const w of spe.warnings ?? []) {
        if (o.json) {
          process.stderr.write(`pyrolive: warning: ${file}: ${w}\n`);
        }
      }
      try {
        if (o.json) {
          process.stdout.write(JSON.stringify(inspectJson(spe)) + '\n');
        } else {
          process.stdout.write(inspectText(spe));
        }
      } finally {
        spe.close();
      }
    });
}
