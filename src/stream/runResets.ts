/**
 * RunResets: when the reset of a new run may be sent. A reset (looped replay, next simulated shot) arrives at
 * the head of the pipeline while frames of the old run may still be fitting or waiting for their power; it is
 * held until every frame of the old run has been handed off, and sent just before the first frame of the new
 * run (or at once when the old run has nothing in flight). Before it goes, `beforeReset` lets the pipeline end
 * the old run (the detector's final events belong to the old run, ahead of its reset).
 *
 * Plain bookkeeping, no RxJS, no timers: the pipeline calls frameArrived / resetArrived at the head and
 * beforeHandOff / afterHandOff around each hand-off.
 */
export interface RunResetsHooks {
  /** Everything of run `previousRun` has been handed off; its reset is about to go. */
  beforeReset(previousRun: number): void;
  /** Send the reset: run `run` starts. */
  reset(reason: string, run: number): void;
}

export class RunResets {
  private readonly hooks: RunResetsHooks;
  private currentRun = 0;
  private readonly pending: { reason: string; run: number }[] = [];
  /** Frames per run that arrived and are not handed off yet (no entry: none). */
  private readonly inFlight = new Map<number, number>();

  constructor(hooks: RunResetsHooks) {
    this.hooks = hooks;
  }

  /** The run whose frames are being handed off (its reset, if any, has been sent). */
  get current(): number {
    return this.currentRun;
  }

  /** Resets held back, waiting for the old run's frames. */
  get held(): number {
    return this.pending.length;
  }

  /** Runs with frames in flight (bounded by the runs a backlog spans; empty when idle). */
  get runsInFlight(): number {
    return this.inFlight.size;
  }

  frameArrived(run: number): void {
    this.inFlight.set(run, (this.inFlight.get(run) ?? 0) + 1);
  }

  resetArrived(reason: string, run: number): void {
    this.pending.push({ reason, run });
    this.release(run);
  }

  /** A result of `run` is about to be handed off: the resets up to `run` go first. */
  beforeHandOff(run: number): void {
    if (run > this.currentRun) {
      this.release(run);
    }
  }

  /** A result of `run` was handed off. */
  afterHandOff(run: number): void {
    const left = (this.inFlight.get(run) ?? 1) - 1;
    if (left > 0) {
      this.inFlight.set(run, left);
      return;
    }
    this.inFlight.delete(run);
    this.release(run + 1);
  }

  /** The source has ended and everything was handed off: send the resets still held. */
  sourceEnded(): void {
    this.inFlight.clear();
    this.release(Infinity);
  }

  private release(upToRun: number): void {
    while (this.pending.length > 0) {
      const next = this.pending[0];
      if (next.run > upToRun || (this.inFlight.get(next.run - 1) ?? 0) > 0) {
        return;
      }
      this.pending.shift();
      this.hooks.beforeReset(next.run - 1);
      this.currentRun = next.run;
      this.hooks.reset(next.reason, next.run);
    }
  }
}
