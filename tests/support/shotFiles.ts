/**
 * Simulated shots for the CLI tests: the usual two-sided geometry and the arguments that calibrate its files.
 */
import type { ShotOptions } from '../../src/sim/shot';

/** The files of a written shot that the calibration needs. */
export interface CalibrationFiles {
  lamp: string;
  dark: string;
}

/** `--calibration LAMP --lamp-temperature 2800 --background DARK`: the simulator's lamp is a 2800 K greybody. */
export function calibrationArgs(files: CalibrationFiles): string[] {
  return ['--calibration', files.lamp, '--lamp-temperature', '2800', '--background', files.dark];
}

/**
 * A shot of 8 rows seen from both sides (downstream rows 1 and 3, upstream rows 5 and 6), 10 ms between frames, the
 * laser ramped from 10 to 40 W; `options` set the rest (frames, seed, cosmics …) or override these.
 */
export function twoSidedShot(options: ShotOptions): ShotOptions {
  return {
    rows: 8,
    upstream: true,
    downstreamRows: [1, 3],
    upstreamRows: [5, 6],
    frameInterval: 0.01,
    powerStart: 10,
    powerEnd: 40,
    ...options,
  };
}
