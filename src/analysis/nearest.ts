/**
 * Nearest-in-time lookup, the one search behind both power pairings (pairPowerLog over a whole log,
 * withNearestPower over live readings). Pure; a leaf.
 */

/**
 * Index of the entry of `times` (sorted ascending) nearest to `t`; on a tie the earlier entry. Before the first
 * entry that is 0, after the last the last index; -1 when `times` is empty. `t` must not be NaN. Of equal
 * stamps, the first when `t` is at or below them, the last (the latest reading) when `t` is above them.
 */
export function nearestIndex(times: ArrayLike<number>, t: number): number {
  const count = times.length;
  if (count === 0) {
    return -1;
  }
  // binary search: the first entry ≥ t
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo === 0) {
    return 0;
  }
  if (lo === count) {
    return count - 1;
  }
  return t - times[lo - 1] <= times[lo] - t ? lo - 1 : lo;
}
