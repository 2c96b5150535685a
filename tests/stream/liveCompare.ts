/**
 * Helpers of the live = offline tests: a shot replayed through the live pipeline with the analyzer `serve` builds
 * for it, and the comparison of its frames with those of analyzeFiles.
 */
import { expect } from 'vitest';
import {
  firstChunkOf,
  liveAnalyzer,
  primeAnalyzer,
  shotAnalyzer,
  type LiveAnalysisOptions,
} from '../../src/stream/analyzer';
import { replay, type ReplayOptions } from '../../src/stream/replay';
import { createLivePipeline } from '../../src/stream/pipeline';
import type { FrameMessage, LiveMessage } from '../../src/protocol';
import type { FrameResult } from '../../src/analysis/types';

export const framesOf = (messages: LiveMessage[]): FrameMessage[] =>
  messages.flatMap((m) => (m.type === 'frames' ? m.frames : []));

/** Every frame of `live` has the flags, T, σT and χ²/dof of the same frame of `offline` (to rounding). */
export function expectSameFits(live: FrameMessage[], offline: FrameResult[]): void {
  expect(live.length).toBe(offline.length);
  let worstT = 0;
  let worstChi2 = 0;
  for (let i = 0; i < live.length; i++) {
    const a = live[i];
    const b = offline[i];
    expect(a.index).toBe(b.index);
    expect(a.flags).toEqual(b.flags);
    if (a.temperature === null || b.temperature === null) {
      expect(a.temperature).toBe(b.temperature);
      continue;
    }
    worstT = Math.max(worstT, Math.abs(a.temperature - b.temperature));
    expect(a.temperatureError!).toBeCloseTo(b.temperatureError!, 3);
    worstChi2 = Math.max(worstChi2, Math.abs((a.chi2 ?? NaN) - (b.chi2 ?? NaN)));
  }
  expect(worstT).toBeLessThan(1e-3);
  expect(worstChi2).toBeLessThan(1e-4);
}

export interface LiveReplay {
  frames: FrameMessage[];
  /** The analyzer's warnings (as `serve` prints them). */
  warnings: string[];
}

/**
 * `serve --replay shot [--power log]` with `options` (the analysis options of `analyze`), run to its end at a
 * high rate: the analyzer built and primed as serve does, every frame message collected.
 */
export async function liveReplay(
  shot: string,
  power: string | null,
  options: LiveAnalysisOptions,
  replayOptions: ReplayOptions = {},
): Promise<LiveReplay> {
  const clockOptions = { frameInterval: options.frameInterval, timeOffset: options.timeOffset };
  const source = replay(shot, power, { rate: 20_000, ...clockOptions, ...replayOptions });
  const { analyzer, warnings } = shotAnalyzer(options, shot);
  await primeAnalyzer(analyzer, firstChunkOf(shot, clockOptions));
  const pipeline = createLivePipeline({ source, sourceName: 'replay', analyzer: liveAnalyzer(analyzer) });
  const messages: LiveMessage[] = [];
  pipeline.messages.subscribe((m) => {
    messages.push(m);
  });
  await pipeline.done;
  return { frames: framesOf(messages), warnings };
}
