/**
 * The results JSON of `pyrolive analyze --json` (and `--out results.json`): `{engine, frames, events}`, one line,
 * exactly the text of `JSON.stringify({engine, frames, events}) + '\n'`, but written piece by piece (a few hundred
 * frames at a time) so the whole text — ~4 MB for 20,000 frames, ~200 MB for a million — is never built in memory.
 * To a stream, each piece waits for the stream to drain (a slow pipe does not make the pieces pile up); to a file,
 * the pieces go out with synchronous writes.
 */
import * as fs from 'fs';
import type { FrameResult } from './types';

/** What the results JSON holds. */
export interface ResultsJsonInput {
  engine: string;
  frames: readonly FrameResult[];
  events: readonly unknown[];
}

/** Frames per piece: ~100 kB of text, big enough that the per-piece cost vanishes, small enough to stay in cache. */
export const FRAMES_PER_PIECE = 500;

/** The pieces of the text, in order; joined they are `JSON.stringify({engine, frames, events}) + '\n'`. */
export function* resultsJsonPieces(results: ResultsJsonInput, framesPerPiece = FRAMES_PER_PIECE): Generator<string> {
  if (!(Number.isInteger(framesPerPiece) && framesPerPiece >= 1)) {
    throw new RangeError(`framesPerPiece must be an integer >= 1, got ${framesPerPiece}`);
  }
  yield `{"engine":${JSON.stringify(results.engine)},"frames":[`;
  const frames = results.frames;
  for (let start = 0; start < frames.length; start += framesPerPiece) {
    const piece = JSON.stringify(frames.slice(start, start + framesPerPiece));
    yield (start > 0 ? ',' : '') + piece.slice(1, -1);
  }
  yield `],"events":${JSON.stringify(results.events)}}\n`;
}

/** Writes the results JSON to a stream (e.g. process.stdout), waiting for 'drain' whenever the stream asks to. */
export async function writeResultsJson(
  results: ResultsJsonInput,
  stream: NodeJS.WritableStream,
  framesPerPiece = FRAMES_PER_PIECE,
): Promise<void> {
  for (const piece of resultsJsonPieces(results, framesPerPiece)) {
    if (!stream.write(piece)) {
      await waitForDrain(stream);
    }
  }
}

function waitForDrain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off('drain', onDrain);
      reject(error);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** Writes the results JSON to a file (created or truncated), piece by piece. Errors are the fs errors. */
export function writeResultsJsonFile(results: ResultsJsonInput, file: string, framesPerPiece = FRAMES_PER_PIECE): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const piece of resultsJsonPieces(results, framesPerPiece)) {
      fs.writeSync(fd, piece);
    }
  } finally {
    fs.closeSync(fd);
  }
}
