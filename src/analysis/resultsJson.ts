/**
 * The results JSON of `pyrolive analyze --json` (and `--out results.json`): `{engine, frames, events}`, one line,
 * exactly the text of `JSON.stringify({engine, frames, events}) + '\n'`, but written piece by piece (a few hundred
 * frames at a time) so the whole text — ~4 MB for 20,000 frames, ~200 MB for a million — is never built in memory.
 * ResultsJsonWriter writes it while the shot is still being analysed (frames as their chunk is done, events at the
 * end); resultsJsonPieces and writeResultsJson write a finished result. To a stream, each piece waits for the stream
 * to drain (a slow pipe does not make the pieces pile up); to a file, the pieces go out with synchronous writes.
 */
import * as fs from 'fs';
import { writeAllSync } from '../io/atomicFile';
import type { FrameResult } from './types';
import { FrameBlock } from './frameBlock';

/** What the results JSON holds. */
export interface ResultsJsonInput {
  engine: string;
  frames: readonly FrameResult[];
  events: readonly unknown[];
}

/** Frames per piece: ~100 kB of text, big enough that the per-piece cost vanishes, small enough to stay in cache. */
export const FRAMES_PER_PIECE = 500;

/** A piece of the text: a string, or its UTF-8 bytes (the frames, formatted from their columns). */
export type Piece = string | Uint8Array;

/** Writes one piece of text; may return a promise (e.g. waiting for a stream's 'drain'), which is awaited. */
export type PieceWriter = (piece: Piece) => void | Promise<void>;

function checkFramesPerPiece(framesPerPiece: number): void {
  if (!(Number.isInteger(framesPerPiece) && framesPerPiece >= 1)) {
    throw new RangeError(`framesPerPiece must be an integer >= 1, got ${framesPerPiece}`);
  }
}

/** The text before the first frame. */
function headPiece(engine: string): string {
  return `{"engine":${JSON.stringify(engine)},"frames":[`;
}

/** The frames as array elements, with the separating comma unless they are the first ones written. */
function framesPiece(frames: readonly FrameResult[], first: boolean): string {
  const text = JSON.stringify(frames);
  return (first ? '' : ',') + text.slice(1, -1);
}

/** The text after the last frame: the events, then any further keys in their order. */
function tailPiece(events: readonly unknown[], extra: Readonly<Record<string, unknown>>): string {
  let text = `],"events":${JSON.stringify(events)}`;
  for (const [key, value] of Object.entries(extra)) {
    text += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return text + '}\n';
}

/**
 * The pieces of the text, in order; joined they are `JSON.stringify({engine, frames, events, ...extra}) + '\n'`
 * (`extra`: further keys after the events, e.g. the beamtime's meta and settings).
 */
export function* resultsJsonPieces(
  results: ResultsJsonInput,
  framesPerPiece = FRAMES_PER_PIECE,
  extra: Readonly<Record<string, unknown>> = {},
): Generator<string> {
  checkFramesPerPiece(framesPerPiece);
  yield headPiece(results.engine);
  const frames = results.frames;
  for (let start = 0; start < frames.length; start += framesPerPiece) {
    yield framesPiece(frames.slice(start, start + framesPerPiece), start === 0);
  }
  yield tailPiece(results.events, extra);
}

/**
 * The results JSON written as the analysis goes: `begin(engine)` once, `frames(chunk)` for every chunk in frame
 * order, `end(events)` once. The text is the same as resultsJsonPieces gives for the whole result.
 */
export class ResultsJsonWriter {
  private state: 'new' | 'frames' | 'ended' = 'new';
  private written = 0;

  constructor(
    private readonly write: PieceWriter,
    private readonly framesPerPiece = FRAMES_PER_PIECE,
  ) {
    checkFramesPerPiece(framesPerPiece);
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.written;
  }

  async begin(engine: string): Promise<void> {
    this.expect('new', 'begin');
    this.state = 'frames';
    await this.write(headPiece(engine));
  }

  /** The next frames: a block (as the analysis gives them, written in one piece) or result objects. */
  async frames(chunk: FrameBlock | readonly FrameResult[]): Promise<void> {
    this.expect('frames', 'frames');
    if (chunk instanceof FrameBlock) {
      // from the columns (FrameBlock.json: the engine's formatter, natively where the addon is loaded), each frame
      // exactly its object's JSON.stringify; one piece (the analysis gives chunks of ~1,000 frames)
      if (chunk.length > 0) {
        const piece = chunk.json(this.written > 0);
        this.written += chunk.length;
        await this.write(piece);
      }
      return;
    }
    for (let start = 0; start < chunk.length; start += this.framesPerPiece) {
      const piece = framesPiece(chunk.slice(start, start + this.framesPerPiece), this.written === 0);
      this.written += Math.min(this.framesPerPiece, chunk.length - start);
      await this.write(piece);
    }
  }

  async end(events: readonly unknown[]): Promise<void> {
    this.expect('frames', 'end');
    this.state = 'ended';
    await this.write(tailPiece(events, {}));
  }

  private expect(state: 'new' | 'frames', call: string): void {
    if (this.state !== state) {
      throw new Error(`ResultsJsonWriter.${call}() called ${this.state === 'ended' ? 'after end()' : 'out of order'}`);
    }
  }
}

/** A PieceWriter to a stream (e.g. process.stdout) that waits for 'drain' whenever the stream asks to. */
export function streamPieceWriter(stream: NodeJS.WritableStream): PieceWriter {
  return (piece) => (stream.write(piece) ? undefined : waitForDrain(stream));
}

/** Writes the results JSON to a stream (e.g. process.stdout), waiting for 'drain' whenever the stream asks to. */
export async function writeResultsJson(
  results: ResultsJsonInput,
  stream: NodeJS.WritableStream,
  framesPerPiece = FRAMES_PER_PIECE,
): Promise<void> {
  const write = streamPieceWriter(stream);
  for (const piece of resultsJsonPieces(results, framesPerPiece)) {
    await write(piece);
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
      writeAllSync(fd, piece);
    }
  } finally {
    fs.closeSync(fd);
  }
}
