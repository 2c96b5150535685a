/**
 * `pyrolive inspect FILE [--json]`: what is in an SPE file.
 *
 * --json prints exactly {version, width, height, frames, dataType, exposureTime, wavelength, sum}:
 *   - wavelength: {first, last, count} of the calibration of the stored pixels (count = width), or null when
 *     the file has no usable calibration;
 *   - sum: the sum of all pixels of frame 0 (all rows × width of the exposed region);
 *   - exposureTime: s, or null when the file does not say.
 */
import { Command } from 'commander';
import { openSpe } from '../../io/spe';
import type { SpeFile } from '../../io/types';

export interface InspectJson {
  version: number;
  width: number;
  height: number;
  frames: number;
  dataType: string;
  exposureTime: number | null;
  wavelength: { first: number; last: number; count: number } | null;
  sum: number;
}

export function frameSum(spe: SpeFile, i = 0): number {
  const f = spe.readFrame(i);
  let s = 0;
  for (let k = 0; k < f.length; k++) s += f[k];
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
  };
}

function fmt(x: number, digits = 4): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(digits + 2).replace(/\.?0+$/, '');
}

export function inspectText(spe: SpeFile): string {
  const j = inspectJson(spe);
  const L: string[] = [];
  L.push(`${spe.path}`);
  L.push(`  format      SPE ${j.version >= 2.95 ? '3.0 (LightField)' : `${j.version} (WinSpec)`}, geometry from ${spe.geometrySource === 'xml' ? 'the XML footer' : 'the legacy header'}`);
  L.push(`  frames      ${j.frames}${spe.declaredFrames !== undefined && spe.declaredFrames !== j.frames ? ` (file declares ${spe.declaredFrames})` : ''}` +
    ` × ${j.height} row(s) × ${j.width} px, ${j.dataType}${spe.fullScale ? ` (full scale ${spe.fullScale})` : ''}`);
  if (spe.regions && spe.regions.length > 1) {
    const stacked = spe.regions.every((r) => r.rows);
    L.push(`  regions     ${spe.regions.map((r) => `${r.width}×${r.height}${r.rows ? ` (rows ${r.rows[0]}:${r.rows[1]})` : ''}`).join(', ')}` +
      (stacked ? ', stacked into one frame' : ' (only the first is read)'));
  }
  L.push(`  layout      data at byte ${spe.dataOffset}, frame stride ${spe.frameStride} bytes` +
    (spe.frameSize !== undefined && spe.frameStride !== spe.frameSize ? ` (${spe.frameSize} of pixels + ${spe.frameStride - spe.frameSize} of per-frame metadata/other regions)` : ''));
  if (spe.metadata && spe.metadata.length) {
    L.push(`  per-frame   ${spe.metadata.map((m) => `${m.kind}${m.event ? ` ${m.event}` : ''} (${m.bytes} B)`).join(', ')}`);
  }
  L.push(`  exposure    ${j.exposureTime === null ? 'not stated' : `${fmt(j.exposureTime)} s`}`);
  if (j.wavelength) {
    const src = spe.wavelengthSource === 'xml' ? 'XML wavelength list' : 'x-calibration polynomial';
    L.push(`  wavelength  ${fmt(j.wavelength.first)} – ${fmt(j.wavelength.last)} nm over ${j.wavelength.count} px (${src})`);
    if (spe.wavelengthSource === 'polynomial' && spe.polynomial) {
      L.push(`  polynomial  ${spe.polynomial.map((c) => c.toExponential(6)).join(', ')} (lowest order first, pixel 1-based)`);
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
    L.push(`  frame times ${fmt(ft[0])} … ${fmt(ft[ft.length - 1])} s` +
      (ft.length > 1 ? ` (mean interval ${fmt((ft[ft.length - 1] - ft[0]) / (ft.length - 1))} s)` : ''));
  }
  L.push(`  frame 0     sum ${fmt(j.sum, 10)}`);
  for (const w of spe.warnings ?? []) L.push(`  warning     ${w}`);
  return L.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('inspect')
    .summary('show what is in an SPE file (dimensions, data type, calibration, exposure)')
    .description('Show what is in a Princeton Instruments SPE file (WinSpec 2.x or LightField 3.0): frames, rows,\n' +
      'pixels, data type, exposure, wavelength calibration and where it came from (XML list or polynomial),\n' +
      'frame stride and per-frame metadata, and the sum of frame 0. Frames are not loaded, except frame 0.')
    .argument('<file>', 'an .spe file')
    .option('--json', 'print {version, width, height, frames, dataType, exposureTime, wavelength: {first, last, count} | null, sum}')
    .option('--allow-truncated', 'accept a file whose last frame is incomplete (count only the complete frames)')
    .addHelpText('after', `
Examples:
  $ pyrolive inspect shot/shot.spe
  $ pyrolive inspect shot/shot.spe --json | jq .wavelength
JSON: sum = sum of all pixels of frame 0; wavelength = null when the file is uncalibrated; exposureTime in s
(null when the file does not say). A file that is not a readable SPE gives one line on stderr and exit 1.`)
    .action((file: string, o: { json?: boolean; allowTruncated?: boolean }) => {
      const spe = openSpe(file, { allowTruncated: !!o.allowTruncated });
      for (const w of spe.warnings ?? []) if (o.json) process.stderr.write(`pyrolive: warning: ${file}: ${w}\n`);
      try {
        if (o.json) process.stdout.write(JSON.stringify(inspectJson(spe)) + '\n');
        else process.stdout.write(inspectText(spe));
      } finally {
        spe.close();
      }
    });
}
