// The streamed JSON writer of `pyrolive analyze --json` writes exactly the text of one JSON.stringify.
import { describe, expect, it } from 'vitest';
import { toJson, writeJson } from '../../src/cli/commands/analyze';
import type { AnalyzeOutput } from '../../src/analysis/run';
import type { FrameResult } from '../../src/analysis/types';

/** A piece of the results text as a string (the frames come as UTF-8 bytes). */
const pieceText = (piece: string | Uint8Array): string =>
  typeof piece === 'string' ? piece : Buffer.from(piece).toString('utf8');

function output(n: number): AnalyzeOutput {
  const frames: FrameResult[] = Array.from({ length: n }, (_v, i) => ({
    index: i,
    time: i % 3 === 0 ? null : i * 0.01,
    power: i % 2 ? 1.5 : null,
    temperature: i % 5 ? 2000 + i / 7 : null,
    temperatureError: i % 5 ? 1.25 : null,
    chi2: 0.97,
    flags: i % 5 ? [] : ['weak'],
    twoColor: i % 4 ? { mean: 1999.5, std: 3 } : null,
  }));
  return {
    engine: 'native',
    frames,
    events: [{ kind: 'plateau', startPower: 1, endPower: 2 }],
    noise: null,
    ranges: {},
    rois: ['all'],
    warnings: [],
  };
}

describe('writeJson', () => {
  it.each([0, 1, 5, 7, 23])('%i frames, pieces of 5: the same text as JSON.stringify, valid JSON', (n) => {
    const out = output(n);
    const parts: string[] = [];
    writeJson(out, (t) => parts.push(pieceText(t)), 5);
    const text = parts.join('');
    expect(text).toBe(toJson(out));
    expect(text).toBe(JSON.stringify({ engine: out.engine, frames: out.frames, events: out.events }) + '\n');
    expect(JSON.parse(text).frames.length).toBe(n);
    if (n > 5) {
      expect(parts.length).toBeGreaterThan(3);
    }
  });
});
