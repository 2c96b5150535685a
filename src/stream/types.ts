/**
 * Types of the live pipeline (src/stream). A source is a cold Observable of SourceItem: frames (raw counts, as
 * read from the detector), laser power readings, and resets (a looped replay starting over). The pipeline stamps
 * every item with the run it belongs to (a run = the stretch between two resets), fits the frames, pairs them
 * with the power nearest in time, runs the slope-change detector and turns it all into LiveMessages.
 */
import type { FrameResult, SpectrumView } from '../analysis/types';
import type { SpeDataType } from '../io/types';

/** What the frames of a source look like (needed to fit them and to record them as SPE). */
export interface FrameGeometry {
  width: number;
  height: number;
  /** Data type of the original frames (recordings keep it; 'uint16' for a CCD). */
  dataType: SpeDataType;
  /** nm per pixel (length width), or null when uncalibrated. */
  wavelength: Float64Array | null;
  /** Exposure in s, or null. */
  exposureTime: number | null;
}

export interface LiveFrame {
  /** Run number (0, 1, ... incremented at each reset); set by the pipeline. */
  run: number;
  /** Frame index within the run (frame number of the file for replay/watch). */
  index: number;
  /** s since the start of the run, or null when unknown. */
  time: number | null;
  /** Counts, row-major height × width (as SpeFile.readFrame returns). */
  counts: Float64Array;
  geometry: FrameGeometry;
  /** Clock reading (ms, the pipeline's `now`, performance.now() by default) when the frame entered the pipeline. */
  arrivedAt: number;
  /** Where it came from (file name for watch/replay), for messages. */
  origin?: string;
}

export interface PowerReading {
  /** Run number; set by the pipeline. */
  run: number;
  /** s since the start of the run. */
  time: number;
  /** W (after the --power-expr conversion, if any). */
  power: number;
}

export type SourceItem =
  | { kind: 'frame'; frame: Omit<LiveFrame, 'run' | 'arrivedAt'> & Partial<Pick<LiveFrame, 'run' | 'arrivedAt'>> }
  | { kind: 'power'; reading: Omit<PowerReading, 'run'> & Partial<Pick<PowerReading, 'run'>> }
  /** The run starts over (looped replay, next simulated shot): clients clear their history. */
  | { kind: 'reset'; reason: string };

/** A fitted frame: the frame (kept for the spectrum view and the recording) with its result. */
export interface LiveResult {
  frame: LiveFrame;
  result: FrameResult;
}

/**
 * What the live pipeline needs from the analysis pipeline (src/analysis `createAnalyzer`), wrapped by
 * ./analyzer.ts. analyzeBatch may return a Promise (the native batch) or any ObservableInput (tests).
 */
export interface LiveAnalyzer {
  analyzeFrame(frame: LiveFrame): FrameResult;
  analyzeBatch(frames: LiveFrame[]): import('rxjs').ObservableInput<FrameResult[]>;
  /** The spectrum view (radiance, fit, mask) of a frame, for the display; called at most ~20×/s. */
  spectrum?(frame: LiveFrame, result: FrameResult): SpectrumView | null;
  /** Fitted wavelength range (nm) and ROI names, for the hello message. */
  range?: [number, number] | null;
  rois?: string[];
}
