// formatFramesJson (types.ts FramesJsonInput): a batch of frame results in columns as JSON text, natively
// (native/json_binding.cc, numbers by native/jsonText.h) and in TypeScript (jsEngine.ts). Both must give, byte for
// byte, what JSON.stringify writes for the equivalent frame objects — built here independently of either — and the
// native numbers must be String(x) for every finite double (2^20 random bit patterns and the special values).
import { describe, expect, it } from 'vitest';
import { FitArgumentError } from '../../src/errors';
import { wrapNative, type NativeAddon } from '../../src/physics/engine';
import {
  FRAME_FLAG_ORDER,
  getEngine,
  jsEngine,
  loadNative,
  nativeAvailable,
  type FramesJsonInput,
  type PhysicsEngine,
} from '../../src/physics';
import { randomBits } from '../support/randomBits';
import { thrownBy } from '../support/thrown';

const hasNative = nativeAvailable() && typeof getEngine('native').formatFramesJson === 'function';
if (!hasNative) {
  console.warn('framesJson.test.ts: native addon not built (or without formatFramesJson): native cases skipped');
}
const engines: [string, PhysicsEngine][] = [
  ['js', jsEngine],
  ...(hasNative ? [['native', getEngine('native')] as [string, PhysicsEngine]] : []),
];

function format(engine: PhysicsEngine, input: FramesJsonInput): Uint8Array {
  const f = engine.formatFramesJson;
  if (f === undefined) {
    throw new Error(`engine ${engine.name} has no formatFramesJson`);
  }
  return f(input);
}

const decode = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

/** The frames as objects, built from the columns by the contract (types.ts), and their JSON.stringify text. */
function expectedText(input: FramesJsonInput, names: readonly string[] | null): string {
  const flagList = (bits: number): string[] => FRAME_FLAG_ORDER.filter((_n, k) => (bits & (1 << k)) !== 0);
  const frames: unknown[] = [];
  for (let f = 0; f < input.n; f++) {
    const s = f * input.nRois;
    const frame: Record<string, unknown> = {
      index: input.index[f],
      time: input.time[f],
      power: input.power[f],
      temperature: input.temperature[s],
      temperatureError: input.temperatureError[s],
      chi2: input.chi2[s],
      flags: flagList(input.flags[s]),
      twoColor: Number.isFinite(input.twoColorMean[f])
        ? { mean: input.twoColorMean[f], std: input.twoColorStd[f] }
        : null,
    };
    if (input.nRois > 1 && names !== null) {
      const rois: Record<string, unknown> = {};
      names.forEach((name, r) => {
        rois[name] = {
          temperature: input.temperature[s + r],
          temperatureError: input.temperatureError[s + r],
          chi2: input.chi2[s + r],
          flags: flagList(input.flags[s + r]),
        };
      });
      frame.rois = rois;
    }
    frames.push(frame);
  }
  const text = frames.map((frame) => JSON.stringify(frame)).join(',');
  return input.leadingComma && input.n > 0 ? `,${text}` : text;
}

/** Values that test the number text: non-finite, signed zeros, the layout's boundaries. */
const AWKWARD = [
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  1,
  -1,
  0.1 + 0.2,
  1e21,
  -1e21,
  999999999999999900000,
  1.5e-7,
  1e-7,
  0.000001,
  123456789012345680000,
  Number.MIN_VALUE,
  -Number.MAX_VALUE,
  2 ** 53,
  2 ** 53 + 2,
  1834.2569999999998,
  273.15,
];

/** A batch of n frames and nRois ROIs whose values cycle through AWKWARD and whose flags cover every combination. */
function handMade(n: number, roiNames: string[] | null, leadingComma: boolean): FramesJsonInput {
  const nRois = roiNames === null ? 1 : roiNames.length;
  const pick = (i: number, shift: number): number => AWKWARD[(i * 7 + shift) % AWKWARD.length];
  const col = (length: number, shift: number): Float64Array => Float64Array.from({ length }, (_v, i) => pick(i, shift));
  const twoColorMean = col(n, 3);
  const twoColorStd = col(n, 5);
  for (let f = 0; f < n; f += 4) {
    twoColorMean[f] = 1500 + f; // finite means with every std, NaN included
  }
  return {
    n,
    nRois,
    roiKeys: roiNames === null ? null : roiNames.map((name) => JSON.stringify(name)),
    index: Float64Array.from({ length: n }, (_v, f) => (f === 3 ? -0 : f === 5 ? NaN : f)),
    time: col(n, 1),
    power: col(n, 2),
    temperature: col(n * nRois, 4),
    temperatureError: col(n * nRois, 6),
    chi2: col(n * nRois, 8),
    flags: Uint8Array.from({ length: n * nRois }, (_v, i) => (i * 5) % 64),
    twoColorMean,
    twoColorStd,
    leadingComma,
  };
}

const ROI_NAMES = ['a"b', 'température 😀', 'back\\slash/\u0001\n\t\u2028'];

describe.each(engines)('formatFramesJson (%s engine) = JSON.stringify of the frame objects', (_name, engine) => {
  it.each([false, true])('one ROI, every flag combination and awkward number (leadingComma %s)', (leadingComma) => {
    const input = handMade(128, null, leadingComma);
    const bytes = format(engine, input);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const want = expectedText(input, null);
    expect(decode(bytes)).toBe(want);
    expect(Buffer.from(bytes).equals(Buffer.from(want, 'utf8'))).toBe(true);
    expect(JSON.parse(`[${leadingComma ? want.slice(1) : want}]`)).toHaveLength(128);
  });

  it.each([false, true])('three ROIs with names needing escapes and non-ASCII (leadingComma %s)', (leadingComma) => {
    const input = handMade(70, ROI_NAMES, leadingComma);
    const bytes = format(engine, input);
    const want = expectedText(input, ROI_NAMES);
    expect(decode(bytes)).toBe(want);
    expect(Buffer.from(bytes).equals(Buffer.from(want, 'utf8'))).toBe(true);
  });

  it('a single frame, and the twoColor cases: null mean, infinite mean, NaN std', () => {
    for (const [mean, std] of [
      [NaN, 3],
      [Infinity, 3],
      [-Infinity, NaN],
      [2000.5, NaN],
      [2000.5, -Infinity],
      [-0, -0],
    ]) {
      const input = handMade(1, null, false);
      input.twoColorMean[0] = mean;
      input.twoColorStd[0] = std;
      expect(decode(format(engine, input))).toBe(expectedText(input, null));
    }
  });

  it.each([
    [null, false],
    [null, true],
    [ROI_NAMES, true],
  ])('an empty batch (roiKeys %j, leadingComma %s) is empty bytes', (names, leadingComma) => {
    const bytes = format(engine, handMade(0, names, leadingComma));
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBe(0);
  });
});

/** The next double up (toward +Infinity) or down. */
function nextAfter(x: number, up: boolean): number {
  if (x === 0) {
    return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/** The special values of the number test, each with its neighbours, both signs. */
function specialValues(): number[] {
  const base: number[] = [
    0,
    Number.MIN_VALUE, // 5e-324
    2 * Number.MIN_VALUE,
    2.2250738585072014e-308, // the least normal
    2.225073858507201e-308, // the greatest subnormal
    1e-310,
    4.9406564584124654e-324,
    Number.MAX_VALUE,
    1e21,
    1e-7,
    1e-6,
    0.1 + 0.2,
    0.1,
    1 / 3,
    Math.PI,
    2 ** 53,
    2 ** 53 - 1,
    2 ** 54,
    2 ** 63,
    2 ** 64,
    2 ** 70,
    123456789012345680000,
    5e-324,
    1.7976931348623157e308,
  ];
  for (let e = -30; e <= 30; e++) {
    base.push(Number(`1e${e}`));
  }
  for (let e = -340; e <= 308; e += 7) {
    base.push(Number(`1.2345678901234567e${e}`), Number(`5e${e}`), Number(`9.5e${e}`));
  }
  for (let k = -64; k <= 64; k++) {
    base.push(2 ** 53 + k, 2 ** 53 + 2 * k, 2 ** 54 + 4 * k, 2 ** 60 + 256 * k, 1e21 + 65536 * k, 2 ** k);
  }
  const out: number[] = [];
  for (const x of base) {
    for (const v of [x, nextAfter(x, true), nextAfter(x, false)]) {
      out.push(v, -v);
    }
  }
  return out;
}

/** Frames whose only varying number is the temperature: the texts of `values` as the engine wrote them. */
function numberTexts(engine: PhysicsEngine, values: Float64Array): string[] {
  const n = values.length;
  const zero = new Float64Array(n);
  const nan = new Float64Array(n).fill(NaN);
  const text = decode(
    format(engine, {
      n,
      nRois: 1,
      roiKeys: null,
      index: zero,
      time: zero,
      power: zero,
      temperature: values,
      temperatureError: nan,
      chi2: nan,
      flags: new Uint8Array(n),
      twoColorMean: nan,
      twoColorStd: nan,
      leadingComma: false,
    }),
  );
  const head = '{"index":0,"time":0,"power":0,"temperature":';
  const tail = ',"temperatureError":null,"chi2":null,"flags":[],"twoColor":null}';
  const parts = text.split(`${tail},${head}`);
  expect(parts).toHaveLength(n);
  parts[0] = parts[0].slice(head.length);
  parts[n - 1] = parts[n - 1].slice(0, -tail.length);
  return parts;
}

/** The values whose text differs from String(x) (at most 10 shown). */
function mismatches(engine: PhysicsEngine, values: Float64Array): string[] {
  const texts = numberTexts(engine, values);
  const bad: string[] = [];
  values.forEach((x, i) => {
    const want = Number.isFinite(x) ? String(x) : 'null';
    if (texts[i] !== want && bad.length < 10) {
      bad.push(`${want} written as ${texts[i]}`);
    }
  });
  return bad;
}

describe.each(engines)('number text (%s engine) = String(x)', (name, engine) => {
  it('on the special values and their neighbours', () => {
    const values = Float64Array.from([...specialValues(), NaN, Infinity, -Infinity]);
    expect(mismatches(engine, values)).toEqual([]);
  });

  it.runIf(name === 'native')('on 2^20 random finite bit patterns', () => {
    const all = new Float64Array(randomBits(1 << 20, 0x9e3779b97f4a7c15n).buffer).filter((x) => Number.isFinite(x));
    expect(all.length).toBeGreaterThan(1 << 19);
    const chunk = 1 << 16;
    const bad: string[] = [];
    for (let at = 0; at < all.length; at += chunk) {
      bad.push(...mismatches(engine, all.subarray(at, at + chunk).slice()));
    }
    expect(bad).toEqual([]);
  });

  it.runIf(name === 'native')('on m·5^j·2^e (exact decimals ending in 5: where equally short digits can tie)', () => {
    const bits = randomBits(22 * 171 * 20, 777n);
    const values: number[] = [];
    let at = 0;
    for (let j = 1; j <= 22; j++) {
      const maxM = Math.floor(2 ** 53 / 5 ** j);
      for (let e = -80; e <= 90; e++) {
        for (let t = 0; t < 10; t++) {
          const m = 1 + (Number(bits[at++] >> 11n) % maxM);
          values.push(m * 5 ** j * 2 ** e, (maxM - t) * 5 ** j * 2 ** e);
        }
      }
    }
    expect(mismatches(engine, Float64Array.from(values))).toEqual([]);
  });

  it.runIf(name === 'native')('on 2^18 random values of the ranges a frame holds (temperatures, times, χ²)', () => {
    const bits = randomBits(1 << 18, 12345n);
    // uniform in [0, 1) with 53 random bits, times a frame's scales (one in 7 negative, as a χ² never is but a
    // power reading may be)
    const values = Float64Array.from({ length: bits.length }, (_v, i) => {
      const u = Number(bits[i] >> 11n) / 2 ** 53;
      return u * [3000, 1e-3, 1e6, 1, 1e-9, 12.5, -40][i % 7];
    });
    expect(mismatches(engine, values)).toEqual([]);
  });
});

/** A valid one-ROI input of 2 frames, with `patch` applied. */
function withPatch(patch: Record<string, unknown>): FramesJsonInput {
  return { ...handMade(2, null, false), ...patch } as unknown as FramesJsonInput;
}
const three = (patch: Record<string, unknown>): FramesJsonInput =>
  ({ ...handMade(2, ['a', 'b', 'c'], false), ...patch }) as unknown as FramesJsonInput;

const BAD: [string, unknown, RegExp][] = [
  ['not an object', null, /^input must be an object$/],
  ['a number', 5, /^input must be an object$/],
  ['an array', [], /^input must be an object$/],
  ['n negative', withPatch({ n: -1 }), /^input\.n must be a non-negative integer$/],
  ['n fractional', withPatch({ n: 1.5 }), /^input\.n must be a non-negative integer$/],
  ['n NaN', withPatch({ n: NaN }), /^input\.n must be a non-negative integer$/],
  ['n a string', withPatch({ n: '2' }), /^input\.n must be a non-negative integer$/],
  ['n missing', withPatch({ n: undefined }), /^input\.n must be a non-negative integer$/],
  ['nRois 0', withPatch({ nRois: 0 }), /^input\.nRois must be a positive integer$/],
  ['nRois Infinity', withPatch({ nRois: Infinity }), /^input\.nRois must be a positive integer$/],
  ['n × nRois too large', withPatch({ n: 2 ** 52, nRois: 4 }), /^input\.n × input\.nRois is too large$/],
  ['roiKeys with one ROI', withPatch({ roiKeys: ['"a"'] }), /^input\.roiKeys must be null when nRois is 1$/],
  ['roiKeys absent with 3', three({ roiKeys: null }), /^input\.roiKeys must be an array of nRois = 3 strings$/],
  ['roiKeys too short', three({ roiKeys: ['"a"', '"b"'] }), /^input\.roiKeys length 2 does not match nRois = 3$/],
  ['roiKeys a number', three({ roiKeys: ['"a"', 7, '"c"'] }), /^input\.roiKeys\[1\] must be a string$/],
  ['roiKeys a hole', three({ roiKeys: ['"a"', '"b"', undefined] }), /^input\.roiKeys\[2\] must be a string$/],
  ...['a', '"a', 'a"', '"a"b"', '"\\x"', '"a\\"', '"\\u12"', '"tab\there"', ' "a"', '"'].map(
    (key): [string, unknown, RegExp] => [
      `roiKeys ${JSON.stringify(key)} not a JSON string`,
      three({ roiKeys: ['"a"', key, '"c"'] }),
      /^input\.roiKeys\[1\] must be a JSON string literal, quotes included \(JSON\.stringify\(name\)\)$/,
    ],
  ),
  ['index an array', withPatch({ index: [0, 1] }), /^input\.index must be a Float64Array$/],
  ['time a Float32Array', withPatch({ time: new Float32Array(2) }), /^input\.time must be a Float64Array$/],
  ['power short', withPatch({ power: new Float64Array(1) }), /^input\.power length 1 does not match n = 2$/],
  [
    'temperature per frame with 3 ROIs',
    three({ temperature: new Float64Array(2) }),
    /^input\.temperature length 2 does not match n × nRois = 6$/,
  ],
  ['temperatureError missing', withPatch({ temperatureError: undefined }), /^input\.temperatureError must be/],
  ['chi2 long', withPatch({ chi2: new Float64Array(3) }), /^input\.chi2 length 3 does not match n × nRois = 2$/],
  ['flags an Int8Array', withPatch({ flags: new Int8Array(2) }), /^input\.flags must be a Uint8Array$/],
  ['flags clamped', withPatch({ flags: new Uint8ClampedArray(2) }), /^input\.flags must be a Uint8Array$/],
  ['flags short', withPatch({ flags: new Uint8Array(1) }), /^input\.flags length 1 does not match n × nRois = 2$/],
  [
    'flags with an unknown bit',
    withPatch({ flags: Uint8Array.from([1, 64]) }),
    /^input\.flags\[1\] = 64 has bits beyond the 6 of FRAME_FLAG_ORDER$/,
  ],
  ['twoColorMean short', withPatch({ twoColorMean: new Float64Array(0) }), /^input\.twoColorMean length 0/],
  ['twoColorStd absent', withPatch({ twoColorStd: null }), /^input\.twoColorStd must be a Float64Array$/],
  ['leadingComma absent', withPatch({ leadingComma: undefined }), /^input\.leadingComma must be a boolean$/],
  ['leadingComma a number', withPatch({ leadingComma: 1 }), /^input\.leadingComma must be a boolean$/],
  [
    'an empty batch is still checked',
    { ...handMade(0, null, true), flags: new Float64Array(0) },
    /^input\.flags must be a Uint8Array$/,
  ],
];

describe('formatFramesJson: bad input', () => {
  it.each(BAD)('%s: FitArgumentError naming the problem, the same from both engines', (_what, input, message) => {
    const messages = engines.map(([, engine]) => {
      const error = thrownBy(() => format(engine, input as FramesJsonInput));
      expect(error).toBeInstanceOf(FitArgumentError);
      expect((error as Error).message).toMatch(message);
      return (error as Error).message;
    });
    expect(new Set(messages).size).toBe(1);
  });

  it('a well-formed input still works after each bad one (the addon keeps running)', () => {
    for (const [, engine] of engines) {
      const input = handMade(3, ['x', 'y'], true);
      expect(decode(format(engine, input))).toBe(expectedText(input, ['x', 'y']));
    }
  });
});

describe('formatFramesJson on the wrapped addon', () => {
  const base = loadNative().addon;
  const fake = (formatFramesJson: unknown): NativeAddon =>
    ({ ...(base ?? {}), hardwareConcurrency: 1, formatFramesJson }) as unknown as NativeAddon;

  it('is absent when the addon lacks it (an older build), present when it has it', () => {
    expect(wrapNative(fake(undefined)).formatFramesJson).toBeUndefined();
    expect(typeof wrapNative(fake(() => new Uint8Array(0))).formatFramesJson).toBe('function');
  });

  it("the addon's TypeError/RangeError become FitArgumentError; an internal error stays a bug", () => {
    const throwing = (error: Error) => () => {
      throw error;
    };
    const input = handMade(1, null, false);
    for (const error of [new TypeError('input.n must be a non-negative integer'), new RangeError('bad')]) {
      const thrown = thrownBy(() => format(wrapNative(fake(throwing(error))), input));
      expect(thrown).toBeInstanceOf(FitArgumentError);
      expect((thrown as Error).message).toBe(error.message);
    }
    const internal = new Error('internal error: oops');
    expect(thrownBy(() => format(wrapNative(fake(throwing(internal))), input))).toBe(internal);
  });
});
