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

/** The usable readings (finite key and power), sorted by key. */
function usableReadings(log: PowerLog): { keys: Float64Array; powers: Float64Array } {
  const order: number[] = [];
  for (let i = 0; i < log.key.length; i++) {
    if (Number.isFinite(log.key[i]) && Number.isFinite(log.power[i])) {
      order.push(i);
    }
  }
  order.sort((a, b) => log.key[a] - log.key[b]);
  return { keys: Float64Array.from(order, (i) => log.key[i]), powers: Float64Array.from(order, (i) => log.power[i]) };
}

/** Median spacing of sorted keys (0 for fewer than two). */
export function medianSpacing(keys: Float64Array): number {
  if (keys.length < 2) {
    return 0;
  }
  const gaps = new Float64Array(keys.length - 1);
  for (let i = 1; i < keys.length; i++) {
    gaps[i - 1] = keys[i] - keys[i - 1];
  }
  gaps.sort();
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
}

/**
 * The span a log covers: from its first to its last usable reading, widened by one median reading interval on
 * each side (a frame a little before the first reading still has that reading as its nearest). Null for a log
 * without usable readings.
 */
export function powerLogSpan(log: PowerLog): [number, number] | null {
  const { keys } = usableReadings(log);
  if (keys.length === 0) {
    return null;
  }
  const margin = medianSpacing(keys);
  return [keys[0] - margin, keys[keys.length - 1] + margin];
}

/**
 * A power log made ready for pairing (usable readings sorted once, the span's margin measured once): pairs any
 * number of frames, chunk by chunk, with the same result as pairing them all at once.
 */
export class PowerPairing {
  private readonly keys: Float64Array;
  private readonly powers: Float64Array;
  private readonly margin: number;

  constructor(log: PowerLog) {
    const { keys, powers } = usableReadings(log);
    this.keys = keys;
    this.powers = powers;
    this.margin = medianSpacing(keys);
  }

  /** The power at `t` (a frame time or index), NaN outside the log's span or for a null/NaN `t`. */
  powerAt(t: number | null): number {
    const keys = this.keys;
    const outside =
      keys.length === 0 ||
      t === null ||
      !Number.isFinite(t) ||
      t < keys[0] - this.margin ||
      t > keys[keys.length - 1] + this.margin;
    if (outside) {
      return NaN;
    }
    return this.powers[nearestIndex(keys, t as number)];
  }
}

/**
 * Power for each frame: for a time log, the reading nearest in time to the frame's time (ties → the earlier
 * reading); for a frame-indexed log, the reading of that frame number, or of the nearest logged frame number
 * when the frame is not in the log. `at` holds frame times (time log) or frame indices (frame log). NaN for a
 * frame whose time is null/NaN and for a frame outside the log's span (powerLogSpan): a log that stops early
 * gives no power to later frames, never its last value held. Non-finite powers in the log are skipped. An empty
 * log gives NaN everywhere.
 */
export function pairPowerLog(at: ArrayLike<number | null>, log: PowerLog): Float64Array {
  const pairing = new PowerPairing(log);
  const out = new Float64Array(at.length);
  for (let f = 0; f < at.length; f++) {
    out[f] = pairing.powerAt(at[f]);
  }
  return out;
}

/** @deprecated Renamed pairPowerLog (the live operator is withNearestPower). */
export const pairPower = pairPowerLog;
