/**
 * Calibration from files (the I/O edge): lamp SPE averaged over its frames, dark SPE averaged over its frames,
 * lamp radiance (greybody at a temperature, optionally tungsten, or a radiance table). Everything is checked
 * against the shot: same width/height, wavelengths present. Errors name the file.
 */
import type { SpeFile } from '../io/types';
import { openFrames } from '../io/open';
import { readLampTable } from '../io/tables';
import { InputFileError, UsageError } from '../errors';
import { greybodyLampRadiance, tableLampRadiance } from './lamp';
import { estimateReadNoise, type PixelVariances } from '../quality/noise';
import type { DarkInput, LampInput } from '../analysis/types';

export * from './lamp';
export * from './rows';

/** sum[p] += frame[p] for p < count: meanFrames' sum, a frame at a time. The addon's addFrame is its twin. */
export function addFrame(sum: Float64Array, frame: Float64Array, count: number): void {
  for (let p = 0; p < count; p++) {
    sum[p] += frame[p];
  }
}

/** addFrame's arguments and result: what an engine's twin of it takes and returns. */
export type AddFrame = typeof addFrame;

/**
 * The calibration's loops over the dark's and the lamp's frames that an engine may run natively (the addon's
 * addFrame and pixelVariances, native/calibration.cc: the same doubles); the TypeScript twins where it does not.
 */
export interface CalibrationKernels {
  addFrame?: AddFrame;
  pixelVariances?: PixelVariances;
}

/**
 * Mean of all readable, finite frames of an SPE file (height × width); also returns up to `keep` frames. `add`
 * sums a frame into the running sum (addFrame or an engine's twin).
 */
export function meanFrames(
  file: SpeFile,
  keep = 0,
  add: AddFrame = addFrame,
): { mean: Float64Array; frames: number; kept: Float64Array[] } {
  const n = file.width * file.height;
  const mean = new Float64Array(n);
  const kept: Float64Array[] = [];
  // integer counts are always finite: the check (a loop per pixel, cold, before the first fit) is for float data
  const mayBeNonFinite = file.dataType === 'float32' || file.dataType === 'float64';
  let used = 0;
  for (let i = 0; i < file.frames; i++) {
    let fr: Float64Array;
    try {
      fr = file.readFrame(i);
    } catch {
      continue;
    }
    let ok = true;
    for (let p = 0; mayBeNonFinite && p < n; p++) {
      if (!Number.isFinite(fr[p])) {
        ok = false;
        break;
      }
    }
    if (!ok) {
      continue;
    }
    add(mean, fr, n);
    if (kept.length < keep) {
      kept.push(fr);
    }
    used++;
  }
  if (used === 0) {
    throw new InputFileError(file.path, 'no readable frame without NaN/Inf');
  }
  for (let p = 0; p < n; p++) {
    mean[p] /= used;
  }
  return { mean, frames: used, kept };
}

export interface CalibrationOptions {
  /** Lamp SPE path (--calibration). */
  lampPath: string;
  lampTemperature?: number | null;
  lampSpectrum?: string | null;
  tungsten?: boolean;
  /** Dark SPE path (--background). */
  darkPath?: string | null;
  /** native twins of the loops over the frames (an engine's), else the TypeScript ones */
  kernels?: CalibrationKernels;
}

export interface LoadedCalibration {
  lamp: LampInput;
  dark: DarkInput | null;
  /** Read noise (counts rms per pixel) from the dark frames, or null. */
  readNoise: number | null;
  warnings: string[];
}

function checkSameShape(shot: SpeFile, other: SpeFile, what: string): void {
  if (other.width !== shot.width) {
    throw new InputFileError(
      other.path,
      `${what} is ${other.width} pixels wide but ${shot.path} is ${shot.width}: they must come from the same detector region`,
    );
  }
  if (other.height !== shot.height) {
    throw new InputFileError(
      other.path,
      `${what} has ${other.height} row(s) per frame but ${shot.path} has ${shot.height}: they must come from the same detector region`,
    );
  }
}

/** The wavelength grid of a shot; InputFileError when it has none. */
export function shotWavelength(shot: SpeFile): Float64Array {
  if (!shot.wavelength || shot.wavelength.length !== shot.width) {
    throw new InputFileError(
      shot.path,
      'has no wavelength calibration (no XML wavelength list, no x-calibration polynomial)',
    );
  }
  return shot.wavelength;
}

/** Loads lamp, dark and lamp radiance for `shot`. The caller closes `shot`. */
export function loadCalibration(shot: SpeFile, o: CalibrationOptions): LoadedCalibration {
  const warnings: string[] = [];
  const wl = shotWavelength(shot);
  const hasT = o.lampTemperature !== undefined && o.lampTemperature !== null;
  const hasS = !!o.lampSpectrum;
  if (!hasT && !hasS) {
    throw new UsageError(
      `${o.lampPath}: the lamp needs --lamp-temperature K (greybody) or --lamp-spectrum FILE (radiance table)`,
    );
  }
  if (hasT && hasS) {
    throw new UsageError(`${o.lampPath}: give either --lamp-temperature or --lamp-spectrum, not both`);
  }
  if (hasT && !(Number(o.lampTemperature) > 0 && Number.isFinite(Number(o.lampTemperature)))) {
    throw new UsageError(
      `${o.lampPath}: --lamp-temperature must be a positive number of kelvin (got ${o.lampTemperature})`,
    );
  }
  // lamp radiance first (cheap, catches bad tables before reading big files)
  let radiance: Float64Array;
  if (hasT) {
    radiance = greybodyLampRadiance(wl, Number(o.lampTemperature), !!o.tungsten);
  } else {
    if (o.tungsten) {
      throw new UsageError(
        '--tungsten applies to --lamp-temperature only (a radiance table already includes the emissivity)',
      );
    }
    const table = readLampTable(o.lampSpectrum!);
    radiance = tableLampRadiance(wl, table, o.lampSpectrum!);
    if (!radiance.some((r) => Number.isFinite(r))) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const w of table.wavelength) {
        lo = Math.min(lo, w);
        hi = Math.max(hi, w);
      }
      throw new InputFileError(
        o.lampSpectrum!,
        `the table covers ${lo}–${hi} nm, none of the data of ${shot.path} (${wl[0].toFixed(1)}–${wl[wl.length - 1].toFixed(1)} nm)`,
      );
    }
  }
  let dark: DarkInput | null = null;
  let readNoise: number | null = null;
  if (o.darkPath) {
    const d = openFrames(o.darkPath);
    try {
      checkSameShape(shot, d, 'the dark');
      const m = meanFrames(d, 64, o.kernels?.addFrame);
      dark = { counts: m.mean, frames: m.frames, file: d.path };
      readNoise = estimateReadNoise(m.kept, d.width, d.height, o.kernels?.pixelVariances);
    } finally {
      d.close();
    }
  }
  const l = openFrames(o.lampPath);
  let lamp: LampInput;
  try {
    checkSameShape(shot, l, 'the lamp');
    if (l.wavelength && l.wavelength.length === wl.length) {
      let dmax = 0;
      for (let i = 0; i < wl.length; i++) {
        dmax = Math.max(dmax, Math.abs(l.wavelength[i] - wl[i]));
      }
      if (dmax > 0.5) {
        warnings.push(
          `${l.path}: wavelength calibration differs from ${shot.path} by up to ${dmax.toFixed(2)} nm (the shot's is used)`,
        );
      }
    }
    const m = meanFrames(l, 0, o.kernels?.addFrame);
    lamp = { counts: m.mean, frames: m.frames, radiance, file: l.path, radianceFile: o.lampSpectrum ?? undefined };
  } finally {
    l.close();
  }
  return { lamp, dark, readNoise, warnings };
}
