/**
 * `serve` reads its inputs exactly as `analyze` does: a background-corrected LightField frame (no "no background"
 * warning, the camera facts in the noise model), a shot without time stamps timed by frameInterval/timeOffset, a
 * power log in percent with a power expression (refused without one, with analyze's message), and an Andor SOLIS
 * `.asc` shot, lamp and dark. Each live replay gives the T, σ, χ²/dof (and power) of analyzeFiles on the same
 * options. Real files from ../shared/real-data (skipped, with a note, where absent).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { simulateShot, writeShot, type WrittenShot } from '../../src/sim/shot';
import { demoShotOptions } from '../../src/stream/simulate';
import { analyzeFiles, type AnalyzeOptions } from '../../src/analysis/run';
import { replay } from '../../src/stream/replay';
import { watch } from '../../src/stream/watch';
import { openSpe } from '../../src/io/spe';
import { frameClock } from '../../src/io/timing';
import { SpeStreamWriter } from '../../src/io/speWriter';
import { readPowerLog } from '../../src/io/tables';
import { getEngine } from '../../src/physics';
import { expectSameFits, liveReplay } from './liveCompare';

const REAL = path.resolve(__dirname, '../../..', 'shared', 'real-data');
const TRAX = path.join(REAL, 'trax');
const FURNACE = path.join(REAL, 'sandia-tem-furnace');
const traxPresent = fs.existsSync(path.join(TRAX, 'test_measurement.spe'));
const furnacePresent = fs.existsSync(path.join(FURNACE, '999C_21.21.43_0059.asc'));
if (!traxPresent) {
  console.warn(`tests/stream/liveInputs.test.ts: ${TRAX} is absent: the live T-Rax replay is skipped`);
}
if (!furnacePresent) {
  console.warn(`tests/stream/liveInputs.test.ts: ${FURNACE} is absent: the live .asc replay is skipped`);
}

let dir: string;
let written: WrittenShot;
let lampTemperature: number;
let frameInterval: number;
/** The simulated shot without time stamps and without exposure time (nothing in the file gives a frame time). */
let untimed: string;

/** A copy of the first `frames` frames of `source` (all by default) with its geometry and wavelengths only. */
function writeUntimedCopy(source: string, target: string, frames = Infinity): void {
  const spe = openSpe(source);
  const writer = new SpeStreamWriter(target, {
    width: spe.width,
    height: spe.height,
    dataType: spe.dataType,
    wavelength: spe.wavelength,
    exposureTime: null,
  });
  try {
    for (let i = 0; i < Math.min(frames, spe.frames); i++) {
      writer.append(spe.readFrame(i));
    }
    writer.finish();
  } finally {
    spe.close();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-live-inputs-'));
  const options = demoShotOptions({ rows: 4, seed: 7 });
  const shot = simulateShot(options);
  lampTemperature = shot.options.lamp.temperature;
  frameInterval = shot.options.frameInterval;
  written = writeShot(shot, path.join(dir, 'shot'));
  untimed = path.join(dir, 'untimed.spe');
  writeUntimedCopy(written.files.shot, untimed);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function simulatedCalibration(): Omit<AnalyzeOptions, 'shots'> {
  return { calibration: written.files.lamp, lampTemperature, background: written.files.dark, engine: getEngine() };
}

describe.skipIf(!traxPresent)("live replay of T-Rax's background-corrected test_measurement.spe", () => {
  test('the T, σ, χ²/dof of analyze, and no "no background" warning (the file says it is corrected)', async () => {
    const options = {
      calibration: path.join(TRAX, 'ds_calibration.spe'),
      lampSpectrum: path.join(TRAX, '15A_lamp.txt'),
      rows: '152:163',
      range: [666, 836] as [number, number],
      engine: getEngine(),
    };
    const shot = path.join(TRAX, 'test_measurement.spe');
    const offline = await analyzeFiles({ shots: [shot], ...options });
    const live = await liveReplay(shot, null, options);
    expect(offline.frames).toHaveLength(1);
    expect(offline.frames[0].temperature).not.toBeNull();
    expectSameFits(live.frames, offline.frames);
    expect(live.warnings.filter((w) => /background|dark/.test(w))).toEqual([]);
    expect(live.warnings).toEqual(offline.warnings);
  }, 60_000);
});

describe('a shot without frame times, timed by frameInterval and timeOffset', () => {
  test('the file gives no time; with frameInterval and timeOffset each frame is at offset + i·interval', () => {
    const spe = openSpe(untimed);
    try {
      expect(frameClock(spe).source).toBe('none');
    } finally {
      spe.close();
    }
  });

  test('live frames get those times and pair with the time-based power log as analyze does', async () => {
    const timeOffset = 0.35;
    const options = { ...simulatedCalibration(), frameInterval, timeOffset };
    const offline = await analyzeFiles({ shots: [untimed], power: written.files.power, ...options });
    const live = await liveReplay(untimed, written.files.power, options);
    expectSameFits(live.frames, offline.frames);
    // frames within the log's span: the power of analyze (beyond it analyze gives none, live the nearest reading)
    let paired = 0;
    live.frames.forEach((f, i) => {
      expect(f.time).toBeCloseTo(timeOffset + i * frameInterval, 9);
      if (offline.frames[i].power !== null) {
        expect(f.power).toBe(offline.frames[i].power);
        paired++;
      }
    });
    expect(paired).toBeGreaterThan(live.frames.length * 0.9);
  }, 60_000);

  test("a watched file without frame times: its frames frameInterval apart (all at the file's time without)", async () => {
    const folder = path.join(dir, 'watched');
    fs.mkdirSync(folder);
    writeUntimedCopy(written.files.shot, path.join(folder, 'untimed-001.spe'), 20);
    const spacing = async (interval: number | null): Promise<number[]> => {
      const times: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const sub = watch(folder, {
          includeExisting: true,
          stabilityMs: 50,
          pollMs: 40,
          frameInterval: interval,
        }).subscribe({
          next: (item) => {
            if (item.kind === 'frame') {
              times.push(item.frame.time as number);
            }
            if (times.length === 20) {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      return times.slice(1).map((t, i) => t - times[i]);
    };
    for (const step of await spacing(frameInterval)) {
      expect(step).toBeCloseTo(frameInterval, 9);
    }
    expect(await spacing(null)).toEqual(new Array(19).fill(0));
  }, 30_000);

  test("without frameInterval a time-based power log is refused, with analyze's message", async () => {
    const refusal = (() => {
      try {
        replay(untimed, written.files.power, {});
      } catch (e) {
        return (e as Error).message;
      }
      return null;
    })();
    expect(refusal).toMatch(/^frameInterval is needed: .*untimed\.spe has no frame times/);
    await expect(
      analyzeFiles({ shots: [untimed], power: written.files.power, ...simulatedCalibration() }),
    ).rejects.toThrow(refusal as string);
  });
});

test('a one-frame shot replayed live ends (the pipeline settles) with the fit of analyze', async () => {
  const single = path.join(dir, 'single.spe');
  writeUntimedCopy(written.files.shot, single, 1);
  const offline = await analyzeFiles({ shots: [single], ...simulatedCalibration() });
  const live = await liveReplay(single, null, simulatedCalibration());
  expectSameFits(live.frames, offline.frames);
}, 30_000);

describe('a power log in percent', () => {
  let percentLog: string;
  beforeAll(() => {
    const watts = readPowerLog(written.files.power);
    const lines = ['time_s,power_percent'];
    for (let k = 0; k < watts.key.length; k++) {
      lines.push(`${watts.key[k]},${watts.power[k] * 2}`);
    }
    percentLog = path.join(dir, 'percent.csv');
    fs.writeFileSync(percentLog, `${lines.join('\n')}\n`);
  });

  test('with powerExpr: every live frame gets the power of analyze (the log in W, back from percent)', async () => {
    const options = simulatedCalibration();
    const inWatts = await analyzeFiles({ shots: [written.files.shot], power: written.files.power, ...options });
    const offline = await analyzeFiles({
      shots: [written.files.shot],
      power: percentLog,
      powerExpr: 'x / 2',
      ...options,
    });
    const live = await liveReplay(written.files.shot, percentLog, options, { powerExpr: 'x / 2' });
    expect(live.frames).toHaveLength(offline.frames.length);
    live.frames.forEach((f, i) => {
      expect(f.power).toBe(offline.frames[i].power);
      expect(f.power).toBeCloseTo(inWatts.frames[i].power as number, 9);
    });
  }, 60_000);

  test("without powerExpr it is refused, with analyze's message", async () => {
    let refusal: string | null = null;
    try {
      replay(written.files.shot, percentLog, {});
    } catch (e) {
      refusal = (e as Error).message;
    }
    expect(refusal).toMatch(/percent\.csv: power column "power_percent" is a percentage, not watts/);
    await expect(
      analyzeFiles({ shots: [written.files.shot], power: percentLog, ...simulatedCalibration() }),
    ).rejects.toThrow(refusal as string);
  });
});

describe.skipIf(!furnacePresent)("live replay of the Sandia furnace's Andor .asc exports (shot, lamp and dark)", () => {
  test('950 °C with the 999 °C file as a 1273.15 K lamp and the 23.5 °C file as dark: the temperatures of analyze', async () => {
    const options = {
      calibration: path.join(FURNACE, '999C_21.21.43_0059.asc'),
      lampTemperature: 1273.15,
      background: path.join(FURNACE, '023.5C_20.41.26_0044.asc'),
      range: [600, 1000] as [number, number],
      engine: getEngine(),
    };
    const shot = path.join(FURNACE, '950C_21.18.16_0058.asc');
    const offline = await analyzeFiles({ shots: [shot], ...options });
    const live = await liveReplay(shot, null, options);
    expect(offline.frames).toHaveLength(10);
    expectSameFits(live.frames, offline.frames);
    // the kinetic cycle time (0.1 s) gives the frames their times, live as offline
    live.frames.forEach((f, i) => expect(f.time).toBeCloseTo(offline.frames[i].time as number, 9));
    expect(live.warnings).toEqual(offline.warnings);
  }, 60_000);
});
