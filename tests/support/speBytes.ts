/**
 * Builds SPE files byte by byte for the tests, from the published layout (domain.md §7), independently of
 * src/io/speWriter.ts: header fields at their offsets, raw little-endian data, an XML footer written by hand.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const TYPE_CODE = { float32: 0, int32: 1, int16: 2, uint16: 3, float64: 5, uint8: 6, uint32: 8 } as const;
export type TypeName = keyof typeof TYPE_CODE;
export const BPP: Record<TypeName, number> = {
  float32: 4,
  int32: 4,
  int16: 2,
  uint16: 2,
  float64: 8,
  uint8: 1,
  uint32: 4,
};

export interface HeaderFields {
  xdim?: number;
  ydim?: number;
  datatype?: number;
  frames?: number;
  version?: number;
  xmlOffset?: number | bigint;
  exposure?: number;
  polyOrder?: number;
  coeffs?: number[];
}

export function header(h: HeaderFields): Buffer {
  const b = Buffer.alloc(4100);
  if (h.exposure !== undefined) {
    b.writeFloatLE(h.exposure, 10);
  }
  b.writeUInt16LE(h.xdim ?? 0, 42);
  b.writeInt16LE(h.datatype ?? 3, 108);
  b.writeUInt16LE(h.ydim ?? 0, 656);
  b.writeBigUInt64LE(BigInt(h.xmlOffset ?? 0), 678);
  b.writeInt32LE(h.frames ?? 1, 1446);
  b.writeFloatLE(h.version ?? 2.2, 1992);
  if (h.polyOrder !== undefined) {
    b.writeInt8(h.polyOrder, 3101);
  }
  (h.coeffs ?? []).forEach((c, k) => b.writeDoubleLE(c, 3263 + 8 * k));
  b.writeUInt16LE(0x5555, 4098);
  return b;
}

/** Encode values little-endian in the given type. */
export function encode(type: TypeName, values: number[]): Buffer {
  const bpp = BPP[type];
  const b = Buffer.alloc(values.length * bpp);
  values.forEach((v, k) => {
    const o = k * bpp;
    switch (type) {
      case 'float32':
        b.writeFloatLE(v, o);
        break;
      case 'float64':
        b.writeDoubleLE(v, o);
        break;
      case 'int32':
        b.writeInt32LE(v, o);
        break;
      case 'uint32':
        b.writeUInt32LE(v, o);
        break;
      case 'int16':
        b.writeInt16LE(v, o);
        break;
      case 'uint16':
        b.writeUInt16LE(v, o);
        break;
      case 'uint8':
        b.writeUInt8(v, o);
        break;
    }
  });
  return b;
}

export function int64(values: number[]): Buffer {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, k) => b.writeBigInt64LE(BigInt(v), 8 * k));
  return b;
}

let dir: string | null = null;
export function tmpDir(): string {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-spe-'));
  }
  return dir;
}

export function writeFile(name: string, ...parts: (Buffer | string)[]): string {
  const p = path.join(tmpDir(), name);
  fs.writeFileSync(p, Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x))));
  return p;
}

/** A 3.0 file: header (legacy fields as given), data, XML footer; the XML offset is filled in. */
export function v3File(name: string, h: HeaderFields, data: Buffer, xml: string): string {
  const off = 4100 + data.length;
  return writeFile(name, header({ version: 3, ...h, xmlOffset: h.xmlOffset ?? off }), data, xml);
}

export function xmlDoc(inner: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<SpeFormat version="3.0" xmlns="http://www.princetoninstruments.com/spe/2009">' +
    inner +
    '</SpeFormat>'
  );
}
