/**
 * Princeton Instruments SPE reader: WinSpec 2.x and LightField 3.0 (domain.md §7).
 *
 * - The 4100-byte header and (3.0) the XML footer are read at open; frames are read lazily with fs.readSync at
 *   computed offsets, so a 2 GB shot is never loaded whole.
 * - 3.0: the XML footer is authoritative (Frame count/size/stride/pixelFormat, Region width/height, wavelength
 *   list cropped by SensorMapping, exposure time, per-frame metadata). Legacy header fields are ignored.
 * - Per-frame time stamps are not read at open: `stamps` (src/io/stamps.ts) reads them on demand, or takes them
 *   from the blocks a chunk reader reads; `frameTimes` reads them all on first access.
 * - 2.x, and any file whose XML offset is unusable (zero, inside the header, not pointing at `<?xml`): header
 *   xdim/ydim/NumFrames/datatype, x-calibration polynomial over 1-based pixel numbers, exposure at offset 10.
 *   Exception: a version ≥ 3 file whose XML offset points past the end of the file is truncated: error.
 * - Every size is checked against the file length. Problems are InputFileError("<file>: <problem>").
 * - Truncated data is an error. With `{allowTruncated: true}` an incomplete LAST frame is dropped instead:
 *   `frames` counts the complete ones, `declaredFrames` what the file says, and `warnings` says so.
 * - 3.0 acquisition facts (src/io/lightfield.ts): camera (intensifier, EM, ADC gain, sensor temperature),
 *   LightField's BackgroundCorrection, FrameRate. A legacy NumFrames that disagrees with the XML count is a warning.
 *
 * `openFd` reads in named steps: header → XML footer → geometry → frames present → calibration → exposure →
 * per-frame metadata → acquisition facts.
 */
import * as fs from 'fs';
import * as os from 'os';
import { InputFileError } from '../errors';
import type { CameraInfo, FrameStamps, SpeDataType, SpeFile, SpeMetaItem } from './types';
import { readAtOf, SpeFrameStamps, type StampLayout } from './stamps';
import { deepText, findAll, findFirst, parseXml, XmlElement } from './xml';
import { acquisitionFromXml, NO_ACQUISITION_FACTS } from './lightfield';

export const SPE_HEADER_SIZE = 4100;
export const SPE_OFFSETS = {
  exposure: 10, // float32, s (2.x)
  xDimDet: 6, // uint16
  xdim: 42, // uint16
  datatype: 108, // int16
  yDimDet: 18, // uint16
  ydim: 656, // uint16
  xmlOffset: 678, // uint64 (3.0)
  numFrames: 1446, // int32
  version: 1992, // float32
  polyOrder: 3101, // int8
  polyCoeffs: 3263, // 6 × float64
  lastValue: 4098, // int16 0x5555
} as const;

/** Header data-type codes. */
export const SPE_TYPE_CODES: Record<number, SpeDataType> = {
  0: 'float32',
  1: 'int32',
  2: 'int16',
  3: 'uint16',
  5: 'float64',
  6: 'uint8',
  8: 'uint32',
};
export const SPE_TYPE_TO_CODE: Record<SpeDataType, number> = {
  float32: 0,
  int32: 1,
  int16: 2,
  uint16: 3,
  float64: 5,
  uint8: 6,
  uint32: 8,
};
export const BYTES_PER_PIXEL: Record<SpeDataType, number> = {
  float32: 4,
  int32: 4,
  int16: 2,
  uint16: 2,
  float64: 8,
  uint8: 1,
  uint32: 4,
};
export const FULL_SCALE: Record<SpeDataType, number | null> = {
  float32: null,
  float64: null,
  int32: 2147483647,
  int16: 32767,
  uint16: 65535,
  uint8: 255,
  uint32: 4294967295,
};
/** LightField pixelFormat names (without "Monochrome") → data type. */
const PIXEL_FORMATS: Record<string, SpeDataType> = {
  unsigned16: 'uint16',
  unsigned32: 'uint32',
  floating32: 'float32',
  floating64: 'float64',
  signed16: 'int16',
  signed32: 'int32',
  unsigned8: 'uint8',
};
export const PIXEL_FORMAT_OF: Record<SpeDataType, string> = {
  uint16: 'MonochromeUnsigned16',
  uint32: 'MonochromeUnsigned32',
  float32: 'MonochromeFloating32',
  float64: 'MonochromeFloating64',
  int16: 'MonochromeSigned16',
  int32: 'MonochromeSigned32',
  uint8: 'MonochromeUnsigned8',
};

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

/** A typed array of any SPE data type. */
export type SpePixels = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array;

/**
 * A view (no copy) of `count` pixels of `type` at byte `offset` of `ab`, in the host's byte order: for a
 * little-endian host, with `offset` a multiple of the pixel size (else use decodePixels).
 */
export function pixelView(ab: ArrayBufferLike, offset: number, type: SpeDataType, count: number): SpePixels {
  switch (type) {
    case 'uint16':
      return new Uint16Array(ab, offset, count);
    case 'int16':
      return new Int16Array(ab, offset, count);
    case 'uint32':
      return new Uint32Array(ab, offset, count);
    case 'int32':
      return new Int32Array(ab, offset, count);
    case 'float32':
      return new Float32Array(ab, offset, count);
    case 'float64':
      return new Float64Array(ab, offset, count);
    default:
      return new Uint8Array(ab, offset, count);
  }
}

/** `count` little-endian pixels of `type` at byte `offset` of `ab` into dst, on any host and at any alignment. */
export function decodePixels(
  ab: ArrayBufferLike,
  offset: number,
  type: SpeDataType,
  count: number,
  dst: Float64Array,
): Float64Array {
  const dv = new DataView(ab, offset, count * BYTES_PER_PIXEL[type]);
  for (let k = 0; k < count; k++) {
    switch (type) {
      case 'uint16':
        dst[k] = dv.getUint16(2 * k, true);
        break;
      case 'int16':
        dst[k] = dv.getInt16(2 * k, true);
        break;
      case 'uint32':
        dst[k] = dv.getUint32(4 * k, true);
        break;
      case 'int32':
        dst[k] = dv.getInt32(4 * k, true);
        break;
      case 'float32':
        dst[k] = dv.getFloat32(4 * k, true);
        break;
      case 'float64':
        dst[k] = dv.getFloat64(8 * k, true);
        break;
      default:
        dst[k] = dv.getUint8(k);
    }
  }
  return dst;
}

/** `count` pixels at the start of `ab` as numbers: a view on a little-endian host, a decoded copy otherwise. */
function pixelsOf(ab: ArrayBuffer, type: SpeDataType, count: number): ArrayLike<number> {
  return LITTLE_ENDIAN_HOST ? pixelView(ab, 0, type, count) : decodePixels(ab, 0, type, count, new Float64Array(count));
}
/** Largest XML footer we agree to parse (LightField footers are tens of kB; a wavelength list of 100k px ~2 MB). */
const MAX_XML_BYTES = 64 * 1024 * 1024;

function fail(file: string, problem: string): never {
  throw new InputFileError(file, problem);
}

function parseIntAttr(v: string | undefined): number | null {
  if (v === undefined) {
    return null;
  }
  const t = v.trim();
  if (!/^[+]?\d+$/.test(t)) {
    return null;
  }
  const x = Number(t);
  return Number.isSafeInteger(x) ? x : null;
}

function parseNumberList(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter((p) => p.length > 0);
  if (parts.length === 0) {
    return null;
  }
  const out = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const x = Number(parts[i]);
    if (!Number.isFinite(x)) {
      return null;
    }
    out[i] = x;
  }
  return out;
}

/** `<WavelengthError>` holds "nm,err" pairs separated by whitespace: take the nm of each. */
function parseWavelengthErrorList(text: string): number[] | null {
  const tokens = text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0);
  if (tokens.length === 0) {
    return null;
  }
  let values: number[];
  if (tokens.length === 1) {
    // one token: a flat comma list nm,err,nm,err...
    const flat = tokens[0].split(',').map(Number);
    values = flat.filter((_v, k) => k % 2 === 0);
  } else {
    values = tokens.map((t) => Number(t.split(',')[0]));
  }
  return values.every(Number.isFinite) ? values : null;
}

interface Geometry {
  width: number;
  height: number;
  frames: number;
  dataType: SpeDataType;
  frameSize: number; // bytes of pixels of the exposed region
  frameBlockSize: number; // bytes of pixels of the whole frame (all regions)
  stride: number;
  dataEnd: number; // bytes available for data: XML offset or file length
  regions: SpeRegion[];
}

type SpeRegion = { width: number; height: number; size: number; rows?: [number, number] };

function describeBytes(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`;
}

export interface OpenSpeOptions {
  /**
   * Accept a file whose LAST frame is incomplete (an acquisition stopped while writing): `frames` then counts the
   * complete frames, `declaredFrames` what the file says, and `warnings` says so. Default false: truncated data
   * is an error. More than the last frame missing is always an error.
   */
  allowTruncated?: boolean;
}

/** Open an SPE file. Throws InputFileError on anything that is not a readable SPE file. */
export function openSpe(path: string, options: OpenSpeOptions = {}): SpeFile {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      fail(path, 'no such file');
    }
    if (code === 'EACCES' || code === 'EPERM') {
      fail(path, 'permission denied');
    }
    if (code === 'EISDIR') {
      fail(path, 'is a directory, not an SPE file');
    }
    fail(path, `cannot open (${(e as Error).message})`);
  }
  try {
    return openFd(path, fd, options);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    throw e;
  }
}

/** The 4100-byte header, after checking the file can hold it. */
function readHeader(path: string, fd: number): { hdr: Buffer; fileLen: number; version: number; isV3: boolean } {
  const st = fs.fstatSync(fd);
  if (st.isDirectory()) {
    fail(path, 'is a directory, not an SPE file');
  }
  const fileLen = st.size;
  if (fileLen === 0) {
    fail(path, 'empty file (0 bytes), not an SPE file');
  }
  if (fileLen < SPE_HEADER_SIZE) {
    fail(
      path,
      `too short for an SPE file: ${describeBytes(fileLen)}, the header alone is ${SPE_HEADER_SIZE} ` +
        '(truncated header?)',
    );
  }
  const hdr = Buffer.alloc(SPE_HEADER_SIZE);
  const got = fs.readSync(fd, hdr, 0, SPE_HEADER_SIZE, 0);
  if (got < SPE_HEADER_SIZE) {
    fail(path, `could read only ${got} of the ${SPE_HEADER_SIZE} header bytes`);
  }
  const rawVersion = hdr.readFloatLE(SPE_OFFSETS.version);
  const version = Number.isFinite(rawVersion) ? Math.round(rawVersion * 1000) / 1000 : NaN;
  return { hdr, fileLen, version, isV3: version >= 2.95 && version < 100 };
}

/** Where the first bytes at `xmlOffset` start XML (after a BOM and blanks), or -1 when they do not. */
function xmlStart(fd: number, xmlOffset: number, fileLen: number): number {
  // look at the first bytes before reading the rest: a 2.x file's spare bytes at 678 are often garbage that
  // points into the data, and a garbage offset must not cost a read of (up to) the whole file
  const probe = Buffer.alloc(Math.min(fileLen - xmlOffset, 64));
  fs.readSync(fd, probe, 0, probe.length, xmlOffset);
  let start = 0;
  if (probe[0] === 0xef && probe[1] === 0xbb && probe[2] === 0xbf) {
    start = 3;
  } // UTF-8 BOM
  while (start < probe.length && [0x20, 0x0a, 0x0d, 0x09].includes(probe[start])) {
    start++;
  }
  const head = probe.subarray(start, start + 5).toString('latin1');
  const looksXml = head === '<?xml' || head.startsWith('<Spe') || head.startsWith('<spe');
  return looksXml ? start : -1;
}

/**
 * The XML footer text (3.0), or null when the offset at 678 does not lead to one (2.x files, garbage offsets of
 * converted "2.5" files: a warning for a 3.0 file). A 3.0 file whose offset is past the end is truncated: error.
 */
function readXmlFooter(
  path: string,
  fd: number,
  head: ReturnType<typeof readHeader>,
  warnings: string[],
): { xmlText: string | null; xmlOffset: number } {
  const { hdr, fileLen, isV3 } = head;
  const xmlOffsetBig = hdr.readBigUInt64LE(SPE_OFFSETS.xmlOffset);
  const xmlOffset = xmlOffsetBig > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(xmlOffsetBig);
  if (xmlOffset >= fileLen && isV3) {
    fail(
      path,
      `XML footer offset ${xmlOffsetBig} is past the end of the file (${describeBytes(fileLen)}): ` +
        'truncated or corrupt SPE 3.0 file',
    );
  }
  if (!(xmlOffset >= SPE_HEADER_SIZE && xmlOffset < fileLen)) {
    if (isV3) {
      warnings.push(`XML footer offset ${xmlOffsetBig} is unusable: used the legacy header instead`);
    }
    return { xmlText: null, xmlOffset };
  }
  const len = fileLen - xmlOffset;
  const start = xmlStart(fd, xmlOffset, fileLen);
  if (start < 0) {
    if (isV3) {
      warnings.push(`XML footer offset ${xmlOffset} does not point at XML: used the legacy header instead`);
    }
    return { xmlText: null, xmlOffset };
  }
  if (len > MAX_XML_BYTES) {
    if (isV3) {
      fail(path, `XML footer of ${describeBytes(len)} is implausibly large (offset ${xmlOffset})`);
    }
    return { xmlText: null, xmlOffset };
  }
  const buf = Buffer.alloc(len);
  const gotXml = fs.readSync(fd, buf, 0, len, xmlOffset);
  if (gotXml < len) {
    fail(path, `could read only ${gotXml} of the ${len} XML footer bytes at offset ${xmlOffset}`);
  }
  // trailing NULs / padding after the document are dropped
  return {
    xmlText: buf
      .subarray(start)
      .toString('utf8')
      .replace(/[\0\s]+$/, ''),
    xmlOffset,
  };
}

/** The parsed footer and its Frame data block (null, with a warning, when it has none). */
function parseFooter(
  xmlText: string | null,
  warnings: string[],
): { xmlRoot: XmlElement | null; frameBlock: XmlElement | null } {
  if (xmlText === null) {
    return { xmlRoot: null, frameBlock: null };
  }
  const xmlRoot = parseXml(xmlText);
  const frameBlock = findFirst(xmlRoot, 'DataBlock', (e) => (e.attrs.type ?? '').toLowerCase() === 'frame');
  if (!frameBlock) {
    warnings.push('XML footer has no DataBlock type="Frame": used the legacy header instead');
  }
  return { xmlRoot, frameBlock };
}

interface ResolvedGeometry {
  geom: Geometry;
  geometrySource: 'xml' | 'header';
  sensorMapping: SpeInfoSensorMapping | null;
  regionCalibIds: string[];
}

/** Frame geometry from the XML Frame block when there is one, else from the legacy header. */
function readGeometry(
  path: string,
  head: ReturnType<typeof readHeader>,
  footer: ReturnType<typeof parseFooter>,
  xml: ReturnType<typeof readXmlFooter>,
  warnings: string[],
): ResolvedGeometry {
  const { xmlRoot, frameBlock } = footer;
  if (frameBlock && xmlRoot) {
    const r = geometryFromXml(path, head.hdr, frameBlock, xml.xmlOffset, warnings);
    const cal = calibrationsOf(xmlRoot);
    const sensorMapping = findSensorMapping(cal, r.calibIds[0], 0, r.geom.regions.length);
    if (r.geom.regions.length > 1) {
      stackRegions(r.geom, r.calibIds, cal, warnings);
    }
    warnFrameCountDisagreement(head.hdr, r.geom.frames, warnings);
    return { geom: r.geom, geometrySource: 'xml', sensorMapping, regionCalibIds: r.calibIds[0] };
  }
  const dataEnd = xml.xmlText !== null ? xml.xmlOffset : head.fileLen;
  const geom = geometryFromHeader(path, head.hdr, dataEnd, head.version, warnings);
  return { geom, geometrySource: 'header', sensorMapping: null, regionCalibIds: [] };
}

/** A 3.0 file whose legacy NumFrames disagrees with its XML Frame count: the XML is read, and a warning says so. */
function warnFrameCountDisagreement(hdr: Buffer, xmlFrames: number, warnings: string[]): void {
  const headerFrames = hdr.readInt32LE(SPE_OFFSETS.numFrames);
  if (headerFrames !== xmlFrames) {
    warnings.push(
      `the header says ${headerFrames} frame(s) (NumFrames at offset 1446) but the XML footer says ` +
        `${xmlFrames}: read ${xmlFrames}, as the XML says`,
    );
  }
}

/** Complete frames in the data: all declared, or (allowTruncated) all but an incomplete last one; else error. */
function countFrames(
  path: string,
  resolved: ResolvedGeometry,
  options: OpenSpeOptions,
  warnings: string[],
): { frames: number; declaredFrames: number } {
  const { geom, geometrySource } = resolved;
  const { stride, frameBlockSize, dataEnd } = geom;
  const declaredFrames = geom.frames;
  const available = dataEnd - SPE_HEADER_SIZE;
  // frame i is complete when 4100 + i·stride + frameBlockSize ≤ dataEnd
  const complete = available < frameBlockSize ? 0 : Math.floor((available - frameBlockSize) / stride) + 1;
  if (complete >= declaredFrames) {
    return { frames: declaredFrames, declaredFrames };
  }
  const need = SPE_HEADER_SIZE + (declaredFrames - 1) * stride + frameBlockSize;
  if (complete === declaredFrames - 1 && complete >= 1) {
    if (!options.allowTruncated) {
      fail(
        path,
        `truncated data: the last frame (${declaredFrames - 1}) is incomplete, ${complete} of ` +
          `${declaredFrames} frames are complete (the file has ${dataEnd} bytes, ${need} needed)`,
      );
    }
    warnings.push(
      `the last frame (${declaredFrames - 1}) is truncated: ${complete} complete frame(s) of ` +
        `${declaredFrames} read`,
    );
    return { frames: complete, declaredFrames };
  }
  fail(
    path,
    `truncated data: ${declaredFrames} frame(s) of ${geom.width}×${geom.height} ${geom.dataType} ` +
      `need ${need} bytes, the ${geometrySource === 'xml' ? 'data block ends at' : 'file has'} ${dataEnd}`,
  );
}

/** Wavelengths: the XML list (cropped by SensorMapping), else the legacy x-calibration polynomial. */
function readCalibration(
  hdr: Buffer,
  xmlRoot: XmlElement | null,
  resolved: ResolvedGeometry,
  warnings: string[],
): { wavelength: Float64Array | null; wavelengthSource: 'xml' | 'polynomial' | 'none'; polynomial: number[] | null } {
  const width = resolved.geom.width;
  const polynomial = readPolynomial(hdr);
  if (xmlRoot) {
    const fromXml = wavelengthFromXml(
      calibrationsOf(xmlRoot),
      resolved.regionCalibIds,
      width,
      resolved.sensorMapping,
      warnings,
    );
    if (fromXml) {
      return { wavelength: fromXml, wavelengthSource: 'xml', polynomial };
    }
  }
  if (!polynomial) {
    return { wavelength: null, wavelengthSource: 'none', polynomial };
  }
  const wavelength = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const pixel = i + 1;
    let v = 0;
    for (let k = polynomial.length - 1; k >= 0; k--) {
      v = v * pixel + polynomial[k];
    }
    wavelength[i] = v;
  }
  if (!wavelength.every(Number.isFinite)) {
    warnings.push('x-calibration polynomial gives non-finite wavelengths: ignored');
    return { wavelength: null, wavelengthSource: 'none', polynomial };
  }
  return { wavelength, wavelengthSource: 'polynomial', polynomial };
}

/** Exposure time in s: the XML (LightField, ms), else the legacy header float at offset 10. */
function readExposure(hdr: Buffer, xmlRoot: XmlElement | null): number | null {
  const fromXml = xmlRoot ? exposureFromXml(xmlRoot) : null;
  if (fromXml !== null) {
    return fromXml;
  }
  const e = hdr.readFloatLE(SPE_OFFSETS.exposure);
  return Number.isFinite(e) && e > 0 && e < 1e6 ? e : null;
}

/**
 * Per-frame metadata items (3.0) and, when frames carry an 8-byte TimeStamp, where the stamps lie (read on demand
 * by src/io/stamps.ts, not here).
 */
function readFrameMetadata(
  footer: ReturnType<typeof parseFooter>,
  resolved: ResolvedGeometry,
  frames: number,
  warnings: string[],
): { metadata: SpeMetaItem[]; stampLayout: StampLayout | null } {
  const { xmlRoot, frameBlock } = footer;
  if (!xmlRoot || !frameBlock || resolved.geometrySource !== 'xml') {
    return { metadata: [], stampLayout: null };
  }
  const { stride, frameBlockSize, dataEnd } = resolved.geom;
  const metadata = metadataFromXml(xmlRoot, frameBlock, stride - frameBlockSize, warnings);
  const ts =
    metadata.find((m) => m.kind === 'TimeStamp' && (m.event ?? '').toLowerCase() === 'exposurestarted') ??
    metadata.find((m) => m.kind === 'TimeStamp');
  if (!ts || !ts.resolution || ts.resolution <= 0 || ts.bytes !== 8) {
    return { metadata, stampLayout: null };
  }
  const stampLayout: StampLayout = {
    frames,
    dataOffset: SPE_HEADER_SIZE,
    stride,
    offsetInFrame: frameBlockSize + ts.offset,
    dataEnd,
    resolution: ts.resolution,
    unsigned: ts.type.toLowerCase().startsWith('u'),
  };
  return { metadata, stampLayout };
}

function openFd(path: string, fd: number, options: OpenSpeOptions): SpeFile {
  const warnings: string[] = [];
  const head = readHeader(path, fd);
  const xml = readXmlFooter(path, fd, head, warnings);
  const footer = parseFooter(xml.xmlText, warnings);
  const resolved = readGeometry(path, head, footer, xml, warnings);
  const { frames, declaredFrames } = countFrames(path, resolved, options, warnings);
  const calibration = readCalibration(head.hdr, footer.xmlRoot, resolved, warnings);
  const exposureTime = readExposure(head.hdr, footer.xmlRoot);
  const { metadata, stampLayout } = readFrameMetadata(footer, resolved, frames, warnings);
  const acquisition = footer.xmlRoot ? acquisitionFromXml(footer.xmlRoot) : NO_ACQUISITION_FACTS;
  const { geom } = resolved;
  return new SpeReader(fd, stampLayout, {
    path,
    version: Number.isFinite(head.version) ? head.version : 0,
    width: geom.width,
    height: geom.height,
    frames,
    dataType: geom.dataType,
    bytesPerPixel: BYTES_PER_PIXEL[geom.dataType],
    frameStride: geom.stride,
    dataOffset: SPE_HEADER_SIZE,
    exposureTime,
    ...calibration,
    xml: xml.xmlText,
    frameSize: geom.frameSize,
    fullScale: FULL_SCALE[geom.dataType],
    geometrySource: resolved.geometrySource,
    regions: geom.regions,
    metadata,
    sensorMapping: resolved.sensorMapping,
    declaredFrames,
    warnings,
    format: 'spe',
    ...acquisition,
  });
}

type SpeInfoSensorMapping = { x: number; y: number; width: number; height: number; xBinning: number; yBinning: number };

function geometryFromHeader(path: string, hdr: Buffer, dataEnd: number, version: number, warnings: string[]): Geometry {
  const code = hdr.readInt16LE(SPE_OFFSETS.datatype);
  const dataType = SPE_TYPE_CODES[code];
  const vtxt = Number.isFinite(version) ? `version ${version}` : 'no version';
  if (!dataType) {
    fail(path, `not an SPE file or corrupt header: unknown data type code ${code} at offset 108 (${vtxt})`);
  }
  const width = hdr.readUInt16LE(SPE_OFFSETS.xdim);
  const height = hdr.readUInt16LE(SPE_OFFSETS.ydim);
  let frames = hdr.readInt32LE(SPE_OFFSETS.numFrames);
  if (width === 0) {
    fail(path, 'header says zero width (xdim = 0 at offset 42)');
  }
  if (height === 0) {
    fail(path, 'header says zero height (ydim = 0 at offset 656)');
  }
  const bpp = BYTES_PER_PIXEL[dataType];
  const size = width * height * bpp;
  if (frames <= 0) {
    // early WinSpec/WinView files leave NumFrames at 0 (the count was kept in lnoscan at 664): take the count
    // from the data length when it is a whole number of frames, else refuse
    const avail = dataEnd - SPE_HEADER_SIZE;
    if (frames === 0 && avail >= size && avail % size === 0) {
      frames = avail / size;
      warnings.push(`header says 0 frames (NumFrames at offset 1446): ${frames} frame(s) taken from the data length`);
    } else {
      fail(path, `header says ${frames} frames (NumFrames at offset 1446)`);
    }
  }
  return {
    width,
    height,
    frames,
    dataType,
    frameSize: size,
    frameBlockSize: size,
    stride: size,
    dataEnd,
    regions: [{ width, height, size }],
  };
}

function geometryFromXml(
  path: string,
  hdr: Buffer,
  frame: XmlElement,
  xmlOffset: number,
  warnings: string[],
): { geom: Geometry; calibIds: string[][] } {
  // data type: pixelFormat, else the header code
  const pf = (frame.attrs.pixelFormat ?? '').trim();
  let dataType: SpeDataType | undefined = PIXEL_FORMATS[pf.toLowerCase().replace(/^monochrome/, '')];
  if (!dataType) {
    dataType = SPE_TYPE_CODES[hdr.readInt16LE(SPE_OFFSETS.datatype)];
    if (!dataType) {
      fail(path, `unknown pixelFormat "${pf}" in the XML footer and no valid data type in the header`);
    }
    if (pf) {
      warnings.push(`unknown pixelFormat "${pf}": used the header data type ${dataType}`);
    }
  }
  const bpp = BYTES_PER_PIXEL[dataType];
  const count = parseIntAttr(frame.attrs.count);
  if (count === null) {
    fail(path, `XML Frame block has no valid count ("${frame.attrs.count ?? ''}")`);
  }
  if (count <= 0) {
    fail(path, `XML Frame block says ${count} frames`);
  }

  const regionEls = findAll(frame, 'DataBlock', (e) => (e.attrs.type ?? '').toLowerCase() === 'region');
  const regions: SpeRegion[] = [];
  let calibIds: string[][] = [[]];
  if (regionEls.length === 0) {
    // no region: the legacy header dims
    const width = hdr.readUInt16LE(SPE_OFFSETS.xdim);
    const height = hdr.readUInt16LE(SPE_OFFSETS.ydim);
    if (width === 0 || height === 0) {
      fail(path, 'XML Frame block has no Region and the header says zero width/height');
    }
    regions.push({ width, height, size: width * height * bpp });
    warnings.push('XML Frame block has no Region: used the header dimensions');
  } else {
    for (const [k, r] of regionEls.entries()) {
      const width = parseIntAttr(r.attrs.width);
      const height = parseIntAttr(r.attrs.height);
      if (width === null || height === null) {
        fail(path, `XML Region ${k + 1} has no valid width/height`);
      }
      if (width === 0) {
        fail(path, `XML Region ${k + 1} has zero width`);
      }
      if (height === 0) {
        fail(path, `XML Region ${k + 1} has zero height`);
      }
      const declared = parseIntAttr(r.attrs.size);
      const size = width * height * bpp;
      if (declared !== null && declared !== size) {
        warnings.push(`Region ${k + 1} size ${declared} ≠ width·height·bpp = ${size}: used the latter`);
      }
      regions.push({ width, height, size });
    }
    calibIds = regionEls.map((r) =>
      (r.attrs.calibrations ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );
  }
  const regionsBytes = regions.reduce((s, r) => s + r.size, 0);
  let size = parseIntAttr(frame.attrs.size);
  if (size === null) {
    size = regionsBytes;
  }
  if (size < regionsBytes) {
    fail(path, `XML Frame size ${size} is smaller than its regions (${regionsBytes} bytes)`);
  }
  let stride = parseIntAttr(frame.attrs.stride);
  if (stride === null) {
    stride = size;
  }
  if (stride < size) {
    fail(path, `XML Frame stride ${stride} is smaller than the frame size ${size}`);
  }
  return {
    geom: {
      width: regions[0].width,
      height: regions[0].height,
      frames: count,
      dataType,
      frameSize: regions[0].size,
      frameBlockSize: size,
      stride,
      dataEnd: xmlOffset,
      regions,
    },
    calibIds,
  };
}

/**
 * Several regions in a frame. When they all have the same width and map to the same sensor columns (same
 * SensorMapping x/width/xBinning, or no mapping at all), they are stacked into one frame of Σ heights rows, in
 * file order (region k's rows follow region k−1's): readFrame/readRows see all of them, and one wavelength list
 * holds for every row. Otherwise only the first region is exposed (readRegionFrame reads the others).
 */
function stackRegions(geom: Geometry, calibIds: string[][], cal: XmlElement, warnings: string[]): void {
  const { regions } = geom;
  const maps = calibIds.map((ids, k) => {
    const el = sensorMappingEl(cal, ids, k, regions.length);
    return el ? `${el.attrs.x ?? 0}/${el.attrs.width ?? ''}/${el.attrs.xBinning ?? 1}` : null;
  });
  const sameWidth = regions.every((r) => r.width === regions[0].width);
  const sameColumns = maps.every((m) => m === maps[0]);
  if (sameWidth && sameColumns) {
    let row = 0;
    for (const r of regions) {
      r.rows = [row, row + r.height - 1];
      row += r.height;
    }
    geom.height = row;
    geom.frameSize = regions.reduce((t, r) => t + r.size, 0);
  } else {
    warnings.push(
      `${regions.length} regions of interest of different widths or sensor columns in each frame: ` +
        `only the first (${regions[0].width}×${regions[0].height}) is read by readFrame`,
    );
  }
}

/**
 * The footer's own Calibrations element (the first one, a child of SpeFormat), so that look-alike elements in the
 * DataHistories (e.g. `<Wavelength type="LightUnit">Nanometers</Wavelength>` in export settings) are never taken.
 */
function calibrationsOf(root: XmlElement): XmlElement {
  const top = root.children.find((c) => c.name === 'SpeFormat');
  return top?.children.find((c) => c.name === 'Calibrations') ?? findFirst(root, 'Calibrations') ?? root;
}

/**
 * The SensorMapping of region k: the one whose id the region's `calibrations` list names; else, when there is one
 * SensorMapping per region (files whose Regions carry no `calibrations`), the k-th in document order, as
 * Princeton Instruments' own sample reader pairs them; else the first (for region 0 only).
 */
function sensorMappingEl(cal: XmlElement, ids: string[], k: number, nRegions: number): XmlElement | null {
  const all = findAll(cal, 'SensorMapping');
  if (all.length === 0) {
    return null;
  }
  const byId = all.find((e) => ids.includes((e.attrs.id ?? '').trim()));
  if (byId) {
    return byId;
  }
  if (all.length === nRegions) {
    return all[k];
  }
  return k === 0 ? all[0] : null;
}

function findSensorMapping(
  root: XmlElement,
  calibIds: string[],
  k: number,
  nRegions: number,
): SpeInfoSensorMapping | null {
  const el = sensorMappingEl(root, calibIds, k, nRegions);
  if (!el) {
    return null;
  }
  const x = parseIntAttr(el.attrs.x) ?? 0;
  const y = parseIntAttr(el.attrs.y) ?? 0;
  const width = parseIntAttr(el.attrs.width);
  const height = parseIntAttr(el.attrs.height);
  if (width === null || height === null || width === 0) {
    return null;
  }
  return {
    x,
    y,
    width,
    height,
    xBinning: Math.max(1, parseIntAttr(el.attrs.xBinning) ?? 1),
    yBinning: Math.max(1, parseIntAttr(el.attrs.yBinning) ?? 1),
  };
}

function wavelengthFromXml(
  root: XmlElement,
  calibIds: string[],
  width: number,
  sm: SpeInfoSensorMapping | null,
  warnings: string[],
): Float64Array | null {
  const maps = findAll(root, 'WavelengthMapping');
  if (maps.length === 0) {
    return null;
  }
  const map = maps.find((e) => calibIds.includes((e.attrs.id ?? '').trim())) ?? maps[0];
  let list: number[] | null = null;
  const wl = findFirst(map, 'Wavelength');
  if (wl) {
    list = parseNumberList(deepText(wl));
  }
  if (!list) {
    const we = findFirst(map, 'WavelengthError');
    if (we) {
      list = parseWavelengthErrorList(deepText(we));
    }
  }
  if (!list) {
    if (wl || findFirst(map, 'WavelengthError')) {
      warnings.push('wavelength list in the XML footer is not numeric: ignored');
    }
    return null;
  }
  if (list.length === width) {
    return Float64Array.from(list);
  }
  // a list for the full sensor: crop with SensorMapping (x, width in sensor pixels, xBinning)
  if (sm && sm.x + sm.width <= list.length) {
    const crop = list.slice(sm.x, sm.x + sm.width);
    if (crop.length === width) {
      return Float64Array.from(crop);
    }
    if (sm.xBinning > 1 && Math.floor(crop.length / sm.xBinning) === width) {
      const out = new Float64Array(width);
      for (let i = 0; i < width; i++) {
        let s = 0;
        for (let k = 0; k < sm.xBinning; k++) {
          s += crop[i * sm.xBinning + k];
        }
        out[i] = s / sm.xBinning;
      }
      return out;
    }
  }
  warnings.push(
    `wavelength list has ${list.length} values for ${width} pixels and no SensorMapping that maps them: ignored`,
  );
  return null;
}

function exposureFromXml(root: XmlElement): number | null {
  // LightField: Experiment/Devices/Cameras/Camera/ShutterTiming/ExposureTime, in ms. The Experiment also has a
  // System/Cameras element (model, serial number) that may come first, so ShutterTiming is searched everywhere
  // first; then any ExposureTime under a Cameras element; then any ExposureTime at all.
  const candidates = findAll(root, 'ShutterTiming').flatMap((st) => findAll(st, 'ExposureTime'));
  for (const cams of findAll(root, 'Cameras')) {
    candidates.push(...findAll(cams, 'ExposureTime'));
  }
  candidates.push(...findAll(root, 'ExposureTime'));
  for (const e of candidates) {
    const t = deepText(e).trim();
    const v = Number(t);
    if (t !== '' && Number.isFinite(v) && v >= 0) {
      return v / 1000;
    } // LightField: ms
  }
  return null;
}

function metadataFromXml(root: XmlElement, frame: XmlElement, room: number, warnings: string[]): SpeMetaItem[] {
  const formats = findFirst(root, 'MetaFormat');
  if (!formats) {
    return [];
  }
  const blocks = findAll(formats, 'MetaBlock');
  if (blocks.length === 0) {
    return [];
  }
  const id = (frame.attrs.metaFormat ?? '').trim();
  const block = blocks.find((b) => (b.attrs.id ?? '').trim() === id) ?? blocks[0];
  const items: SpeMetaItem[] = [];
  let offset = 0;
  for (const c of block.children) {
    const bits = parseIntAttr(c.attrs.bitDepth) ?? 64;
    const bytes = Math.ceil(bits / 8);
    const res = c.attrs.resolution !== undefined ? Number(c.attrs.resolution) : NaN;
    items.push({
      kind: c.name,
      event: c.attrs.event ?? c.attrs.component ?? null,
      offset,
      bytes,
      type: c.attrs.type ?? 'Int64',
      resolution: Number.isFinite(res) && res > 0 ? res : null,
    });
    offset += bytes;
  }
  if (offset > room) {
    warnings.push(`per-frame metadata needs ${offset} bytes but the frame stride leaves ${room}: metadata ignored`);
    return [];
  }
  return items;
}

function readPolynomial(hdr: Buffer): number[] | null {
  const coeffs: number[] = [];
  for (let k = 0; k < 6; k++) {
    coeffs.push(hdr.readDoubleLE(SPE_OFFSETS.polyCoeffs + 8 * k));
  }
  let order = hdr.readInt8(SPE_OFFSETS.polyOrder);
  if (!(order >= 1 && order <= 5)) {
    // order byte not set: the highest non-zero coefficient decides
    order = 0;
    for (let k = 5; k >= 1; k--) {
      if (coeffs[k] !== 0 && Number.isFinite(coeffs[k])) {
        order = k;
        break;
      }
    }
    if (order === 0) {
      return null;
    }
  }
  const used = coeffs.slice(0, order + 1);
  if (!used.every((c) => Number.isFinite(c) && Math.abs(c) < 1e12)) {
    return null;
  }
  if (used.slice(1).every((c) => c === 0)) {
    return null;
  }
  // the identity (pixel → pixel number) is WinSpec's "no calibration", not wavelengths
  if (used[0] === 0 && used[1] === 1 && used.slice(2).every((c) => c === 0)) {
    return null;
  }
  return used;
}

/** What openFd hands the reader: its fields, without the methods and what the reader makes itself. */
type SpeReaderInfo = Omit<
  SpeReader,
  'readFrame' | 'readRows' | 'close' | 'readRowsInto' | 'readFrameInto' | 'readRegionFrame' | 'stamps' | 'frameTimes'
>;

class SpeReader implements SpeFile {
  path!: string;
  version!: number;
  width!: number;
  height!: number;
  frames!: number;
  dataType!: SpeDataType;
  bytesPerPixel!: number;
  frameStride!: number;
  dataOffset!: number;
  exposureTime!: number | null;
  wavelength!: Float64Array | null;
  wavelengthSource!: 'xml' | 'polynomial' | 'none';
  readonly stamps: FrameStamps | null;
  xml!: string | null;
  frameSize!: number;
  fullScale!: number | null;
  geometrySource!: 'xml' | 'header';
  regions!: SpeRegion[];
  metadata!: SpeMetaItem[];
  sensorMapping!: SpeInfoSensorMapping | null;
  polynomial!: number[] | null;
  declaredFrames!: number;
  warnings!: string[];
  format!: 'spe';
  camera!: CameraInfo | null;
  backgroundCorrected!: boolean;
  backgroundReference!: string | null;
  frameRate!: number | null;
  private fd: number | null;
  private scratch: ArrayBuffer;

  constructor(fd: number, stampLayout: StampLayout | null, info: SpeReaderInfo) {
    Object.assign(this, info);
    this.fd = fd;
    this.scratch = new ArrayBuffer(0);
    this.stamps = stampLayout
      ? new SpeFrameStamps(
          stampLayout,
          readAtOf(this.path, () => this.fd),
        )
      : null;
  }

  /** Every frame's time stamp in s (read on first access), or null when the frames carry none. */
  get frameTimes(): Float64Array | null {
    return this.stamps ? this.stamps.all() : null;
  }

  private checkFrame(i: number): void {
    if (this.fd === null) {
      throw new InputFileError(this.path, 'file already closed');
    }
    if (!Number.isInteger(i) || i < 0 || i >= this.frames) {
      throw new InputFileError(this.path, `frame ${i} does not exist (the file has ${this.frames} frame(s), 0-based)`);
    }
  }

  /** Read `rows` rows starting at row a of frame i into `out` (float64), summing when sum = true. */
  private readInto(i: number, a: number, rows: number, out: Float64Array, sum: boolean): void {
    const w = this.width;
    const bpp = this.bytesPerPixel;
    const n = rows * w * bpp;
    if (this.scratch.byteLength < n) {
      this.scratch = new ArrayBuffer(n);
    }
    this.readBytes(
      new Uint8Array(this.scratch, 0, n),
      this.dataOffset + i * this.frameStride + a * w * bpp,
      `frame ${i}`,
    );
    const count = rows * w;
    const src = pixelsOf(this.scratch, this.dataType, count);
    if (!sum) {
      // a typed array's set converts in the builtin (the lamp's and dark's frames are read here, cold)
      out.set(src);
    } else {
      for (let r = 0; r < rows; r++) {
        const base = r * w;
        for (let k = 0; k < w; k++) {
          out[k] += src[base + k];
        }
      }
    }
  }

  /** Fill `u8` from byte `pos` of the file (all of it, or an InputFileError naming the file and `what`). */
  private readBytes(u8: Uint8Array, pos: number, what: string): void {
    const n = u8.length;
    let got = 0;
    try {
      while (got < n) {
        const r = fs.readSync(this.fd as number, u8, got, n - got, pos + got);
        if (r <= 0) {
          break;
        }
        got += r;
      }
    } catch (e) {
      throw new InputFileError(this.path, `cannot read ${what}: ${(e as Error).message}`);
    }
    if (got < n) {
      throw new InputFileError(this.path, `${what} is truncated (read ${got} of ${n} bytes)`);
    }
  }

  readFrame(i: number): Float64Array {
    const out = new Float64Array(this.width * this.height);
    this.readFrameInto(i, out);
    return out;
  }

  /** Like readFrame, into a caller's buffer of length width·height (no allocation). */
  readFrameInto(i: number, out: Float64Array): Float64Array {
    this.checkFrame(i);
    if (out.length < this.width * this.height) {
      throw new RangeError('readFrameInto: output buffer too small');
    }
    this.readInto(i, 0, this.height, out, false);
    return out;
  }

  /**
   * Frame i of region k (0-based) of a multi-region 3.0 file, as float64 (height_k × width_k).
   */
  readRegionFrame(i: number, k: number): Float64Array {
    this.checkFrame(i);
    const regions = this.regions;
    if (!Number.isInteger(k) || k < 0 || k >= regions.length) {
      throw new InputFileError(this.path, `region ${k} does not exist (the file has ${regions.length})`);
    }
    let offset = 0;
    for (let r = 0; r < k; r++) {
      offset += regions[r].size;
    }
    const { width, height, size } = regions[k];
    const buf = new ArrayBuffer(size);
    this.readBytes(new Uint8Array(buf), this.dataOffset + i * this.frameStride + offset, `frame ${i} region ${k}`);
    return Float64Array.from(pixelsOf(buf, this.dataType, width * height));
  }

  readRows(i: number, a: number, b: number): Float64Array {
    return this.readRowsInto(i, a, b, new Float64Array(this.width));
  }

  /** Like readRows, into a caller's buffer of length width (overwritten). */
  readRowsInto(i: number, a: number, b: number, out: Float64Array): Float64Array {
    this.checkFrame(i);
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a || b >= this.height) {
      throw new InputFileError(
        this.path,
        `rows ${a}:${b} are outside the frame (rows 0:${this.height - 1}, inclusive, 0-based)`,
      );
    }
    if (out.length < this.width) {
      throw new RangeError('readRowsInto: output buffer too small');
    }
    out.fill(0, 0, this.width);
    this.readInto(i, a, b - a + 1, out, true);
    return out;
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = null;
    }
  }
}

export type { SpeFile } from './types';
