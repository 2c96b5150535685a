/**
 * The streamed results JSON (src/analysis/resultsJson.ts) is byte for byte the text of one JSON.stringify, to a
 * stream that applies back-pressure, to a file, and through the CLI (`analyze --json` on a pipe and
 * `analyze --out results.json` give the same bytes, which parse to what analyzeFiles returns in-process).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  resultsJsonPieces,
  writeResultsJson,
  writeResultsJsonFile,
  type ResultsJsonInput,
} from '../../src/analysis/resultsJson';
import type { FrameResult } from '../../src/analysis/types';
import { simulateShot, writeShot } from '../../src/sim/shot';
import { BIN, ROOT, ensureBuilt } from '../support/build';
import { calibrationArgs } from '../support/shotFiles';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-results-json-'));

function results(n: number): ResultsJsonInput {
  const frames: FrameResult[] = Array.from(
    { length: n },
    (_v, i) =>
      ({
        index: i,
        time: i % 3 === 0 ? null : i * 0.01,
        power: i % 2 ? 1.5 : null,
        temperature: i % 5 ? 2000 + i / 7 : null,
        temperatureError: i % 5 ? 1.25e-7 * i : null,
        chi2: i % 11 ? 0.97 : Number.NaN,
        flags: i % 5 ? [] : ['weak', 'cosmic'],
        twoColor: i % 4 ? { mean: 1999.5, std: 3 } : null,
        rois: { 'DS "a"': { temperature: 2001 + i, temperatureError: 2, chi2: 1, flags: [] } },
      }) as unknown as FrameResult,
  );
  return { engine: 'native', frames, events: [{ kind: 'plateau', startPower: 1, endPower: 2, note: 'é\u2028' }] };
}

const stringified = (r: ResultsJsonInput) =>
  JSON.stringify({ engine: r.engine, frames: r.frames, events: r.events }) + '\n';

/** A stream that takes 64 bytes before asking the writer to wait, and completes each write a tick later. */
function slowSink(): { stream: Writable; text: () => string; maxBuffered: () => number } {
  const chunks: Buffer[] = [];
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  const originalWrite = stream.write.bind(stream);
  stream.write = ((chunk: string) => {
    const accepted = originalWrite(chunk);
    maxBuffered = Math.max(maxBuffered, stream.writableLength);
    return accepted;
  }) as typeof stream.write;
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), maxBuffered: () => maxBuffered };
}

describe('resultsJsonPieces', () => {
  it.each([
    [0, 3],
    [1, 3],
    [5, 5],
    [7, 3],
    [23, 5],
    [1000, 1],
    [1000, 500],
  ])('%i frames, pieces of %i: the text of JSON.stringify, valid JSON, several pieces', (n, per) => {
    const r = results(n);
    const pieces = [...resultsJsonPieces(r, per)];
    expect(pieces.join('')).toBe(stringified(r));
    expect(JSON.parse(pieces.join('')).frames.length).toBe(n);
    expect(pieces.length).toBe(2 + Math.ceil(n / per));
  });

  it('rejects a piece size that is not a positive integer', () => {
    expect(() => [...resultsJsonPieces(results(3), 0)]).toThrow(RangeError);
    expect(() => [...resultsJsonPieces(results(3), 2.5)]).toThrow(RangeError);
  });
});

describe('writeResultsJson / writeResultsJsonFile', () => {
  it('to a slow stream: same bytes, and it waits for drain (never more than one piece queued)', async () => {
    const r = results(400);
    const sink = slowSink();
    await writeResultsJson(r, sink.stream, 20);
    const largestPiece = Math.max(...[...resultsJsonPieces(r, 20)].map((p) => Buffer.byteLength(p)));
    expect(sink.text()).toBe(stringified(r));
    expect(sink.maxBuffered()).toBeLessThanOrEqual(largestPiece);
  });

  it('to a file: same bytes; an unwritable path is an fs error', () => {
    const r = results(50);
    const file = path.join(tmp, 'r.json');
    writeResultsJsonFile(r, file, 7);
    expect(fs.readFileSync(file, 'utf8')).toBe(stringified(r));
    expect(() => writeResultsJsonFile(r, path.join(tmp, 'no-such-dir', 'r.json'))).toThrow(/ENOENT/);
  });
});

describe('pyrolive analyze writes the streamed JSON', () => {
  let files: ReturnType<typeof writeShot>['files'];
  beforeAll(() => {
    ensureBuilt();
    const sim = simulateShot({
      frames: 1200,
      seed: 23,
      rows: 4,
      downstreamRows: [1, 2],
      cosmicRate: 0.02,
      frameInterval: 0.01,
    });
    files = writeShot(sim, path.join(tmp, 'shot')).files;
  }, 240_000);

  it('--json on a pipe and --out results.json: the same bytes, equal to analyzeFiles in-process', async () => {
    const base = [files.shot, ...calibrationArgs(files), '--power', files.power, '--range', '570:830'];
    const piped = spawnSync(process.execPath, [BIN, 'analyze', ...base, '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(piped.status, piped.stderr).toBe(0);
    const file = path.join(tmp, 'results.json');
    const written = spawnSync(process.execPath, [BIN, 'analyze', ...base, '--out', file], { encoding: 'utf8' });
    expect(written.status, written.stderr).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(piped.stdout);
    // the built module (as the CLI runs it; its engine is loaded by require, which vitest's loader does not do)
    const { analyzeFiles } = require(
      path.join(ROOT, 'dist/analysis/run.js'),
    ) as typeof import('../../src/analysis/run');
    const inProcess = await analyzeFiles({
      shots: [files.shot],
      calibration: files.lamp,
      lampTemperature: 2800,
      background: files.dark,
      power: files.power,
      range: [570, 830],
    });
    const parsed = JSON.parse(piped.stdout);
    expect(parsed.frames.length).toBe(1200);
    expect(parsed).toEqual(JSON.parse(stringified(inProcess)));
  }, 120_000);
});
