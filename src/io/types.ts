/**
 * Contract of the SPE reader (src/io/spe.ts: `openSpe(path): SpeFile`) and writer (src/io/speWriter.ts).
 * Reading is lazy: the header and XML footer are parsed at open, frames are read on demand with fs.readSync at
 * computed offsets; a 2 GB file is never loaded whole. Every size is checked against the file length at open.
 * Errors are InputFileError (message names the file and the problem).
 */
export type SpeDataType = 'float32' | 'int32' | 'int16' | 'uint16' | 'float64' | 'uint8' | 'uint32';

export interface SpeInfo {
  path: string;
  /** Header version as stored (2.x WinSpec, 3.0 LightField), e.g. 2.5 or 3. */
  version: number;
  /** Pixels per row of the stored data (XML region width for 3.0, incl. step-and-glue). */
  width: number;
  /** Rows per frame. */
  height: number;
  frames: number;
  dataType: SpeDataType;
  bytesPerPixel: number;
  /** Bytes between the starts of two consecutive frames (XML Frame stride for 3.0, else width·height·bpp). */
  frameStride: number;
  /** Byte offset of frame 0 (4100). */
  dataOffset: number;
  /** Exposure time in seconds, or null when the file does not say. */
  exposureTime: number | null;
  /** Calibrated wavelength (nm) of each stored pixel, length = width, or null when uncalibrated. */
  wavelength: Float64Array | null;
  /** Where the wavelengths came from. */
  wavelengthSource: 'xml' | 'polynomial' | 'none';
  /**
   * Per-frame time stamps in s from per-frame metadata, when present. The SPE reader reads them on first access
   * of this field (all of them); `stamps` gives them one by one, and as a block reader reads the frames.
   */
  frameTimes: Float64Array | null;
  /** The XML footer text (3.0), or null. */
  xml: string | null;
  // ---- added by the reader (optional extras; the fields above are the contract) ----
  /** Bytes of pixel data of the exposed region in one frame (width·height·bpp). */
  frameSize?: number;
  /** Largest value the data type can hold (65535 for uint16), or null for floating-point data. */
  fullScale?: number | null;
  /** Where the frame geometry came from: the XML footer (3.0) or the legacy header. */
  geometrySource?: 'xml' | 'header';
  /**
   * All regions of a 3.0 frame. Regions of the same width and sensor columns are stacked (each has `rows`, its
   * rows in the stacked frame); otherwise only the first is exposed by readFrame/readRows (no `rows`).
   */
  regions?: { width: number; height: number; size: number; rows?: [number, number] }[];
  /** Per-frame metadata items stored after the pixels of each frame (3.0). */
  metadata?: SpeMetaItem[];
  /** SensorMapping of the exposed region (3.0), when present. */
  sensorMapping?: { x: number; y: number; width: number; height: number; xBinning: number; yBinning: number } | null;
  /** x-calibration polynomial of the legacy header (lowest order first), when valid. */
  polynomial?: number[] | null;
  /** Frames declared by the file (may exceed `frames` when a truncated last frame was dropped). */
  declaredFrames?: number;
  /** Non-fatal problems found while opening (dropped truncated frame, ignored garbage XML offset...). */
  warnings?: string[];
  /** The file format: a Princeton Instruments SPE file, or an Andor SOLIS ASCII export (read whole at open). */
  format?: 'spe' | 'andor-asc';
  /** The camera, as the file describes it (LightField XML, Andor header), or null when it says nothing. */
  camera?: CameraInfo | null;
  /** The frames were background-corrected by the acquisition software (LightField BackgroundCorrection). */
  backgroundCorrected?: boolean;
  /** The reference (dark) file the acquisition software subtracted, when it names one. */
  backgroundReference?: string | null;
  /** Frames per second the acquisition ran at (LightField FrameRate, 1 / Andor kinetic cycle time), or null. */
  frameRate?: number | null;
  /**
   * The per-frame time stamps read on demand (src/io/stamps.ts), or null when the frames carry none; undefined for
   * readers that only give `frameTimes`. frameClock prefers it to `frameTimes`.
   */
  stamps?: FrameStamps | null;
  /** The `key: value` header of an Andor ASCII export, as written. */
  header?: Record<string, string>;
}

/** What the camera was (the noise model needs to know about intensifiers and electron multiplication). */
export interface CameraInfo {
  /** Model as the file names it, e.g. "PI-MAX3: 1024x256", "DU970P_BV". */
  model: string | null;
  /** An image intensifier was in use (PI-MAX, iStar): excess noise, no known gain. */
  intensified: boolean;
  /** Electron multiplication in effect (EM amplifier with a gain above 1): excess noise. */
  electronMultiplying: boolean;
  /** The EM gain setting when the EM amplifier was used, else null. */
  emGain: number | null;
  /** ADC / pre-amplifier gain setting as written ("High", "Low", "1.000000"), or null. */
  adcGain: string | null;
  /** Sensor temperature in °C (reading, else set point), or null. */
  sensorTemperature: number | null;
}

/** The acquisition facts a file may state beside its frames (see SpeInfo). */
export interface AcquisitionFacts {
  camera: CameraInfo | null;
  backgroundCorrected: boolean;
  backgroundReference: string | null;
  frameRate: number | null;
}

/**
 * The per-frame time stamps of a file, read on demand: a frame's stamp costs one small read unless a block reader
 * that reads the frames anyway has handed its block over (spanOf, takeFromBlock).
 */
export interface FrameStamps {
  /** Frames in the file. */
  readonly frames: number;
  /** Time stamp of frame i in s; NaN when the file has none for it (metadata cut off, unreadable, no such frame). */
  at(i: number): number;
  /**
   * Bytes from the start of frame `from` that a block read must cover to hold the stamps of frames
   * from..from+count−1 (those inside the data); 0 when none is.
   */
  spanOf(from: number, count: number): number;
  /** Takes the stamps of frames from..from+count−1 from `length` bytes read from the start of frame `from`. */
  takeFromBlock(from: number, count: number, block: Uint8Array, length: number): void;
  /** Every frame's stamp (reads those not yet known). */
  all(): Float64Array;
  /** The stamps of frames from..from+count−1 into out[0..count), as at(i) gives them (one call for a chunk). */
  into(from: number, count: number, out: Float64Array): void;
}

/** One per-frame metadata item of a 3.0 MetaBlock (e.g. TimeStamp ExposureStarted, FrameTrackingNumber). */
export interface SpeMetaItem {
  /** Element name, e.g. "TimeStamp", "FrameTrackingNumber", "GateTracking". */
  kind: string;
  /** event (TimeStamp) or component (GateTracking), when given. */
  event: string | null;
  /** Byte offset from the end of the frame's pixel data (Frame size). */
  offset: number;
  bytes: number;
  /** Declared type, e.g. "Int64". */
  type: string;
  /** Ticks per second (TimeStamp), or null. */
  resolution: number | null;
}

export interface SpeFile extends SpeInfo {
  /** Frame i as float64, row-major (height × width). Throws InputFileError if unreadable. */
  readFrame(i: number): Float64Array;
  /** Sum of rows a..b inclusive (0-based) of frame i, length width. */
  readRows(i: number, a: number, b: number): Float64Array;
  close(): void;
  // ---- added by the reader (optional extras) ----
  /** readFrame into a caller's buffer (length ≥ width·height), no allocation. */
  readFrameInto?(i: number, out: Float64Array): Float64Array;
  /** readRows into a caller's buffer (length ≥ width, overwritten), no allocation. */
  readRowsInto?(i: number, a: number, b: number, out: Float64Array): Float64Array;
  /** Frame i of region k of a multi-region 3.0 file (region 0 = readFrame). */
  readRegionFrame?(i: number, k: number): Float64Array;
}
