/**
 * Pairing of frames with laser power readings from a whole log (a file). Pure. The live twin is the operator
 * withNearestPower (src/stream/pairPower.ts); both pick the reading with nearestIndex.
 */
import { nearestIndex } from './nearest';

export interface PowerLog {
  /** 'time': key is seconds since the start of the shot; 'frame': key is a frame number. */
  kind: 'time' | 'frame';
  key: Float64Array;
  power: Float64Array;
}

/**
 * Power for each frame: for a time log, the reading nearest in time to the frame's time (ties → the earlier
 * reading); for a frame-indexed log, the reading of that frame number, or of the nearest logged frame number
 * when the frame is not in the log. `at` holds frame times (time log) or frame indices (frame log); a frame
 * whose time is null/NaN gets NaN. Non-finite powers in the log are skipped. An empty log gives NaN everywhere.
 */
export function pairPowerLog(at: ArrayLike<number | null>, log: PowerLog): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < log.key.length; i++) if (Number.isFinite(log.key[i]) && Number.isFinite(log.power[i])) idx.push(i);
  idx.sort((a, b) => log.key[a] - log.key[b]);
  const k = Float64Array.from(idx, (i) => log.key[i]);
  const p = Float64Array.from(idx, (i) => log.power[i]);
  const out = new Float64Array(at.length);
  for (let f = 0; f < at.length; f++) {
    const t = at[f];
    if (t === null || !Number.isFinite(t) || k.length === 0) {
      out[f] = NaN;
      continue;
    }
    out[f] = p[nearestIndex(k, t)];
  }
  return out;
}

/** @deprecated Renamed pairPowerLog (the live operator is withNearestPower). */
export const pairPower = pairPowerLog;
