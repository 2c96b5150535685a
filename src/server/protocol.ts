/**
 * The live WebSocket protocol (JSON text messages), shared by the pipeline (src/stream), the server
 * (src/server) and the dashboard (web/). Server → client messages are LiveMessage; client → server are
 * ClientMessage. Unknown or malformed client messages are ignored.
 */
import type { FrameFlag, FrameResult, RoiResult } from '../analysis/types';

/** A fitted frame as the dashboard gets it: the analysis result (time in s since the start of the run). */
export interface FrameMessage extends Omit<FrameResult, 'rois'> {
  rois?: Record<string, Pick<RoiResult, 'temperature' | 'temperatureError'>>;
  /** ms from frame arrival in the pipeline to this message being handed to the server. */
  latencyMs: number;
}

export interface LiveEvent {
  /** Stable id: an update of an event reuses its id. */
  id: string;
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
}

export type LiveMessage =
  | { type: 'hello'; version: string; source: string; range: [number, number] | null; rois: string[] }
  /** Frames in arrival order; several may be batched into one message. */
  | { type: 'frames'; frames: FrameMessage[] }
  /** The latest spectrum with its fit (throttled, e.g. ≤ 20/s). Arrays as plain numbers. */
  | { type: 'spectrum'; index: number; wavelength: number[]; radiance: number[]; fit: number[]; mask: number[] }
  | { type: 'event'; event: LiveEvent }
  | {
      type: 'status';
      framesPerSecond: number;
      latencyP50: number;
      latencyP99: number;
      frames: number;
      flagged: Partial<Record<FrameFlag, number>>;
      source: string;
      running: boolean;
    }
  /** A run was restarted (e.g. a looped replay): clients clear their history. */
  | { type: 'reset'; reason: string };

export type ClientMessage =
  /** A laser power reading pushed by another program (also POST /api/power with the same JSON body). */
  | { type: 'power'; power: number; time?: number }
  | { type: 'ping' };

/** Max size of a client message in bytes (larger ones close the connection with 1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/**
 * What the server needs from the pipeline: a stream of messages to broadcast, the latest state for a client
 * that connects mid-run, and a place to push ingested power readings.
 */
export interface LiveSource {
  messages: import('rxjs').Observable<LiveMessage>;
  /** Messages a new client needs first (hello, recent frames, events, latest spectrum, status). */
  snapshot(): LiveMessage[];
  ingestPower(reading: { power: number; time?: number }): void;
  stop(): Promise<void>;
}
