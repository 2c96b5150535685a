/**
 * The live WebSocket protocol (JSON text messages), shared by the pipeline (src/stream), the server (src/server)
 * and the dashboard (web/). A leaf module: it imports only the analysis result types, never rxjs or server code,
 * so the page can compile it. Server → client messages are LiveMessage; client → server are ClientMessage.
 * Unknown or malformed client messages are ignored.
 *
 * Runs: a source's stream is cut into runs by resets (a looped replay starting over, the next simulated shot, a
 * new shot in a watched folder). Every reset names the run that starts, every event names its run, and the hello
 * and status name the current one, so a client shows only the current run's frames and events.
 */
import type { FrameFlag, FrameResult, RoiResult } from './analysis/types';

/** A fitted frame as the dashboard gets it: the analysis result (time in s since the start of the run). */
export interface FrameMessage extends Omit<FrameResult, 'rois'> {
  rois?: Record<string, Pick<RoiResult, 'temperature' | 'temperatureError'>>;
  /** ms from frame arrival in the pipeline to this message being handed to the server. */
  latencyMs: number;
  /** A gap in time (or a new file) lies between the previous frame and this one: charts break the line here. */
  gap?: true;
}

export interface LiveEvent {
  /** Stable id: an update of an event reuses its id. */
  id: string;
  /** The run the event belongs to (see LiveMessage 'reset'). */
  run: number;
  kind: 'slope-change' | 'plateau';
  startPower: number;
  endPower: number | null;
  startIndex: number;
  endIndex: number | null;
  detectedAtIndex: number;
  slopeBefore: number;
  slopeAfter: number;
  temperature: number;
  significance: number;
  /** The offline re-test at the end of a run withdrew this event: remove it from the display. */
  retracted?: boolean;
  /** The run has ended and this is the whole-curve (offline) refinement, the figures `analyze` reports. */
  final?: boolean;
}

/**
 * What the source is doing: frames arriving (running), alive but quiet (paused: a watched folder waiting for
 * the next file), ended (finished: a replay without --loop), or gone (missing: the watched folder does not exist
 * or was removed; failed: another error ended it). `detail` is a one-line explanation.
 */
export type SourceState = 'running' | 'paused' | 'finished' | 'missing' | 'failed';

export interface SourceStatus {
  state: SourceState;
  detail?: string;
}

export type StatusMessage = {
  type: 'status';
  framesPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  frames: number;
  flagged: Partial<Record<FrameFlag, number>>;
  /** Source name (as in hello). */
  source: string;
  running: boolean;
  /** The current run. */
  run: number;
  sourceState: SourceStatus;
};

export type LiveMessage =
  | { type: 'hello'; version: string; source: string; range: [number, number] | null; rois: string[]; run?: number }
  /** Frames in arrival order; several may be batched into one message. */
  | { type: 'frames'; frames: FrameMessage[] }
  /** The latest spectrum with its fit (throttled, e.g. ≤ 20/s). Arrays as plain numbers. */
  | { type: 'spectrum'; index: number; wavelength: number[]; radiance: number[]; fit: number[]; mask: number[] }
  | { type: 'event'; event: LiveEvent }
  | StatusMessage
  /** Run `run` starts (e.g. a looped replay): clients clear their history and drop the events of earlier runs. */
  | { type: 'reset'; reason: string; run: number };

export type ClientMessage =
  /** A laser power reading pushed by another program (also POST /api/power with the same JSON body). */
  { type: 'power'; power: number; time?: number } | { type: 'ping' };

/** Max size of a client message in bytes (larger ones close the connection with 1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
