/**
 * The analyzer's reusable buffers: three sets, two alternating for batches (one is prepared while the other is
 * fitted) and one for analyzeFrame. Each set grows to the largest batch seen and is then reused.
 */
import { UsageError } from '../errors';
import type { RoiPlan } from './plans';

/** One buffer set: per ROI, cap frames × used pixels; per frame and ROI, the flag bytes (slot f·nRois + roi). */
export interface Buffers {
  cap: number;
  /** radiance */
  y: Float64Array[];
  /** variance of the radiance */
  v: Float64Array[];
  /** mask (1 = pixel not fitted) */
  m: Uint8Array[];
  /** dark-subtracted row sums (while the gain is estimated) */
  sig: Float64Array[];
  sat: Uint8Array;
  cosmic: Uint8Array;
  corrupt: Uint8Array;
  weak: Uint8Array;
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
    const cap = Math.max(n, old ? old.cap : 0);
    const nRois = this.plans.length;
    const perRoi = <T>(make: (length: number) => T): T[] => this.plans.map((plan) => make(cap * plan.used.length));
    const fresh: Buffers = {
      cap,
      y: perRoi((length) => new Float64Array(length)),
      v: perRoi((length) => new Float64Array(length)),
      m: perRoi((length) => new Uint8Array(length)),
      sig: perRoi((length) => new Float64Array(length)),
      sat: new Uint8Array(cap * nRois),
      cosmic: new Uint8Array(cap * nRois),
      corrupt: new Uint8Array(cap * nRois),
      weak: new Uint8Array(cap * nRois),
    };
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
