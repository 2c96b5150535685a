/**
 * A source that ends the moment it is subscribed (an empty folder's replay, a one-frame shot fitted synchronously)
 * still ends the pipeline: the ingested power readings, subscribed after it, must learn that it has ended.
 */
import { describe, expect, test } from 'vitest';
import { EMPTY, Observable } from 'rxjs';
import { simulatedCalibration } from '../../src/stream/simulate';
import type { SourceItem } from '../../src/stream/types';
import { buildAnalyzer, liveAnalyzer } from '../../src/stream/analyzer';
import { createLivePipeline } from '../../src/stream/pipeline';

const SHOT = { frames: 1, rows: 2, width: 100, seed: 3 };

/** Resolves with 'ended' when `done` settles within the wait, else with 'hung'. */
function settlesWithin(done: Promise<void>, ms: number): Promise<'ended' | 'hung'> {
  return Promise.race([
    done.then(() => 'ended' as const),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms)),
  ]);
}

describe('live pipeline: a source that ends synchronously', () => {
  test('an empty source ends the pipeline (done settles) while the power ingest is still open', async () => {
    const cal = simulatedCalibration(SHOT);
    const { analyzer } = buildAnalyzer({}, cal.geometry, 'simulated', cal);
    const source: Observable<SourceItem> = EMPTY;
    const pipeline = createLivePipeline({ source, sourceName: 'empty', analyzer: liveAnalyzer(analyzer) });
    const outcome = await settlesWithin(pipeline.done, 5000);
    await pipeline.stop();
    expect(outcome).toBe('ended');
  });
});
