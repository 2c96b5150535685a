/**
 * The outputs `analyze` writes while the shot is analysed (ResultsJsonWriter, ResultsCsvWriter, AtomicFile) give
 * exactly the text of the whole-run writers, whatever the chunking, and a file appears only complete.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ResultsJsonWriter, resultsJsonPieces } from '../../src/analysis/resultsJson';
import { ResultsCsvWriter, formatResultsCsv } from '../../src/analysis/resultsCsv';
import type { FrameResult } from '../../src/analysis/types';
import { AtomicFile, writeAtomically } from '../../src/io/atomicFile';

/** A piece of the results text as a string (the frames come as UTF-8 bytes). */
const pieceText = (piece: string | Uint8Array): string =>
  typeof piece === 'string' ? piece : Buffer.from(piece).toString('utf8');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-streamed-'));

function frames(n: number, withRois: boolean): FrameResult[] {
  return Array.from(
    { length: n },
    (_v, i) =>
      ({
        index: i,
        time: i % 3 === 0 ? null : i * 0.01,
        power: i % 2 ? 1.5 + i : null,
        temperature: i % 5 ? 2000 + i / 7 : null,
        temperatureError: i % 5 ? 1.25 * i : null,
        chi2: i % 11 ? 0.97 : Number.NaN,
        flags: i % 5 ? [] : ['weak', 'cosmic'],
        twoColor: i % 4 ? { mean: 1999.5, std: 3 } : null,
        ...(withRois ? { rois: { DS: { temperature: 2001 + i, temperatureError: 2, chi2: 1, flags: [] } } } : {}),
      }) as unknown as FrameResult,
  );
}

/** `all` cut into chunks of the given sizes (cycled), as a run hands them over. */
function chunked<T>(all: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let k = 0; at < all.length; k++) {
    const size = sizes[k % sizes.length];
    out.push(all.slice(at, at + size));
    at += size;
  }
  return out;
}

describe('ResultsJsonWriter', () => {
  const events = [{ kind: 'plateau', startPower: 1, endPower: null }];

  it.each([
    [0, [5]],
    [1, [1]],
    [23, [1, 0, 7, 2]],
    [23, [100]],
  ])('%i frames in chunks of %j: the text of JSON.stringify({engine, frames, events})', async (n, sizes) => {
    const all = frames(n, true);
    const parts: string[] = [];
    const writer = new ResultsJsonWriter((text) => {
      parts.push(pieceText(text));
    }, 3);
    await writer.begin('native');
    for (const chunk of chunked(all, sizes)) {
      await writer.frames(chunk);
    }
    await writer.end(events);
    expect(parts.join('')).toBe(JSON.stringify({ engine: 'native', frames: all, events }) + '\n');
    expect(parts.join('')).toBe(
      [...resultsJsonPieces({ engine: 'native', frames: all, events }, 4)].map(pieceText).join(''),
    );
    expect(writer.frameCount).toBe(n);
  });

  it('resultsJsonPieces with further keys after the events (the beamtime result): one JSON.stringify', () => {
    const all = frames(9, false);
    const extra = { meta: { name: 'shot "7"', line: 3 }, warnings: ['é\u2028'], pyrolive: '0.1.0' };
    const text = [...resultsJsonPieces({ engine: 'js', frames: all, events }, 4, extra)].map(pieceText).join('');
    expect(text).toBe(JSON.stringify({ engine: 'js', frames: all, events, ...extra }) + '\n');
  });

  it('waits for each piece the output asks it to wait for', async () => {
    const order: string[] = [];
    const writer = new ResultsJsonWriter(async (text) => {
      await new Promise((resolve) => setImmediate(resolve));
      order.push(pieceText(text));
    }, 2);
    await writer.begin('js');
    await writer.frames(frames(5, false));
    expect(order.length).toBe(4); // head + 3 pieces of ≤ 2 frames, all written before frames() resolved
    await writer.end([]);
    expect(JSON.parse(order.join('')).frames.length).toBe(5);
  });

  it('refuses calls out of order (a bug, not bad input)', async () => {
    const writer = new ResultsJsonWriter(() => undefined);
    await expect(writer.frames([])).rejects.toThrow(/out of order/);
    await writer.begin('js');
    await expect(writer.begin('js')).rejects.toThrow(/out of order/);
    await writer.end([]);
    await expect(writer.end([])).rejects.toThrow(/after end/);
    expect(() => new ResultsJsonWriter(() => undefined, 0)).toThrow(RangeError);
  });
});

describe('ResultsCsvWriter', () => {
  it.each([true, false])('in chunks: the text of formatResultsCsv (ROI columns: %s)', (withRois) => {
    const all = frames(17, withRois);
    let text = '';
    const writer = new ResultsCsvWriter((piece) => {
      text += piece;
    });
    writer.begin();
    for (const chunk of chunked(all, [0, 4, 1, 9])) {
      writer.frames(chunk);
    }
    writer.end();
    expect(text).toBe(formatResultsCsv(all));
    expect(text.split('\n')[0]).toContain(withRois ? 'DS_temperature_K' : 'flags');
  });

  it('a run without frames: the header only', () => {
    let text = '';
    const writer = new ResultsCsvWriter((piece) => {
      text += piece;
    });
    writer.begin();
    writer.end();
    expect(text).toBe(formatResultsCsv([]));
    expect(text.trim().split('\n')).toHaveLength(1);
  });
});

describe('AtomicFile', () => {
  it('the target appears only on commit, whole; the temporary is gone', () => {
    const target = path.join(tmp, 'a.json');
    const file = new AtomicFile(target);
    file.write('{"a":');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(file.temporary)).toBe(true);
    file.write('1}\n');
    file.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}\n');
    expect(fs.existsSync(file.temporary)).toBe(false);
    expect(() => file.write('x')).toThrow(/after it was committed/);
  });

  it('abort leaves the old target as it was and no temporary', () => {
    const target = path.join(tmp, 'b.csv');
    fs.writeFileSync(target, 'OLD');
    const file = new AtomicFile(target);
    file.write('NEW, half');
    file.abort();
    file.abort();
    expect(fs.readFileSync(target, 'utf8')).toBe('OLD');
    expect(fs.readdirSync(tmp).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('writeAtomically: an error while writing leaves nothing; a folder that does not exist is the fs error', () => {
    const target = path.join(tmp, 'c.txt');
    expect(() =>
      writeAtomically(target, (write) => {
        write('part');
        throw new Error('failed half-way');
      }),
    ).toThrow(/failed half-way/);
    expect(fs.existsSync(target)).toBe(false);
    writeAtomically(target, (write) => write('whole'));
    expect(fs.readFileSync(target, 'utf8')).toBe('whole');
    expect(() => new AtomicFile(path.join(tmp, 'no-such-dir', 'd.json'))).toThrow(/ENOENT/);
  });
});
