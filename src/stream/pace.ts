/**
 * Emits `step(i)` for i = 0, 1, ... at `rate` per second on a scheduler, catching up in bursts when the timer
 * fires late (Node timers have ~1 ms granularity), so the average rate is exact even at 1 kHz. `step` returns
 * false to stop. Returns a Subscription that cancels the pacing.
 */
import { SchedulerLike, Subscription } from 'rxjs';

export function pace(
  rate: number,
  scheduler: SchedulerLike,
  step: (i: number) => boolean,
  onEnd: () => void = () => undefined,
): Subscription {
  const period = 1000 / rate;
  const tickMs = Math.max(1, Math.min(period, 50));
  const start = scheduler.now();
  let i = 0;
  let stopped = false;
  const sub = new Subscription(() => {
    stopped = true;
  });
  const run = () => {
    const due = Math.floor((scheduler.now() - start) / period) + 1;
    while (!stopped && i < due) {
      if (!step(i++)) {
        stopped = true;
        onEnd();
        return;
      }
    }
  };
  run();
  if (!stopped) {
    sub.add(
      scheduler.schedule(function tick() {
        run();
        if (!stopped) {
          this.schedule(undefined, tickMs);
        }
      }, tickMs),
    );
  }
  return sub;
}
