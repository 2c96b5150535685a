/**
 * Column headers of text tables (power logs, power–temperature curves, beamtime manifests): what quantity a
 * header cell names and in what unit, e.g. `Time (ms)`, `time_ms`, `power_mW`, `Power (W)`, `pressure_GPa`,
 * `Temperature (K)`, `T [°C]`. One parser for every reader, so `--power` and `detect` accept the same headers.
 *
 * A unit is taken from brackets (`Name (unit)`, `Name [unit]`) or from a trailing `_unit` when that suffix is a
 * known unit. Values convert to SI as `value · scale + offset` (°C → K has offset 273.15); a percentage has no SI
 * scale (`scale: null`): only the caller can say what 100 % is.
 */

export type ColumnQuantity =
  'time' | 'frame' | 'power' | 'temperature' | 'temperatureError' | 'pressure' | 'wavelength' | 'flags' | 'unknown';

export interface ColumnHeader {
  /** The cell as written, trimmed and unquoted. */
  cell: string;
  /** The name without its unit, e.g. "Time" for `Time (ms)`. */
  name: string;
  quantity: ColumnQuantity;
  /** The unit as written (e.g. "ms", "mW", "%"), or null when the header gives none. */
  unit: string | null;
  /** Factor to the SI unit (s, W, K, Pa, m); 1 when there is no unit; null for a percentage or an unknown unit. */
  scale: number | null;
  /** Added after scaling (273.15 for °C), else 0. */
  offset: number;
}

interface UnitInfo {
  kind: 'time' | 'power' | 'temperature' | 'pressure' | 'length' | 'percent';
  scale: number | null;
  offset: number;
}

const UNITS: Record<string, UnitInfo> = {
  s: { kind: 'time', scale: 1, offset: 0 },
  sec: { kind: 'time', scale: 1, offset: 0 },
  secs: { kind: 'time', scale: 1, offset: 0 },
  seconds: { kind: 'time', scale: 1, offset: 0 },
  ms: { kind: 'time', scale: 1e-3, offset: 0 },
  msec: { kind: 'time', scale: 1e-3, offset: 0 },
  us: { kind: 'time', scale: 1e-6, offset: 0 },
  µs: { kind: 'time', scale: 1e-6, offset: 0 },
  μs: { kind: 'time', scale: 1e-6, offset: 0 },
  usec: { kind: 'time', scale: 1e-6, offset: 0 },
  ns: { kind: 'time', scale: 1e-9, offset: 0 },
  min: { kind: 'time', scale: 60, offset: 0 },
  w: { kind: 'power', scale: 1, offset: 0 },
  mw: { kind: 'power', scale: 1e-3, offset: 0 },
  kw: { kind: 'power', scale: 1e3, offset: 0 },
  uw: { kind: 'power', scale: 1e-6, offset: 0 },
  µw: { kind: 'power', scale: 1e-6, offset: 0 },
  μw: { kind: 'power', scale: 1e-6, offset: 0 },
  '%': { kind: 'percent', scale: null, offset: 0 },
  percent: { kind: 'percent', scale: null, offset: 0 },
  pct: { kind: 'percent', scale: null, offset: 0 },
  k: { kind: 'temperature', scale: 1, offset: 0 },
  c: { kind: 'temperature', scale: 1, offset: 273.15 },
  '°c': { kind: 'temperature', scale: 1, offset: 273.15 },
  degc: { kind: 'temperature', scale: 1, offset: 273.15 },
  pa: { kind: 'pressure', scale: 1, offset: 0 },
  kpa: { kind: 'pressure', scale: 1e3, offset: 0 },
  mpa: { kind: 'pressure', scale: 1e6, offset: 0 },
  gpa: { kind: 'pressure', scale: 1e9, offset: 0 },
  bar: { kind: 'pressure', scale: 1e5, offset: 0 },
  kbar: { kind: 'pressure', scale: 1e8, offset: 0 },
  kb: { kind: 'pressure', scale: 1e8, offset: 0 },
  mbar: { kind: 'pressure', scale: 1e11, offset: 0 },
  tpa: { kind: 'pressure', scale: 1e12, offset: 0 },
  nm: { kind: 'length', scale: 1e-9, offset: 0 },
};

/** Names (lower case, spaces/underscores/dashes removed) → quantity. */
const NAMES: Record<string, ColumnQuantity> = {
  time: 'time',
  timestamp: 'time',
  elapsed: 'time',
  elapsedtime: 'time',
  t: 'time',
  frame: 'frame',
  frames: 'frame',
  framenumber: 'frame',
  index: 'frame',
  idx: 'frame',
  n: 'frame',
  power: 'power',
  laserpower: 'power',
  p: 'power',
  temperature: 'temperature',
  temperatureerror: 'temperatureError',
  sigmat: 'temperatureError',
  terror: 'temperatureError',
  pressure: 'pressure',
  wavelength: 'wavelength',
  lambda: 'wavelength',
  wl: 'wavelength',
  flags: 'flags',
};

const KIND_TO_QUANTITY: Record<UnitInfo['kind'], ColumnQuantity> = {
  time: 'time',
  power: 'power',
  temperature: 'temperature',
  pressure: 'pressure',
  length: 'wavelength',
  percent: 'power',
};

function unitInfo(unit: string): UnitInfo | null {
  return UNITS[unit.trim().toLowerCase()] ?? null;
}

/**
 * A pressure unit's factor to GPa (the unit pressures are reported in), or null when the unit is not a pressure.
 * `Mbar` is megabar (100 GPa): in a pressure column a millibar would make no sense.
 */
export function pressureUnitToGPa(unit: string): number | null {
  const info = unitInfo(unit);
  if (!info || info.kind !== 'pressure' || info.scale === null) {
    return null;
  }
  return info.scale / 1e9;
}

/** Split `Name (unit)`, `Name [unit]` or `name_unit` (known units only) into name and unit. */
function splitUnit(cell: string): { name: string; unit: string | null } {
  const bracket = /^(.*?)\s*[([]\s*([^)\]]*?)\s*[)\]]\s*$/.exec(cell);
  if (bracket && bracket[1] !== '') {
    return { name: bracket[1], unit: bracket[2] === '' ? null : bracket[2] };
  }
  const suffix = /^(.+?)[_ ]([^_ ]+)$/.exec(cell);
  if (suffix && unitInfo(suffix[2])) {
    return { name: suffix[1], unit: suffix[2] };
  }
  return { name: cell, unit: null };
}

/** The quantity a bare name stands for; `T` alone is a temperature, `t` alone a time. */
function quantityOfName(name: string): ColumnQuantity {
  if (name === 'T') {
    return 'temperature';
  }
  const key = name.toLowerCase().replace(/[\s_-]+/g, '');
  return NAMES[key] ?? 'unknown';
}

/**
 * What a header cell names: quantity, unit and the factor to SI. Unknown names keep `quantity: 'unknown'`
 * unless their unit says what they are (`Elapsed (ms)` is a time); a name whose unit contradicts it (`time_K`)
 * keeps the name's quantity with `scale: null`, so the caller refuses it.
 */
export function parseColumnHeader(cellText: string): ColumnHeader {
  const cell = cellText
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  const { name, unit } = splitUnit(cell);
  let quantity = quantityOfName(name.trim());
  if (unit === null) {
    return { cell, name: name.trim(), quantity, unit: null, scale: 1, offset: 0 };
  }
  const info = unitInfo(unit);
  if (!info) {
    return { cell, name: name.trim(), quantity, unit, scale: null, offset: 0 };
  }
  const unitQuantity = KIND_TO_QUANTITY[info.kind];
  // `P (GPa)` is a pressure, `t (K)` a temperature: a one-letter name yields to its unit
  if (quantity === 'unknown' || (name.trim().length === 1 && quantity !== unitQuantity)) {
    quantity = unitQuantity;
  }
  const fits = unitQuantity === quantity || (quantity === 'temperatureError' && info.kind === 'temperature');
  if (!fits) {
    return { cell, name: name.trim(), quantity, unit, scale: null, offset: 0 };
  }
  // an error (difference) of temperatures has no offset
  const offset = quantity === 'temperatureError' ? 0 : info.offset;
  return { cell, name: name.trim(), quantity, unit, scale: info.scale, offset };
}

/**
 * `value · scale + offset` (the caller has checked scale is not null). Sub-units divide by a whole number
 * (ms: / 1000), so `140` ms is exactly the double of `0.14` s.
 */
export function toSI(value: number, header: ColumnHeader): number {
  const scale = header.scale as number;
  const scaled = scale < 1 ? value / Math.round(1 / scale) : value * scale;
  return scaled + header.offset;
}
