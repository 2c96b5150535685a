/**
 * The readers on real files from ../shared/real-data (never copied into the repo): SPE files from five public
 * readers' test suites and T-Rax (dimensions, data type, wavelengths, frame sums against each folder's
 * expect.json), the metadata of T-Rax's test_measurement.spe against what its own XML footer says, and the
 * Andor SOLIS ASCII exports of the Sandia furnace against expect.json, their header and hand checks. Skipped with a
 * visible note where the folder is absent.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { openFrames } from '../../src/io/open';
import { frameClock } from '../../src/io/timing';
import { analyzeFiles } from '../../src/analysis/run';
import { getEngine } from '../../src/physics';
import type { SpeFile } from '../../src/io/types';

const REAL = path.resolve(__dirname, '../..', '..', 'shared', 'real-data');

function folder(name: string): string | null {
  const dir = path.join(REAL, name);
  if (!fs.existsSync(dir)) {
    console.warn(`tests/realdata/io.test.ts: ${dir} is absent: its real-file tests are skipped`);
    return null;
  }
  return dir;
}

interface SpeExpect {
  file: string;
  version: number;
  data_type?: string;
  width: number;
  height: number;
  frames: number;
  wl_first: number | null;
  wl_last: number | null;
  n_wl: number | null;
  frame0_sum: number;
  frame0_sum_all_regions?: number;
  regions?: { width: number; height: number }[] | null;
}

/**
 * Several regions of one width and sensor columns are stacked into one frame by this reader (docs/io.md): then
 * the height is the sum of theirs and frame 0 holds all regions; otherwise the first region is the frame.
 */
function expectedGeometry(c: SpeExpect): { height: number; sum: number } {
  const regions = c.regions ?? [];
  const stacked = regions.length > 1 && regions.every((r) => r.width === regions[0].width);
  if (!stacked) {
    return { height: c.height, sum: c.frame0_sum };
  }
  return { height: regions.reduce((s, r) => s + r.height, 0), sum: c.frame0_sum_all_regions as number };
}

function sumOf(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += values[i];
  }
  return total;
}

function withFile<T>(file: string, body: (f: SpeFile) => T): T {
  const opened = openFrames(file);
  try {
    return body(opened);
  } finally {
    opened.close();
  }
}

const SPE_FOLDERS = ['trax', 'pyradiant-spe', 'spefilesjl-spe', 'spehandler-spe', 'spexread-spe', 'imageio-spe'];

for (const name of SPE_FOLDERS) {
  const dir = folder(name);
  describe.skipIf(dir === null)(`SPE files of ${name} against its expect.json`, () => {
    const cases: SpeExpect[] = dir ? JSON.parse(fs.readFileSync(path.join(dir, 'expect.json'), 'utf8')) : [];
    for (const c of cases) {
      it(`${c.file}: ${c.width}×${c.height}, ${c.frames} frame(s), wavelengths, frame 0 sum`, () => {
        withFile(path.join(dir as string, c.file), (f) => {
          const geometry = expectedGeometry(c);
          expect([f.width, f.height, f.frames]).toEqual([c.width, geometry.height, c.frames]);
          if (c.data_type) {
            expect(f.dataType).toBe(c.data_type);
          }
          expect(f.version).toBeCloseTo(c.version, 3);
          expect(sumOf(f.readFrame(0))).toBe(geometry.sum);
          if (c.n_wl === null) {
            expect(f.wavelength).toBeNull();
          } else {
            const wl = f.wavelength as Float64Array;
            expect(wl.length).toBe(c.n_wl);
            expect(wl[0]).toBeCloseTo(c.wl_first as number, 6);
            expect(wl[wl.length - 1]).toBeCloseTo(c.wl_last as number, 6);
          }
        });
      });
    }
  });
}

const trax = folder('trax');
describe.skipIf(trax === null)("T-Rax's test_measurement.spe: metadata as its XML footer states it", () => {
  // The footer (read by hand): <Camera model="PI-MAX3: 1024x256">, <Intensifier><Enabled>True, <Adc><AnalogGain>High,
  // <Temperature><Reading>-25, <BackgroundCorrection><Enabled>True with ReferenceFile …\p_pimax.spe,
  // <FrameRate>1.4285714285714288, no ShutterTiming/ExposureTime, <TimeStamping><Stamps>None (no time stamps).
  const file = path.join(trax ?? '', 'test_measurement.spe');

  it('background-corrected by LightField, with the reference file it names', () => {
    withFile(file, (f) => {
      expect(f.backgroundCorrected).toBe(true);
      expect(f.backgroundReference).toBe('t:\\dac_user\\2015\\IDD_2015-1\\p_pimax.spe');
      expect(f.dataType).toBe('float32');
    });
  });

  it('camera: PI-MAX3, intensified, not EM, ADC gain High, sensor at -25 °C', () => {
    withFile(file, (f) => {
      expect(f.camera).toEqual({
        model: 'PI-MAX3: 1024x256',
        intensified: true,
        electronMultiplying: false,
        emGain: null,
        adcGain: 'High',
        sensorTemperature: -25,
      });
    });
  });

  it('timing: no time stamps, no exposure; the frame clock comes from FrameRate (0.7 s per frame)', () => {
    withFile(file, (f) => {
      expect(f.frameTimes).toBeNull();
      expect(f.exposureTime).toBeNull();
      expect(f.frameRate).toBeCloseTo(1.4285714285714288, 12);
      const clock = frameClock(f);
      expect(clock.source).toBe('frameRate');
      expect(clock.interval).toBeCloseTo(0.7, 12);
      expect(frameClock(f, { frameInterval: 0.25, timeOffset: 2 }).timeOf(3)).toBeCloseTo(2.75, 12);
    });
  });

  it('the other files: lamp frames are background-corrected PI-MAX3 too; a PIXIS file is neither intensified nor EM', () => {
    withFile(path.join(trax as string, 'ds_calibration.spe'), (f) => {
      expect(f.backgroundCorrected).toBe(true);
      expect(f.camera?.intensified).toBe(true);
    });
    withFile(path.join(trax as string, 'SPE_v3_FullSensor.spe'), (f) => {
      expect(f.camera).toMatchObject({
        model: 'PIXIS: 100BR',
        intensified: false,
        electronMultiplying: false,
        adcGain: 'Low',
        sensorTemperature: -75,
      });
      expect(f.exposureTime).toBeCloseTo(1, 12);
    });
    withFile(path.join(trax as string, 'SPE_v2_PIXIS.SPE'), (f) => {
      expect(f.camera ?? null).toBeNull();
      expect(f.backgroundCorrected ?? false).toBe(false);
    });
  });
});

describe.skipIf(trax === null)('analysing the background-corrected test_measurement.spe', () => {
  it('no dark is asked for; a dark given on top is named as subtracted twice', async () => {
    const base = {
      shots: [path.join(trax as string, 'test_measurement.spe')],
      calibration: path.join(trax as string, 'us_calibration.spe'),
      lampSpectrum: path.join(trax as string, '15A_lamp.txt'),
      rows: '99:110',
      range: [666, 836] as [number, number],
      engine: getEngine(),
    };
    const out = await analyzeFiles(base);
    expect(out.frames).toHaveLength(1);
    expect(out.frames[0].time).toBe(0);
    expect(out.warnings.filter((w) => /background|dark/.test(w))).toEqual([]);
    const twice = await analyzeFiles({ ...base, background: path.join(trax as string, 'ds_calibration.spe') });
    expect(twice.warnings.filter((w) => /already subtracted a background/.test(w))).toHaveLength(1);
  });
});

const spexread = folder('spexread-spe');
describe.skipIf(spexread === null)('LightField files with time stamps and an EM camera', () => {
  it('lightfield_demo.spe: the frame clock is its per-frame ExposureStarted stamps', () => {
    withFile(path.join(spexread as string, 'lightfield_demo.spe'), (f) => {
      const clock = frameClock(f);
      expect(clock.source).toBe('timestamps');
      expect(clock.timeOf(0)).toBe(0);
      // the stamps run at about the stated FrameRate (14.209 Hz): within 1 % of 1/FrameRate per frame
      expect(clock.interval as number).toBeGreaterThan(0.99 / (f.frameRate as number));
      expect(clock.interval as number).toBeLessThan(1.01 / (f.frameRate as number));
    });
  });
});

const spehandler = folder('spehandler-spe');
describe.skipIf(spehandler === null)('a ProEM in EM mode at EM gain 1', () => {
  it('Testfile_Single_SPE3.spe: EM amplifier stated, gain 1: no multiplication in effect', () => {
    withFile(path.join(spehandler as string, 'Testfile_Single_SPE3.spe'), (f) => {
      expect(f.camera).toMatchObject({
        model: 'ProEM+: 512B eXcelon',
        electronMultiplying: false,
        emGain: 1,
        sensorTemperature: -47,
      });
    });
  });
});

const furnace = folder('sandia-tem-furnace');
describe.skipIf(furnace === null)('Andor SOLIS ASCII exports of the Sandia furnace', () => {
  const files = [
    '023.5C_20.41.26_0044.asc',
    '850C_21.13.26_0056.asc',
    '900C_21.15.47_0057.asc',
    '950C_21.18.16_0058.asc',
    '999C_21.21.43_0059.asc',
  ];

  it('every file: 10 kinetic frames of 1600 px, 453.55–1000.08 nm, one row (FVB), uint16 counts', () => {
    for (const name of files) {
      withFile(path.join(furnace as string, name), (f) => {
        expect(f.format).toBe('andor-asc');
        expect([f.width, f.height, f.frames]).toEqual([1600, 1, 10]);
        expect(f.dataType).toBe('uint16');
        const wl = f.wavelength as Float64Array;
        expect(wl[0]).toBe(453.5542);
        expect(wl[1599]).toBe(1000.0779);
        expect(f.warnings).toEqual([]);
      });
    }
  });

  it('the header: exposure, kinetic cycle time, camera (DU970P_BV EMCCD at -50 °C, EM DAC level 0)', () => {
    withFile(path.join(furnace as string, '999C_21.21.43_0059.asc'), (f) => {
      expect(f.exposureTime).toBe(0.1);
      expect(f.frameRate).toBe(10);
      expect(frameClock(f).timeOf(9)).toBeCloseTo(0.9, 12);
      expect(f.camera).toEqual({
        model: 'DU970P_BV',
        intensified: false,
        electronMultiplying: false,
        emGain: 0,
        adcGain: '1.000000',
        sensorTemperature: -50,
      });
      expect(f.header?.['Readout Mode']).toBe('Full Vertical Binning');
    });
    withFile(path.join(furnace as string, '023.5C_20.41.26_0044.asc'), (f) => {
      expect(f.exposureTime).toBe(1);
    });
  });

  it('counts as written: first and last rows of the 999 °C file, read by hand', () => {
    // line 41: 453.5542,376,375,371,364,376,374,368,369,368,378,   last line: 1000.0779,15079,15095,…,15052,
    withFile(path.join(furnace as string, '999C_21.21.43_0059.asc'), (f) => {
      const firstColumn = Array.from({ length: 10 }, (_v, i) => f.readFrame(i)[0]);
      expect(firstColumn).toEqual([376, 375, 371, 364, 376, 374, 368, 369, 368, 378]);
      expect(f.readFrame(9)[1599]).toBe(15052);
      expect(f.readRows(0, 0, 0)[1599]).toBe(15079);
    });
  });

  it('frame sums agree with an independent read of the text (split on commas, as ref.py does)', () => {
    for (const name of files) {
      const text = fs.readFileSync(path.join(furnace as string, name), 'utf8');
      const rows = text
        .split(/\r?\n/)
        .filter((l) => /^\d/.test(l))
        .map((l) => l.replace(/,\s*$/, '').split(',').map(Number));
      withFile(path.join(furnace as string, name), (f) => {
        for (let frame = 0; frame < 10; frame++) {
          const expected = rows.reduce((s, r) => s + r[frame + 1], 0);
          expect(sumOf(f.readFrame(frame))).toBe(expected);
        }
      });
    }
  });

  it('the bias file sits at ~297 counts (SOURCE.md: ADC offset 297 ± 5)', () => {
    withFile(path.join(furnace as string, '023.5C_20.41.26_0044.asc'), (f) => {
      const frame = f.readFrame(0);
      const mean = sumOf(frame) / frame.length;
      expect(mean).toBeGreaterThan(290);
      expect(mean).toBeLessThan(305);
    });
  });
});
