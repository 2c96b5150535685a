/**
 * LightField acquisition facts from byte-built SPE 3.0 files (tests/io/speBytes.ts, XML written by hand): camera,
 * intensifier, EM gain, ADC gain, sensor temperature, background correction, FrameRate; a legacy NumFrames that
 * disagrees with the XML frame count; and the frame clock (src/io/timing.ts) in its order of precedence.
 */
import { describe, expect, it } from 'vitest';
import { openSpe } from '../../src/io/spe';
import { frameClock } from '../../src/io/timing';
import { encode, int64, v3File, xmlDoc } from '../support/speBytes';

const W = 3;

function frameBlock(count: number, extra = ''): string {
  return (
    `<DataFormat><DataBlock type="Frame" count="${count}" pixelFormat="MonochromeUnsigned16" size="${W * 2}" ` +
    `stride="${W * 2}"${extra}><DataBlock type="Region" width="${W}" height="1" size="${W * 2}"/></DataBlock></DataFormat>` +
    '<Calibrations><WavelengthMapping id="1"><Wavelength>600,601,602</Wavelength></WavelengthMapping></Calibrations>'
  );
}

/** An Experiment section as LightField writes it (only the parts the reader looks at). */
function experiment(devices: string): string {
  return (
    '<DataHistories><DataHistory><Origin><Experiment><System><Cameras count="1">' +
    '<Camera deviceID="2" model="ProEM+: 512B eXcelon"/></Cameras></System><Devices><Cameras><Camera deviceID="2">' +
    devices +
    '</Camera></Cameras></Devices></Experiment></Origin></DataHistory></DataHistories>'
  );
}

describe('LightField acquisition facts (byte-built footers)', () => {
  it('an EM camera at gain 50, -60 °C, background corrected with a named reference, FrameRate 4 Hz', () => {
    const devices =
      '<Sensor><Temperature><SetPoint type="Double">-70</SetPoint><Reading type="Double">-60</Reading>' +
      '</Temperature></Sensor><Adc><AnalogGain type="AdcGain">Medium</AnalogGain><EMGain type="Int32">50</EMGain>' +
      '<Quality type="AdcQuality">ElectronMultiplied</Quality></Adc><Acquisition><FrameRate type="Double">4</FrameRate>' +
      '</Acquisition><Experiment><OnlineCorrections><BackgroundCorrection><Enabled type="Boolean">True</Enabled>' +
      '<ReferenceFile type="String">C:\\dark.spe</ReferenceFile></BackgroundCorrection></OnlineCorrections></Experiment>';
    const file = v3File(
      'em.spe',
      { frames: 2 },
      encode('uint16', [1, 2, 3, 4, 5, 6]),
      xmlDoc(frameBlock(2) + experiment(devices)),
    );
    const s = openSpe(file);
    expect(s.camera).toEqual({
      model: 'ProEM+: 512B eXcelon',
      intensified: false,
      electronMultiplying: true,
      emGain: 50,
      adcGain: 'Medium',
      sensorTemperature: -60,
    });
    expect(s.backgroundCorrected).toBe(true);
    expect(s.backgroundReference).toBe('C:\\dark.spe');
    expect(s.frameRate).toBe(4);
    expect(s.warnings).toEqual([]);
    // no time stamps, no exposure: the clock runs at 1/FrameRate
    const clock = frameClock(s);
    expect([clock.source, clock.interval, clock.timeOf(1)]).toEqual(['frameRate', 0.25, 0.25]);
    s.close();
  });

  it('an intensifier that is switched off does not count; settings marked relevance="False" are ignored', () => {
    const devices =
      '<Intensifier><Enabled type="Boolean">False</Enabled></Intensifier>' +
      '<Adc><EMGain relevance="False" type="Int32">100</EMGain><Quality type="AdcQuality">LowNoise</Quality></Adc>' +
      '<Acquisition><FrameRate relevance="False" type="Double">9</FrameRate></Acquisition>' +
      '<BackgroundCorrection><Enabled type="Boolean">False</Enabled></BackgroundCorrection>';
    const file = v3File('off.spe', {}, encode('uint16', [1, 2, 3]), xmlDoc(frameBlock(1) + experiment(devices)));
    const s = openSpe(file);
    expect(s.camera).toMatchObject({ intensified: false, electronMultiplying: false, emGain: null });
    expect(s.backgroundCorrected).toBe(false);
    expect(s.frameRate).toBeNull();
    s.close();
  });

  it('a footer without any camera settings: camera null, not corrected, no frame rate', () => {
    const s = openSpe(v3File('bare.spe', {}, encode('uint16', [1, 2, 3]), xmlDoc(frameBlock(1))));
    expect([s.camera, s.backgroundCorrected, s.frameRate]).toEqual([null, false, null]);
    s.close();
  });
});

describe('header and XML frame counts', () => {
  it('disagreeing: the XML count is read and a warning names both numbers', () => {
    const file = v3File('counts.spe', { frames: 5 }, encode('uint16', [1, 2, 3, 4, 5, 6]), xmlDoc(frameBlock(2)));
    const s = openSpe(file);
    expect(s.frames).toBe(2);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings![0]).toMatch(/header says 5 frame\(s\).*XML footer says 2/);
    s.close();
  });

  it('agreeing: no warning', () => {
    const s = openSpe(v3File('agree.spe', { frames: 2 }, encode('uint16', [1, 2, 3, 4, 5, 6]), xmlDoc(frameBlock(2))));
    expect(s.warnings).toEqual([]);
    s.close();
  });
});

describe('frame clock precedence: given interval > time stamps > FrameRate > exposure > none', () => {
  const stamps = Float64Array.from([10, 10.5, 11.5]);

  it('time stamps (relative to frame 0) beat the frame rate and the exposure; the offset shifts them', () => {
    const clock = frameClock({ frames: 3, frameTimes: stamps, exposureTime: 0.1, frameRate: 100 }, { timeOffset: 2 });
    expect(clock.source).toBe('timestamps');
    expect([0, 1, 2].map(clock.timeOf)).toEqual([2, 2.5, 3.5]);
    expect(clock.interval).toBe(0.75);
  });

  it('a given interval beats everything the file says', () => {
    const clock = frameClock(
      { frames: 3, frameTimes: stamps, exposureTime: 0.1, frameRate: 100 },
      { frameInterval: 0.2 },
    );
    expect(clock.source).toBe('frameInterval');
    expect(clock.timeOf(2)).toBeCloseTo(0.4, 15);
  });

  it('exposure only when nothing else; none gives null times', () => {
    expect(frameClock({ frames: 3, frameTimes: null, exposureTime: 0.1 }).timeOf(2)).toBeCloseTo(0.2, 15);
    const none = frameClock({ frames: 3, frameTimes: null, exposureTime: null, frameRate: null });
    expect([none.source, none.timeOf(1), none.interval]).toEqual(['none', null, null]);
  });

  it("timesInto gives a run of frames' times as timeOf gives them one by one (NaN for none), for every source", () => {
    const files = [
      { frames: 3, frameTimes: Float64Array.from([10, NaN, 11.5]), exposureTime: 0.1, frameRate: 100 },
      { frames: 3, frameTimes: null, exposureTime: 0.1, frameRate: 100 },
      { frames: 3, frameTimes: null, exposureTime: 0.1 },
      { frames: 3, frameTimes: null, exposureTime: null, frameRate: null },
    ];
    const sources = [];
    for (const file of files) {
      for (const options of [{ timeOffset: 2 }, { frameInterval: 0.3 }]) {
        const clock = frameClock(file, options);
        sources.push(clock.source);
        const out = new Float64Array(2).fill(-1);
        clock.timesInto(1, 3, out);
        expect(Array.from(out)).toEqual([1, 2].map((i) => clock.timeOf(i) ?? NaN));
      }
    }
    expect(new Set(sources)).toEqual(new Set(['timestamps', 'frameRate', 'exposure', 'none', 'frameInterval']));
  });

  it('per-frame ExposureStarted stamps in a byte-built file (resolution 1 MHz) give the clock', () => {
    const meta =
      '<MetaFormat><MetaBlock id="1"><TimeStamp event="ExposureStarted" type="Int64" bitDepth="64" ' +
      'resolution="1000000"/></MetaBlock></MetaFormat>';
    const xml = xmlDoc(frameBlock(2, ' metaFormat="1"').replace(`stride="${W * 2}"`, `stride="${W * 2 + 8}"`) + meta);
    const data = Buffer.concat([
      encode('uint16', [1, 2, 3]),
      int64([5_000_000]),
      encode('uint16', [4, 5, 6]),
      int64([5_250_000]),
    ]);
    const s = openSpe(v3File('stamps.spe', { frames: 2 }, data, xml));
    const clock = frameClock(s);
    expect([clock.source, clock.timeOf(0), clock.timeOf(1)]).toEqual(['timestamps', 0, 0.25]);
    s.close();
  });
});
