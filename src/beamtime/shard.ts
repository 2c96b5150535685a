/**
 * Sharding a beamtime: shard K of N (1-based) takes every N-th shot starting at the K-th, in manifest order. The
 * N shards are disjoint and together cover the manifest, with no coordination between the jobs that run them
 * (a Slurm job array: `--array=1-N`, shard `$SLURM_ARRAY_TASK_ID/N`).
 */
import { ConfigError } from '../errors';

export interface Shard {
  /** 1-based shard number. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Parses `K/N` (1 ≤ K ≤ N). */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) {
    throw new ConfigError('shard', `must be K/N with whole numbers, 1 ≤ K ≤ N (got "${text}")`);
  }
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) {
    throw new ConfigError('shard', `must be K/N with 1 ≤ K ≤ N (got "${text}")`);
  }
  return { index, count };
}

/** Whether the item at 0-based `position` belongs to `shard`. */
export function inShard(position: number, shard: Shard): boolean {
  return position % shard.count === shard.index - 1;
}

/** The items of one shard, in order. */
export function selectShard<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_item, position) => inShard(position, shard));
}
