/**
 * The main plateau of a run and the error of its onset temperature.
 *
 * Main plateau: of the detector's events of kind `plateau` (retracted ones left out), those on a heating leg
 * (direction +1; cooling only when there is no heating one), the most significant; ties go to the lower power.
 *
 * Onset temperature: the detector's fitted temperature at the kink (the same number `report` shows). Its error is
 * not in the event, so it is estimated here from the frames: the continuous two-segment model
 *   T = Tk + b·min(P − κ, 0) + c·max(P − κ, 0)
 * is fitted by weighted least squares (weights 1/σT², scaled by the residual scatter, one 4σ rejection pass) to
 * the usable frames of the leg between the previous kink and the plateau's end, with κ at the onset power; σ(Tk)
 * from its covariance, plus the onset power's own error carried through by refitting at κ ± σκ.
 */

/** The fields of a detector event the beamtime code uses (SlopeEvent from `analyze --json`). */
export interface PlateauEvent {
  kind: string;
  startPower: number;
  endPower: number | null;
  temperature: number;
  significance: number | null;
  slopeBefore: number | null;
  slopeAfter: number | null;
  startPowerError?: number | null;
  endPowerError?: number | null;
  startIndex?: number | null;
  endIndex?: number | null;
  detectedAtIndex: number | null;
  direction?: 1 | -1;
  retracted?: boolean;
}

/** The fields of a frame used here. */
export interface OnsetFrame {
  index: number;
  power: number | null;
  temperature: number | null;
  temperatureError: number | null;
  flags: string[];
}

/** Frames below this are too faint to trust (the detector's default floor). */
const MIN_TEMPERATURE = 1000;
const REJECT_SIGMA = 4;

export function mainPlateau<E extends PlateauEvent>(events: readonly E[]): E | null {
  const plateaus = events.filter((e) => e.kind === 'plateau' && !e.retracted && Number.isFinite(e.startPower));
  const heating = plateaus.filter((e) => e.direction !== -1);
  const candidates = heating.length ? heating : plateaus;
  let best: E | null = null;
  for (const event of candidates) {
    const significance = event.significance ?? 0;
    const bestSignificance = best?.significance ?? 0;
    if (
      !best ||
      significance > bestSignificance ||
      (significance === bestSignificance && event.startPower < best.startPower)
    ) {
      best = event;
    }
  }
  return best;
}

interface Point {
  power: number;
  temperature: number;
  weight: number;
}

/** The frames of the event's leg inside (lower, upper) power: heating up to the hottest power, cooling after. */
function legPoints(frames: readonly OnsetFrame[], event: PlateauEvent, lower: number, upper: number): Point[] {
  let peak = 0;
  frames.forEach((f, k) => {
    if (f.power !== null && f.power > (frames[peak].power ?? -Infinity)) {
      peak = k;
    }
  });
  const leg = event.direction === -1 ? frames.slice(peak) : frames.slice(0, peak + 1);
  const points: Point[] = [];
  for (const f of leg) {
    if (
      f.flags.length ||
      f.power === null ||
      f.temperature === null ||
      !Number.isFinite(f.power) ||
      !Number.isFinite(f.temperature) ||
      f.temperature < MIN_TEMPERATURE ||
      f.power <= lower ||
      f.power >= upper
    ) {
      continue;
    }
    const sigma = f.temperatureError !== null && f.temperatureError > 0 ? f.temperatureError : 1;
    points.push({ power: f.power, temperature: f.temperature, weight: 1 / (sigma * sigma) });
  }
  return points;
}

/** Inverse of a symmetric 3 × 3 matrix (row-major), or null when singular. */
function invert3(m: number[]): number[] | null {
  const [a, b, c, , e, f, , , i] = m;
  const d = m[3];
  const g = m[6];
  const h = m[7];
  const co = [
    e * i - f * h,
    -(d * i - f * g),
    d * h - e * g,
    -(b * i - c * h),
    a * i - c * g,
    -(a * h - b * g),
    b * f - c * e,
    -(a * f - c * d),
    a * e - b * d,
  ];
  const det = a * co[0] + b * co[1] + c * co[2];
  if (!Number.isFinite(det) || Math.abs(det) < 1e-300) {
    return null;
  }
  return [
    co[0] / det,
    co[3] / det,
    co[6] / det,
    co[1] / det,
    co[4] / det,
    co[7] / det,
    co[2] / det,
    co[5] / det,
    co[8] / det,
  ];
}

interface HingeFit {
  beta: number[];
  temperature: number;
  variance: number;
  residualSigma: number;
  used: Point[];
}

function basis(point: Point, kink: number): [number, number, number] {
  const dx = point.power - kink;
  return [1, Math.min(dx, 0), Math.max(dx, 0)];
}

/** Weighted least squares of the two-segment model at a fixed kink; null with too few points on a side. */
function fitHinge(points: Point[], kink: number): HingeFit | null {
  const below = points.filter((p) => p.power < kink).length;
  if (below < 3 || points.length - below < 3) {
    return null;
  }
  const normal = new Array<number>(9).fill(0);
  const rhs = [0, 0, 0];
  for (const point of points) {
    const g = basis(point, kink);
    for (let r = 0; r < 3; r++) {
      rhs[r] += point.weight * g[r] * point.temperature;
      for (let c = 0; c < 3; c++) {
        normal[r * 3 + c] += point.weight * g[r] * g[c];
      }
    }
  }
  const inverse = invert3(normal);
  if (!inverse) {
    return null;
  }
  const beta = [0, 1, 2].map(
    (r) => inverse[r * 3] * rhs[0] + inverse[r * 3 + 1] * rhs[1] + inverse[r * 3 + 2] * rhs[2],
  );
  let weightedSquares = 0;
  for (const point of points) {
    const g = basis(point, kink);
    const residual = point.temperature - (beta[0] + beta[1] * g[1] + beta[2] * g[2]);
    weightedSquares += point.weight * residual * residual;
  }
  const scale = weightedSquares / Math.max(points.length - 3, 1);
  return { beta, temperature: beta[0], variance: inverse[0] * scale, residualSigma: Math.sqrt(scale), used: points };
}

/** The fit, refitted once without points beyond REJECT_SIGMA (in units of their own scaled σ). */
function robustHinge(points: Point[], kink: number): HingeFit | null {
  const first = fitHinge(points, kink);
  if (!first) {
    return null;
  }
  const kept = points.filter((point) => {
    const g = basis(point, kink);
    const model = first.beta[0] + first.beta[1] * g[1] + first.beta[2] * g[2];
    return Math.abs(point.temperature - model) * Math.sqrt(point.weight) <= REJECT_SIGMA * first.residualSigma;
  });
  return kept.length === points.length ? first : (fitHinge(kept, kink) ?? first);
}

/**
 * 1σ error of the event's onset temperature, K (see the file comment), or null when the frames around the onset
 * are too few (fewer than 3 usable on either side).
 */
export function onsetTemperatureError(
  frames: readonly OnsetFrame[],
  event: PlateauEvent,
  events: readonly PlateauEvent[],
): number | null {
  const kink = event.startPower;
  const before = events.filter((e) => e !== event && e.direction === event.direction && e.startPower < kink);
  const lower = before.reduce(
    (m, e) => Math.max(m, e.endPower !== null && e.endPower < kink ? e.endPower : e.startPower),
    -Infinity,
  );
  const upper = event.endPower !== null && event.endPower > kink ? event.endPower : Infinity;
  const points = legPoints(frames, event, lower, upper);
  const fit = robustHinge(points, kink);
  if (!fit) {
    return null;
  }
  const powerError = event.startPowerError ?? 0;
  let shift = 0;
  if (powerError > 0 && Number.isFinite(powerError)) {
    const low = fitHinge(fit.used, kink - powerError);
    const high = fitHinge(fit.used, kink + powerError);
    if (low && high) {
      shift = Math.abs(high.temperature - low.temperature) / 2;
    }
  }
  return Math.sqrt(fit.variance + shift * shift);
}
