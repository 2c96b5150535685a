/**
 * Andor SOLIS ASCII exports written by hand in the layout of domain.md §9 (a `key: value` header, CRLF line ends,
 * rows `wavelength,count1,…,countN,` with a trailing comma), read through openFrames like an SPE file.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { openFrames } from '../../src/io/open';
import { parseAndorAscii } from '../../src/io/andor';
import { InputFileError } from '../../src/errors';
import { tmpDir } from '../support/speBytes';

const HEADER = [
  'Date and Time:                Mon Nov 21 21:21:42.000 2022',
  'Temperature (C):              -60',
  'Model:                        DU970P_BV',
  'Acquisition Mode:             Kinetics',
  'Exposure Time (secs):         0.05',
  'Kinetic Cycle Time (secs):    0.2',
  'Number in Kinetics Series:    3',
  'Readout Mode:                 Full Vertical Binning',
  'Output Amplifier:             Electron Multiplying',
  'EM DAC level:                 200',
  'Pre-Amplifier Gain:           2.000000',
  'SR303i:',
  'Wavelength (nm):              727.79',
  '',
  '',
];

function ascText(rows: string[], header = HEADER): string {
  return [...header, ...rows].join('\r\n') + '\r\n';
}

function writeAsc(name: string, text: string): string {
  const file = path.join(tmpDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

const ROWS = ['600.5,10,20,30,', '601.25,11,21,31,', '602,12,22,65535,'];

describe('Andor SOLIS ASCII exports', () => {
  it('frames are the columns after the wavelength; header timing and camera', () => {
    const f = openFrames(writeAsc('series.asc', ascText(ROWS)));
    expect(f.format).toBe('andor-asc');
    expect([f.width, f.height, f.frames, f.dataType, f.fullScale]).toEqual([3, 1, 3, 'uint16', 65535]);
    expect(Array.from(f.wavelength!)).toEqual([600.5, 601.25, 602]);
    expect(Array.from(f.readFrame(0))).toEqual([10, 11, 12]);
    expect(Array.from(f.readFrame(2))).toEqual([30, 31, 65535]);
    expect(Array.from(f.readRows(1, 0, 0))).toEqual([20, 21, 22]);
    expect(f.exposureTime).toBe(0.05);
    expect(f.frameRate).toBe(5);
    expect(f.camera).toEqual({
      model: 'DU970P_BV',
      intensified: false,
      electronMultiplying: true,
      emGain: 200,
      adcGain: '2.000000',
      sensorTemperature: -60,
    });
    expect(f.header?.['Wavelength (nm)']).toBe('727.79');
    expect(f.warnings).toEqual([]);
    expect(() => f.readFrame(3)).toThrow(/frame 3 does not exist/);
    expect(() => f.readRows(0, 0, 1)).toThrow(/rows 0:1 are outside/);
    f.close();
  });

  it('a series count that disagrees with the columns is a warning; counts above 16 bits are float64', () => {
    const f = parseAndorAscii(ascText(['600,1.5,2,', '601,70000,3,']), 'odd.asc');
    expect(f.frames).toBe(2);
    expect(f.warnings).toEqual([expect.stringMatching(/header says 3 frame\(s\).*2 column\(s\)/)]);
    expect([f.dataType, f.fullScale]).toEqual(['float64', null]);
  });

  it('pixel numbers in the first column: no wavelength calibration, with a warning', () => {
    const f = parseAndorAscii(ascText(['1,5,6,7,', '2,6,7,8,', '3,7,8,9,']), 'pixels.asc');
    expect(f.wavelength).toBeNull();
    expect(f.warnings).toEqual([expect.stringMatching(/pixel numbers, not wavelengths/)]);
  });

  it('a file without the .asc extension is recognised by its first header line', () => {
    const f = openFrames(writeAsc('series.txt', ascText(ROWS)));
    expect(f.format).toBe('andor-asc');
  });

  it('bad exports: one InputFileError naming the file and the line', () => {
    const cases: [string, string, RegExp][] = [
      ['short.asc', ascText(['600,1,2,', '601,1,']), /short\.asc: line 17: 2 value\(s\), expected 3 like line 16/],
      ['word.asc', ascText(['600,1,2,', '601,x,2,']), /word\.asc: line 17: "x" is not a number/],
      ['nodata.asc', ascText([]), /nodata\.asc: no data lines/],
      [
        'image.asc',
        ascText(
          ROWS,
          HEADER.map((l) => l.replace('Full Vertical Binning', 'Image')),
        ),
        /image\.asc: Readout Mode "Image"/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const file = writeAsc(name, text);
      expect(() => openFrames(file)).toThrow(InputFileError);
      expect(() => openFrames(file)).toThrow(message);
    }
    expect(() => openFrames(path.join(tmpDir(), 'absent.asc'))).toThrow(/absent\.asc: no such file/);
  });
});
