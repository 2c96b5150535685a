/**
 * The online slope-change detector: a pure, incremental state machine. Feed points in time order with push(),
 * read new or refined events from its return value; finish() runs the offline segmented fit over everything.
 *
 * Per usable point (bounded work: at most `window` recent points are looked at):
 *  1. leg bookkeeping: a power reversal larger than `reversalTolerance` starts a new leg (a cooling leg is its
 *     own segment, never a slope change);
 *  2. the kink test on the current segment (points since the leg start or the last confirmed kink, at most
 *     `window`): quadratic + hinge against quadratic at every candidate kink (robust: 4σ rejection around the
 *     best fit, σ from the scatter); the statistic is the largest |z| over candidates;
 *  3. confirmation: |z| ≥ threshold on `confirmations` consecutive points with the same sign → an event
 *     (downward: a slope-change, or a plateau when slopeAfter < plateauRatio·slopeBefore; upward after an open
 *     downward event: that event's end); the segment then restarts at the kink;
 *  4. refinement: the latest kinks are re-placed by a continuous line + hinge fit on the points between their
 *     neighbouring kinks, and updates are emitted when they move.
 */
import {
  DEFAULT_DETECTOR_OPTIONS,
  DetectorOptions,
  DetectorUpdate,
  DetectPoint,
  OfflineResult,
  ResolvedDetectorOptions,
  SkipCounts,
  SlopeEvent,
} from './types';
import { HingeData, HingeFit, HingeScanOptions, scanHinge } from './hinge';
import { offlineFit } from './offline';
import { invertMatrix } from './stats';
import { PowerReadings } from './power';
import { OpenBin } from './bin';
import { UsageError } from '../errors';

/** Minimum kink separation in units of the power noise σP (see kinkSeparation). */
export const SEPARATION_SIGMAS = 11;

const BAD_FLAGS = new Set(['corrupt', 'fit-failed', 'weak', 'saturated']);

/** A flag that makes a frame unusable (a function defined once, not a closure per point). */
function isBadFlag(flag: string): boolean {
  return BAD_FLAGS.has(flag);
}

/** A usable point as stored by the detector. */
export interface StoredPoint {
  index: number;
  power: number;
  temperature: number;
  /** Relative weight (1/σ², normalised later), 1 when no error was given. */
  weight: number;
  /** Frames merged into this point (see binWidth). */
  frames: number;
  /** Leg number. */
  leg: number;
}

export interface Leg {
  id: number;
  direction: 0 | 1 | -1;
  /** Ordinal (into the usable points) of the first point. */
  first: number;
  /** Ordinal one past the last point (grows). */
  end: number;
  /** Running extreme of power in the leg's direction. */
  extreme: number;
  extremeOrdinal: number;
}

/** A kink placed on a leg: the start or the end of an event. */
interface Kink {
  eventId: number;
  role: 'start' | 'end';
  leg: number;
  /** Position in x = direction × power. */
  x: number;
  /** Ordinal of the first usable point beyond the kink (in time). */
  ordinalAfter: number;
  /** Frozen once enough points follow it. */
  frozen: boolean;
  /** The ordinals [first, last) and bounds (lo, hi) of its last re-placement, when those points were all closed
   * (none of them the open bin): the same again would place it at the same x. */
  placedOn: { first: number; last: number; lo: number; hi: number } | null;
}

/** A confirmed kink: the detection fit, its line + hinge placement, the first point beyond it (ordinal, in time)
 * and the index of the point that confirmed it. */
interface Confirmation {
  leg: Leg;
  direction: 1 | -1;
  fit: HingeFit;
  placement: HingeFit;
  ordinalAfter: number;
  atIndex: number;
}

export function resolveOptions(opts: DetectorOptions = {}): ResolvedDetectorOptions {
  const o = { ...DEFAULT_DETECTOR_OPTIONS } as ResolvedDetectorOptions;
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) {
      continue;
    }
    if (!(k in o)) {
      throw new UsageError(`unknown detector option: ${k}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new UsageError(`detector option ${k} must be a finite number`);
    }
    (o as unknown as Record<string, number>)[k] = v;
  }
  if (o.threshold <= 0) {
    throw new UsageError('threshold must be > 0');
  }
  if (!Number.isInteger(o.confirmations) || o.confirmations < 1) {
    throw new UsageError('confirmations must be an integer ≥ 1');
  }
  if (!Number.isInteger(o.window) || o.window < 12) {
    throw new UsageError('window must be an integer ≥ 12');
  }
  if (!Number.isInteger(o.minBefore) || o.minBefore < 4) {
    throw new UsageError('minBefore must be an integer ≥ 4');
  }
  if (!Number.isInteger(o.minAfter) || o.minAfter < 2) {
    throw new UsageError('minAfter must be an integer ≥ 2');
  }
  if (!Number.isInteger(o.minAfterLevels) || o.minAfterLevels < 1) {
    throw new UsageError('minAfterLevels must be an integer ≥ 1');
  }
  if (o.minBefore + o.minAfter > o.window) {
    throw new UsageError('window must be ≥ minBefore + minAfter');
  }
  if (o.powerResolution < 0 || o.reversalTolerance <= 0) {
    throw new UsageError('powerResolution ≥ 0 and reversalTolerance > 0 required');
  }
  if (!(o.plateauRatio > 0 && o.plateauRatio < 1)) {
    throw new UsageError('plateauRatio must be in (0, 1)');
  }
  if (!(o.rejectSigma >= 2)) {
    throw new UsageError('rejectSigma must be ≥ 2');
  }
  if (!(o.binWidth >= 0)) {
    throw new UsageError('binWidth must be ≥ 0');
  }
  if (!(o.minRelativeChange >= 0 && o.minRelativeChange < 1)) {
    throw new UsageError('minRelativeChange must be in [0, 1)');
  }
  return o;
}

export class SlopeChangeDetector {
  readonly options: ResolvedDetectorOptions;
  private pts: StoredPoint[] = [];
  private legs: Leg[] = [];
  private streak = 0;
  private streakSign = 0;
  private evts: SlopeEvent[] = [];
  private kinks: Kink[] = [];
  private nextId = 1;
  private skip: SkipCounts = { total: 0, flagged: 0, nonFinite: 0, belowMinTemperature: 0 };
  private lastIndex = -Infinity;
  /** The open bin: frames of one power step (while the smoothed power stays within binWidth of its value when the
   * bin opened: `start`). */
  private bin = new OpenBin();
  /** The open bin has frames not yet in its stored point (see push). */
  private binStale = false;
  private frames = 0;
  private maxStat = 0;
  private readings: PowerReadings;
  /** The kink test's scan options (built once; fixed, lo and hi set per test). */
  private testScan: HingeScanOptions;
  /** The kink re-placement's scan options (continuous line + hinge; lo and hi set per kink). */
  private refitScan: HingeScanOptions;

  /** @param exactStatistic calibration aid: compute the leave-out statistic in full whenever |z| ≥ 3 (slower),
   * so that maxStatistic is exact below the threshold too. */
  constructor(
    opts: DetectorOptions = {},
    private readonly exact = false,
  ) {
    this.options = resolveOptions(opts);
    this.readings = new PowerReadings(this.options.binWidth);
    this.testScan = testScanOptions(this.options, exact);
    this.refitScan = {
      quadratic: false,
      minBefore: 3,
      minAfter: 2,
      minAfterLevels: 1,
      resolution: this.options.powerResolution,
      rejectSigma: this.options.rejectSigma,
      iterations: 3,
      continuous: true,
      lo: -Infinity,
      hi: Infinity,
    };
  }

  /** Events so far (snapshots). */
  get events(): SlopeEvent[] {
    return this.evts.map((e) => ({ ...e }));
  }
  /** Skipped points so far. */
  get skipped(): SkipCounts {
    return { ...this.skip };
  }
  /** Usable frames so far (skipped ones excluded). */
  get points(): number {
    return this.frames;
  }
  /** Analysis points so far (= usable frames unless dense frames were binned, see binWidth). */
  get bins(): number {
    return this.pts.length;
  }
  /** Largest confirmed statistic (min over the confirmation run) seen so far, σ: a calibration aid. */
  get maxStatistic(): number {
    return this.maxStat;
  }

  /** Robust power noise σP (W) from the last 256 changes between distinct consecutive power readings:
   * 1.4826 × MAD / √2 (the MAD is taken about the median change, so a steady ramp does not count). Power steps
   * with few frames per step inflate it (conservative: it only widens the minimum kink separation). */
  get powerNoise(): number {
    return this.readings.currentNoise;
  }

  /** Dense (binned) data only: the smallest power span over which a slope is measured — between two kinks of a
   * leg, and beyond a candidate kink to the newest point — SEPARATION_SIGMAS (11) × σP. Over a span Δ the x
   * variance is Δ²/12, so power noise σP dilutes a fitted slope by σP²/(Δ²/12 + σP²): ≥ 40 % at Δ = 4σP, ≤ 9 %
   * at 11σP (well below minRelativeChange). Bins of 100 Hz frames span a few σP each, so without this a
   * "slope" measured over a few bins next to a kink is noise. Otherwise powerResolution. σP is re-estimated every
   * 32 new readings. */
  get kinkSeparation(): number {
    if (!this.readings.dense) {
      return this.options.powerResolution;
    }
    return Math.max(this.options.powerResolution, SEPARATION_SIGMAS * this.readings.noise);
  }

  /**
   * Feed one point; returns new or refined events (empty most of the time).
   *
   * The whole per-frame path is this one function — is the point usable (not flagged bad, finite values, a positive
   * error, not below minTemperature; else it is skipped and counted), its power reading, and the open bin that takes
   * it while the smoothed power stays within binWidth of its value when the bin opened — not a call per step.
   * Why (issue 12, the cold cost of `analyze --power`): every frame runs it, so each small helper it called
   * (usableWeight, skipReason, belongsToOpenBin, mergeIntoOpenBin) was optimised on its own and then again inlined
   * here; now only the rare steps (a point skipped, a bin opened or re-analysed) are calls. (Whether a caller's
   * loop inlines this function again depends on V8's inlining budgets and the order of compiles: with the helpers
   * of the power readings inlined it is not, `node --trace-turbo-inlining`.)
   */
  push(point: DetectPoint): DetectorUpdate[] {
    const index = point.index;
    if (Number.isFinite(index)) {
      this.lastIndex = index;
    }
    const flags = point.flags;
    if (flags && flags.length > 0 && flags.some(isBadFlag)) {
      return this.skipPoint('flagged');
    }
    const power = point.power;
    const temperature = point.temperature;
    const error = point.temperatureError;
    const hasError = error !== undefined && error !== null;
    if (
      !Number.isFinite(power) ||
      !Number.isFinite(temperature) ||
      !Number.isFinite(index) ||
      (hasError && !(Number.isFinite(error) && error > 0))
    ) {
      return this.skipPoint('nonFinite');
    }
    if (temperature < this.options.minTemperature) {
      return this.skipPoint('belowMinTemperature');
    }
    // relative weight 1/σ², 1 without an error
    const weight = hasError ? 1 / (error * error) : 1;
    this.frames++;
    const readings = this.readings;
    readings.push(power);
    // dense data only: with exact readings the smoothed power is the frame's own, so a bin is then a power step of
    // frames within binWidth of its first; smoothing over a few readings keeps read-back jitter from splitting one
    const bin = this.bin;
    const binWidth = this.options.binWidth;
    if (bin.frames > 0 && readings.dense && binWidth > 0 && Math.abs(readings.smoothed - bin.start) < binWidth) {
      bin.add(power, temperature, weight);
      this.binStale = true;
      // Bounded work per frame: the bin is re-summarised and the analysis re-run when its frame count reaches 64,
      // 256, 1024, … (each time the error of its median has halved twice), not at every frame; a bin still open
      // when the next one starts (or at finish) is summarised then. So a power step of k frames costs O(log k)
      // analyses instead of k.
      return reanalyseAt(bin.frames) ? this.reanalyseOpenBin(index) : [];
    }
    return this.openBin(index, power, temperature, weight);
  }

  /** Counts a point that is not usable: a bad flag, a non-finite value (or a non-positive error), too cold. */
  private skipPoint(reason: Exclude<keyof SkipCounts, 'total'>): DetectorUpdate[] {
    this.skip.total++;
    this.skip[reason]++;
    return [];
  }

  /** Re-runs the analysis on the open bin, brought up to date with all its frames (no kink re-placement). */
  private reanalyseOpenBin(index: number): DetectorUpdate[] {
    this.summariseBin();
    return this.analyse(this.legs[this.legs.length - 1], index, false);
  }

  /** A frame that starts a new bin: the open one is completed, the frame stored as the next analysis point (on its
   * leg) and the analysis run. */
  private openBin(index: number, power: number, temperature: number, weight: number): DetectorUpdate[] {
    this.summariseBin();
    this.bin.open(this.readings.smoothed, power, temperature, weight);
    const ordinal = this.pts.length;
    const leg = this.legFor(power, ordinal);
    this.pts.push({ index, power, temperature, weight, frames: 1, leg: leg.id });
    leg.end = ordinal + 1;
    raiseExtreme(leg, power, ordinal);
    return this.analyse(leg, index, true);
  }

  /** The kink test on the leg (once its direction is known), then (with `refineKinks`: when a point is stored, not
   * when an open bin is re-analysed) the refinement of the open kinks. */
  private analyse(leg: Leg, index: number, refineKinks: boolean): DetectorUpdate[] {
    const updates: DetectorUpdate[] = [];
    if (leg.direction !== 0) {
      this.test(leg, index, updates);
    }
    if (refineKinks) {
      this.refine(index, updates);
    }
    return updates;
  }

  /** The leg a new point at `power` (to be stored at `ordinal`) belongs to: the first leg is opened, its direction
   * set once the power has moved by more than reversalTolerance, and a reversal beyond it starts a new leg. */
  private legFor(power: number, ordinal: number): Leg {
    let leg = this.legs[this.legs.length - 1];
    if (!leg) {
      leg = { id: 0, direction: 0, first: 0, end: 0, extreme: power, extremeOrdinal: 0 };
      this.legs.push(leg);
    }
    const tolerance = this.options.reversalTolerance;
    if (leg.direction === 0) {
      this.setDirectionOnceMoved(leg, power, ordinal);
      return leg;
    }
    if (leg.direction * power < leg.extreme - tolerance) {
      return this.startReversedLeg(leg, ordinal);
    }
    return leg;
  }

  /** Gives a leg without a direction the direction of `power` from its first point once beyond reversalTolerance. */
  private setDirectionOnceMoved(leg: Leg, power: number, ordinal: number): void {
    const firstPower = this.pts.length > leg.first ? this.pts[leg.first].power : power;
    if (Math.abs(power - firstPower) <= this.options.reversalTolerance) {
      return;
    }
    leg.direction = power > firstPower ? 1 : -1;
    // extreme so far in that direction
    leg.extreme = -Infinity;
    this.scanExtreme(leg, leg.first, ordinal);
  }

  /** A reversal: a new leg from the turning point of `leg` (which belongs to both legs; later points move to the
   * new leg); the old leg's kinks freeze and the confirmation streak starts again. */
  private startReversedLeg(leg: Leg, ordinal: number): Leg {
    const turn = leg.extremeOrdinal;
    leg.end = turn + 1;
    const reversed: Leg = {
      id: leg.id + 1,
      direction: leg.direction === 1 ? -1 : 1,
      first: turn,
      end: turn + 1,
      extreme: -Infinity,
      extremeOrdinal: turn,
    };
    this.scanExtreme(reversed, turn, ordinal);
    for (let i = turn + 1; i < ordinal; i++) {
      this.pts[i].leg = reversed.id;
    }
    this.freezeKinksOf(leg);
    this.legs.push(reversed);
    this.streak = 0;
    this.streakSign = 0;
    return reversed;
  }

  /** Raises the leg's extreme over the stored points of ordinals [from, to). */
  private scanExtreme(leg: Leg, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      raiseExtreme(leg, this.pts[i].power, i);
    }
  }

  /** Stops refining the kinks placed on the leg. */
  private freezeKinksOf(leg: Leg): void {
    for (const kink of this.kinks) {
      if (kink.leg === leg.id) {
        kink.frozen = true;
      }
    }
  }

  /** Sorted (by x) data of ordinals [a, b) on a leg. Also returns the ordinal of each sorted point. The arrays are
   * the detector's scratch: valid until the next call (every caller uses them before it asks for new data). */
  private data(leg: Leg, a: number, b: number): { d: HingeData; ord: Int32Array } {
    const n = Math.max(b - a, 0);
    const scratch = this.dataScratch(n);
    const ord = scratch.ord;
    const dir = leg.direction || 1;
    const pts = this.pts;
    // insertion sort by (x, ordinal): the points of a leg arrive nearly sorted, so this is ~O(n)
    const key = scratch.x;
    for (let i = 0; i < n; i++) {
      const o = a + i;
      const k = dir * pts[o].power;
      let j = i - 1;
      while (j >= 0 && key[j] > k) {
        key[j + 1] = key[j];
        ord[j + 1] = ord[j];
        j--;
      }
      key[j + 1] = k;
      ord[j + 1] = o;
    }
    const { x, y, w0, cnt } = scratch;
    let wsum = 0;
    for (let i = 0; i < n; i++) {
      const q = pts[ord[i]];
      x[i] = dir * q.power;
      y[i] = q.temperature;
      w0[i] = q.weight;
      cnt[i] = q.frames;
      wsum += q.weight;
    }
    const norm = n / (wsum || 1);
    for (let i = 0; i < n; i++) {
      w0[i] *= norm;
    }
    return { d: { x, y, w0, n, cnt }, ord };
  }

  private scratch = {
    ord: new Int32Array(0),
    x: new Float64Array(0),
    y: new Float64Array(0),
    w0: new Float64Array(0),
    cnt: new Float64Array(0),
  };
  private dataScratch(n: number): SlopeChangeDetector['scratch'] {
    if (this.scratch.ord.length < n) {
      const capacity = Math.max(n, 2 * this.options.window + 1);
      this.scratch = {
        ord: new Int32Array(capacity),
        x: new Float64Array(capacity),
        y: new Float64Array(capacity),
        w0: new Float64Array(capacity),
        cnt: new Float64Array(capacity),
      };
    }
    return this.scratch;
  }

  private test(leg: Leg, idx: number, updates: DetectorUpdate[]): void {
    const o = this.options;
    const end = this.pts.length;
    const a = Math.max(leg.first, end - o.window);
    const { d, ord } = this.data(leg, a, end);
    const fixed = this.kinks.filter((k) => k.leg === leg.id).map((k) => k.x);
    const sep = this.kinkSeparation;
    const scan = this.testScan;
    scan.fixed = fixed;
    scan.lo = fixed.length ? Math.max(...fixed) + sep : undefined;
    scan.hi = d.n ? d.x[d.n - 1] - sep : undefined;
    const fit = scanHinge(d, scan);
    if (!fit) {
      this.streak = 0;
      this.streakSign = 0;
      return;
    }
    const z = fit.z;
    const sign = Math.sign(z);
    // consecutive points above threshold with the same sign (streak and streakSign are reset together)
    if (Math.abs(z) >= o.threshold) {
      this.streak = sign === this.streakSign ? this.streak + 1 : 1;
      this.streakSign = sign;
    } else {
      this.streak = 0;
      this.streakSign = 0;
    }
    this.trackStat(Math.abs(z));
    if (this.streak < o.confirmations) {
      return;
    }
    this.streak = 0;
    this.streakSign = 0;
    this.confirm(leg, fit, d, ord, idx, updates);
  }

  private recentZ: number[] = [];
  private trackStat(z: number): void {
    const c = this.options.confirmations;
    this.recentZ.push(z);
    if (this.recentZ.length > c) {
      this.recentZ.shift();
    }
    if (this.recentZ.length === c) {
      this.maxStat = Math.max(this.maxStat, Math.min(...this.recentZ));
    }
  }

  private confirm(
    leg: Leg,
    fit: HingeFit,
    d: HingeData,
    ord: Int32Array,
    idx: number,
    updates: DetectorUpdate[],
  ): void {
    const minRelativeChange = this.options.minRelativeChange;
    const direction = leg.direction === -1 ? -1 : 1;
    const placement = this.placeKink(leg, fit, d);
    // effect size: a statistically significant but small change of slope (e.g. 2 K scatter at 100 frames/s makes
    // a few % "significant") is not an event; the candidate stays unconfirmed and is re-tested at the next point
    // Both the detection fit (quadratic + hinge, pinned by the whole window) and the line + hinge placement must
    // show it: the latter alone can measure a "slope before" over a few points next to a confirmed kink.
    if (
      !substantial(fit.slopeBefore, fit.slopeAfter, minRelativeChange) ||
      !substantial(placement.slopeBefore, placement.slopeAfter, minRelativeChange)
    ) {
      return;
    }
    let after = firstOrdinalBeyond(d, ord, placement.kappa);
    if (!Number.isFinite(after)) {
      after = ord[d.n - 1];
    }
    const confirmed: Confirmation = { leg, direction, fit, placement, ordinalAfter: after, atIndex: idx };
    // change of dT/dP across the kink in time order
    // (from the line + hinge placement: the quadratic of the detection fit can absorb part of the bend and even
    // flip the sign of its hinge term on dense data)
    const downward = direction * (placement.slopeAfter - placement.slopeBefore) < 0;
    const open = this.openDownwardEvent(leg, direction);
    if (!downward && open) {
      updates.push(this.endEvent(open, confirmed));
      return;
    }
    // one transition, one event: while the leg's latest kink (a start or an end) is still being placed, a
    // confirmation is that kink seen again (e.g. the few noisy points just past a plateau's end), not a new one
    if (this.settling(leg)) {
      return;
    }
    updates.push(this.startEvent(confirmed, downward));
  }

  /** Places a confirmed kink with the continuous line + hinge on the detection data, beyond the leg's kinks (the
   * detection fit itself if that finds none). */
  private placeKink(leg: Leg, fit: HingeFit, d: HingeData): HingeFit {
    const options = this.options;
    const fixed = this.kinks.filter((kink) => kink.leg === leg.id).map((kink) => kink.x);
    const lo = fixed.length ? Math.max(...fixed) + this.kinkSeparation : undefined;
    const placement = scanHinge(d, {
      fixed,
      lo,
      quadratic: false,
      minBefore: Math.min(4, options.minBefore),
      minAfter: 2,
      minAfterLevels: 1,
      resolution: options.powerResolution,
      rejectSigma: options.rejectSigma,
      iterations: 3,
      continuous: true,
      floor: options.minTemperature,
    });
    return placement ?? fit;
  }

  /** The latest event of the leg's direction, still open (no end) and downward, with a kink on this leg. */
  private openDownwardEvent(leg: Leg, direction: 1 | -1): SlopeEvent | undefined {
    return [...this.evts]
      .reverse()
      .find(
        (event) =>
          event.direction === direction &&
          event.endPower === null &&
          event.slopeAfter < event.slopeBefore &&
          this.kinks.some((kink) => kink.eventId === event.id && kink.leg === leg.id),
      );
  }

  /** An upward confirmation after an open downward event: that event's end (its start kink keeps refining until
   * enough points follow the end). */
  private endEvent(open: SlopeEvent, confirmed: Confirmation): DetectorUpdate {
    const { direction, fit, placement } = confirmed;
    open.endPower = direction * placement.kappa;
    open.endIndex = this.pts[confirmed.ordinalAfter].index;
    open.endDetectedAtIndex = confirmed.atIndex;
    open.endSignificance = Math.abs(fit.z);
    open.slopeEnd = direction * placement.slopeAfter;
    open.slopeEndError = placement.slopeAfterError;
    open.endPowerError = null;
    this.kinks.push({
      eventId: open.id,
      role: 'end',
      leg: confirmed.leg.id,
      x: placement.kappa,
      ordinalAfter: confirmed.ordinalAfter,
      frozen: false,
      placedOn: null,
    });
    return { type: 'end', atIndex: confirmed.atIndex, event: { ...open } };
  }

  /** A new event (a plateau when downward and slopeAfter < plateauRatio·slopeBefore); earlier kinks of its leg
   * stop refining. */
  private startEvent(confirmed: Confirmation, downward: boolean): DetectorUpdate {
    const { leg, direction, fit, placement } = confirmed;
    const slopeBefore = direction * placement.slopeBefore;
    const slopeAfter = direction * placement.slopeAfter;
    const event: SlopeEvent = {
      id: this.nextId++,
      kind: downward && slopeAfter < this.options.plateauRatio * slopeBefore ? 'plateau' : 'slope-change',
      startPower: direction * placement.kappa,
      endPower: null,
      startIndex: this.pts[confirmed.ordinalAfter].index,
      endIndex: null,
      detectedAtIndex: confirmed.atIndex,
      endDetectedAtIndex: null,
      slopeBefore,
      slopeAfter,
      slopeEnd: null,
      temperature: placement.yAtKink,
      significance: Math.abs(fit.z),
      endSignificance: null,
      startPowerError: null,
      endPowerError: null,
      slopeBeforeError: placement.slopeBeforeError,
      slopeAfterError: placement.slopeAfterError,
      slopeEndError: null,
      direction,
      refined: false,
    };
    this.freezeKinksOf(leg);
    this.evts.push(event);
    this.kinks.push({
      eventId: event.id,
      role: 'start',
      leg: leg.id,
      x: placement.kappa,
      ordinalAfter: confirmed.ordinalAfter,
      frozen: false,
      placedOn: null,
    });
    return { type: 'new', atIndex: confirmed.atIndex, event: { ...event } };
  }

  /** Whether a kink of the leg is still refining with fewer than `window` points after it. */
  private settling(leg: Leg): boolean {
    const end = this.pts.length;
    for (const k of this.kinks) {
      if (k.leg === leg.id && !k.frozen && end - k.ordinalAfter < this.options.window) {
        return true;
      }
    }
    return false;
  }

  /** Re-place the latest kinks with the points that arrived since. */
  private refine(idx: number, updates: DetectorUpdate[]): void {
    for (let ki = 0; ki < this.kinks.length; ki++) {
      const update = this.refineKink(this.kinks[ki], idx);
      if (update) {
        updates.push(update);
      }
    }
  }

  /** Re-places one kink between its neighbours on the leg; an update when it moved or its event changed. A kink
   * freezes once its next neighbour is frozen, or (the latest) once `window` points follow it. */
  private refineKink(kink: Kink, idx: number): DetectorUpdate | null {
    if (kink.frozen) {
      return null;
    }
    const window = this.options.window;
    const end = this.pts.length;
    const { prev, next } = this.neighboursOf(kink);
    if (next ? next.frozen : end - kink.ordinalAfter >= window) {
      kink.frozen = true;
      return null;
    }
    const leg = this.legs[kink.leg];
    const first = Math.max(prev ? prev.ordinalAfter : leg.first, kink.ordinalAfter - window);
    const last = Math.min(next ? next.ordinalAfter : end, kink.ordinalAfter + window, end);
    if (last - first < 8) {
      return null;
    }
    const separation = this.kinkSeparation;
    const lo = prev ? prev.x + separation : -Infinity;
    const hi = next ? next.x - separation : Infinity;
    if (!(hi > lo)) {
      return null;
    }
    // the same closed points and bounds as the last re-placement: it would give the same kink (nothing to do)
    const placed = kink.placedOn;
    if (placed && placed.first === first && placed.last === last && placed.lo === lo && placed.hi === hi) {
      return null;
    }
    kink.placedOn = last < end ? { first, last, lo, hi } : null;
    const { d, ord } = this.data(leg, first, last);
    const fit = this.refitKink(d, lo, hi);
    if (!fit) {
      return null;
    }
    const event = this.evts.find((candidate) => candidate.id === kink.eventId)!;
    const after = firstOrdinalBeyond(d, ord, fit.kappa);
    if (!Number.isFinite(after)) {
      return null;
    }
    const moved = Math.abs(fit.kappa - kink.x);
    kink.x = fit.kappa;
    kink.ordinalAfter = after;
    const before = { ...event };
    const direction = leg.direction === -1 ? -1 : 1;
    if (kink.role === 'start') {
      this.applyStart(event, fit, d, direction, after);
    } else {
      this.applyEnd(event, fit, d, direction, after);
    }
    const changed =
      before.kind !== event.kind || before.startIndex !== event.startIndex || before.endIndex !== event.endIndex;
    return moved > 0.01 || changed ? { type: 'update', atIndex: idx, event: { ...event } } : null;
  }

  /** The nearest kinks below and above `kink` on its leg. */
  private neighboursOf(kink: Kink): { prev: Kink | undefined; next: Kink | undefined } {
    let prev: Kink | undefined;
    let next: Kink | undefined;
    for (const other of this.kinks) {
      if (other === kink || other.leg !== kink.leg) {
        continue;
      }
      if (other.x < kink.x && (!prev || other.x > prev.x)) {
        prev = other;
      }
      if (other.x > kink.x && (!next || other.x < next.x)) {
        next = other;
      }
    }
    return { prev, next };
  }

  /** The continuous line + hinge with its kink in (lo, hi). */
  private refitKink(d: HingeData, lo: number, hi: number): HingeFit | null {
    const scan = this.refitScan;
    scan.lo = lo;
    scan.hi = hi;
    return scanHinge(d, scan);
  }

  /** A re-placed start kink: the event's start, slope before (and after while it is open), temperature, kind. */
  private applyStart(event: SlopeEvent, fit: HingeFit, d: HingeData, direction: 1 | -1, after: number): void {
    event.startPower = direction * fit.kappa;
    event.startIndex = this.pts[after].index;
    event.slopeBefore = direction * fit.slopeBefore;
    event.slopeBeforeError = fit.slopeBeforeError;
    if (event.endPower === null) {
      event.slopeAfter = direction * fit.slopeAfter;
      event.slopeAfterError = fit.slopeAfterError;
    }
    event.temperature = fit.yAtKink;
    event.startPowerError = kinkError(fit, d);
    if (event.endPower === null && event.slopeAfter < event.slopeBefore) {
      event.kind = event.slopeAfter < this.options.plateauRatio * event.slopeBefore ? 'plateau' : 'slope-change';
    }
  }

  /** A re-placed end kink: the event's end, the slope inside it and after its end, kind. */
  private applyEnd(event: SlopeEvent, fit: HingeFit, d: HingeData, direction: 1 | -1, after: number): void {
    event.endPower = direction * fit.kappa;
    event.endIndex = this.pts[after].index;
    event.slopeAfter = direction * fit.slopeBefore;
    event.slopeAfterError = fit.slopeBeforeError;
    event.slopeEnd = direction * fit.slopeAfter;
    event.slopeEndError = fit.slopeAfterError;
    event.endPowerError = kinkError(fit, d);
    event.kind = event.slopeAfter < this.options.plateauRatio * event.slopeBefore ? 'plateau' : 'slope-change';
  }

  /** Offline refinement over the whole curve (does not change the online state). */
  finish(): OfflineResult {
    this.summariseBin();
    const fit = offlineFit(
      this.pts,
      this.legs,
      this.evts,
      this.kinks.map((k) => ({ eventId: k.eventId, role: k.role, leg: k.leg, x: k.x })),
      this.options,
      this.kinkSeparation,
    );
    return { events: fit.events, fit: fit.fit, points: this.frames, skipped: { ...this.skip } };
  }

  /** Usable points stored so far (for plots), with the leg they belong to. */
  usedPoints(): ReadonlyArray<Readonly<StoredPoint>> {
    this.summariseBin();
    return this.pts;
  }

  /** Brings the open bin's stored point up to date with all its frames. */
  private summariseBin(): void {
    if (!this.binStale || this.bin.frames === 0) {
      this.binStale = false;
      return;
    }
    this.binStale = false;
    const q = this.pts[this.pts.length - 1];
    Object.assign(q, this.bin.summary());
    const leg = this.legs[this.legs.length - 1];
    if (leg.direction !== 0 && leg.direction * q.power >= leg.extreme) {
      leg.extreme = leg.direction * q.power;
      leg.extremeOrdinal = this.pts.length - 1;
    }
  }
  /** The legs (heating/cooling runs) so far. */
  legList(): ReadonlyArray<Readonly<Leg>> {
    return this.legs;
  }
  /** Index of the last point pushed. */
  get lastPointIndex(): number {
    return this.lastIndex;
  }
}

/** Whether a bin of `frames` frames is re-analysed: at 64, 256, 1024, … frames (each time the error of its median
 * has halved twice). A bin of a ramp (tens of frames) is analysed when it opens and, complete, when the next one
 * opens; only long power steps are re-analysed while they last. */
function reanalyseAt(frames: number): boolean {
  return frames >= 64 && (frames & (frames - 1)) === 0 && (frames & 0x55555555) !== 0;
}

/** Makes the point at `power` (ordinal `ordinal`) the leg's extreme if it is at or beyond it in the leg's direction
 * (no-op while the leg has no direction). */
function raiseExtreme(leg: Leg, power: number, ordinal: number): void {
  if (leg.direction === 0) {
    return;
  }
  const x = leg.direction * power;
  if (x >= leg.extreme) {
    leg.extreme = x;
    leg.extremeOrdinal = ordinal;
  }
}

/** The options of the kink test's scan (quadratic + hinge, robust, leave-out check); `exact`: the calibration aid. */
function testScanOptions(options: ResolvedDetectorOptions, exact: boolean): HingeScanOptions {
  return {
    fixed: [],
    lo: undefined,
    hi: undefined,
    quadratic: true,
    minBefore: options.minBefore,
    minAfter: options.minAfter,
    minAfterLevels: options.minAfterLevels,
    resolution: options.powerResolution,
    rejectSigma: options.rejectSigma,
    iterations: 3,
    jackknife: 2,
    floor: options.minTemperature,
    jackknifeFrom: exact ? 3 : options.threshold,
    jackknifeStop: exact ? undefined : options.threshold,
  };
}

/** Effect-size criterion: |s2 − s1| ≥ minRel × max(|s1|, |s2|) (symmetric, so the same for a drop into a
 * plateau and a recovery out of it). */
export function substantial(s1: number, s2: number, minRel: number): boolean {
  if (!(minRel > 0)) {
    return true;
  }
  return Math.abs(s2 - s1) >= minRel * Math.max(Math.abs(s1), Math.abs(s2));
}

/** 1σ of the kink position of a line + hinge fit: delta method, σκ ≈ σ_y-intercept-shift / |Δslope| using the
 * full Gauss–Newton covariance of (a, b, c, κ). */
export function kinkError(fit: HingeFit, d: HingeData): number | null {
  const c = fit.slopeChange;
  if (!(Math.abs(c) > 0)) {
    return null;
  }
  // J columns: 1, x, h, −c·1[x>κ] ; weights fit.w
  const p = 4;
  const A = new Float64Array(p * p);
  const g = new Float64Array(p);
  let nPos = 0;
  let rss = 0;
  for (let i = 0; i < d.n; i++) {
    const w = fit.w[i];
    if (!(w > 0)) {
      continue;
    }
    nPos++;
    const x = d.x[i];
    const h = x > fit.kappa ? x - fit.kappa : 0;
    g[0] = 1;
    g[1] = x - fit.kappa;
    g[2] = h;
    g[3] = x > fit.kappa ? -c : 0;
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) {
        A[a * p + b] += w * g[a] * g[b];
      }
    }
    const r = d.y[i] - predictLineHinge(fit, x);
    rss += w * r * r;
  }
  if (nPos <= p) {
    return null;
  }
  const inv = invertMatrix(A, p);
  if (!inv) {
    return null;
  }
  const s2 = rss / (nPos - p);
  const v = inv[p * p - 1] * s2;
  return v > 0 ? Math.sqrt(v) : null;
}

function predictLineHinge(fit: HingeFit, x: number): number {
  const h = x > fit.kappa ? x - fit.kappa : 0;
  return fit.yAtKink + fit.slopeBefore * (x - fit.kappa) + fit.slopeChange * h;
}

/** Convenience factory. */
export function createDetector(opts?: DetectorOptions): SlopeChangeDetector {
  return new SlopeChangeDetector(opts);
}

/** The earliest (in time order) of the points whose x lies beyond the kink at `kappa`; Infinity if none. */
function firstOrdinalBeyond(d: { n: number; x: ArrayLike<number> }, ord: ArrayLike<number>, kappa: number): number {
  let after = Infinity;
  for (let i = 0; i < d.n; i++) {
    if (d.x[i] > kappa) {
      after = Math.min(after, ord[i]);
    }
  }
  return after;
}
