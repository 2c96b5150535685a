/**
 * The analyzer's reusable buffers: three sets, two alternating for batches (one is prepared while the other is
 * fitted) and one for analyzeFrame. Each set grows to the largest batch seen and is then reused. The per-pixel
 * arrays (y, v, m, sig: ~6 MB each per ROI for 1,024 frames of 700 px) are allocated at their first use: a batch
 * prepared and fitted on the engine's workers (analyzeCountsBatch, whose prepared frames stay there) never touches
 * them, and external memory that large would push V8 into a full mark-compact.
 */
import { UsageError } from '../errors';
import type { RoiPlan } from './plans';

/** One buffer set: per ROI, cap frames × used pixels; per frame and ROI, the flag bytes (slot f·nRois + roi). */
export interface Buffers {
  readonly cap: number;
  /** radiance */
  readonly y: Float64Array[];
  /** variance of the radiance */
  readonly v: Float64Array[];
  /** mask (1 = pixel not fitted) */
  readonly m: Uint8Array[];
  /** dark-subtracted row sums (while the gain is estimated) */
  readonly sig: Float64Array[];
  readonly sat: Uint8Array;
  readonly cosmic: Uint8Array;
  readonly corrupt: Uint8Array;
  readonly weak: Uint8Array;
}

/** A buffer set whose per-pixel arrays are allocated when first read. */
class LazyBuffers implements Buffers {
  readonly sat: Uint8Array;
  readonly cosmic: Uint8Array;
  readonly corrupt: Uint8Array;
  readonly weak: Uint8Array;
  private radiance: Float64Array[] | null = null;
  private variance: Float64Array[] | null = null;
  private masks: Uint8Array[] | null = null;
  private rowSums: Float64Array[] | null = null;

  /** cap frames of pixels[r] used pixels for ROI r */
  constructor(
    readonly cap: number,
    private readonly pixels: readonly number[],
  ) {
    const slots = cap * pixels.length;
    this.sat = new Uint8Array(slots);
    this.cosmic = new Uint8Array(slots);
    this.corrupt = new Uint8Array(slots);
    this.weak = new Uint8Array(slots);
  }

  get y(): Float64Array[] {
    this.radiance ??= this.perRoi((length) => new Float64Array(length));
    return this.radiance;
  }

  get v(): Float64Array[] {
    this.variance ??= this.perRoi((length) => new Float64Array(length));
    return this.variance;
  }

  get m(): Uint8Array[] {
    this.masks ??= this.perRoi((length) => new Uint8Array(length));
    return this.masks;
  }

  get sig(): Float64Array[] {
    this.rowSums ??= this.perRoi((length) => new Float64Array(length));
    return this.rowSums;
  }

  private perRoi<T>(make: (length: number) => T): T[] {
    return this.pixels.map((nU) => make(this.cap * nU));
  }
}

/** The slot of analyzeFrame's buffers (batches use 0 and 1). */
export const FRAME_SLOT = 2;

export class BufferPool {
  private readonly sets: (Buffers | null)[] = [null, null, null];
  private readonly busy = [false, false];

  constructor(private readonly plans: readonly RoiPlan[]) {}

  /** The buffers of a slot, grown to hold n frames. */
  get(n: number, slot: number): Buffers {
    const old = this.sets[slot];
    if (old && old.cap >= n) {
      return old;
    }
    const fresh = new LazyBuffers(
      Math.max(n, old ? old.cap : 0),
      this.plans.map((plan) => plan.used.length),
    );
    this.sets[slot] = fresh;
    return fresh;
  }

  /** Claims a free batch slot (throws when two batches are already in flight). */
  acquire(): number {
    const slot = this.busy[0] ? (this.busy[1] ? -1 : 1) : 0;
    if (slot < 0) {
      throw new UsageError('analyzeBatch: at most two batches may be in flight (await one first)');
    }
    this.busy[slot] = true;
    return slot;
  }

  release(slot: number): void {
    this.busy[slot] = false;
  }
}
