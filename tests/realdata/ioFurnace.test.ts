/**
 * The Sandia furnace's Andor ASCII exports analysed end to end (../shared/real-data/sandia-tem-furnace): the 999 °C
 * file as a greybody standard at 1273.15 K, the 23.5 °C file as background (the EMCCD bias, ~297 counts), 600–1000 nm.
 * Unweighted (`weights: 'none'`) the mean of the per-frame temperatures must be within 1 K of expect.json's
 * unweighted greybody reference (ref.py, the fit of the 10-frame mean); with the default weights within 10 K of
 * the thermocouple.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFiles, type AnalyzeOutput } from '../../src/analysis/run';
import { getEngine } from '../../src/physics';

const DIR = path.resolve(__dirname, '../..', '..', 'shared', 'real-data', 'sandia-tem-furnace');
const present = fs.existsSync(DIR);
if (!present) {
  console.warn(`tests/realdata/ioFurnace.test.ts: ${DIR} is absent: the furnace analysis is skipped`);
}

interface FurnaceCase {
  file: string;
  temperature: number;
  reference_thermocouple_K: number;
}

const cases: FurnaceCase[] = present ? JSON.parse(fs.readFileSync(path.join(DIR, 'expect.json'), 'utf8')).cases : [];

function analyzeFurnace(file: string, weights?: 'none' | 'noise'): Promise<AnalyzeOutput> {
  return analyzeFiles({
    shots: [path.join(DIR, file)],
    calibration: path.join(DIR, '999C_21.21.43_0059.asc'),
    lampTemperature: 1273.15,
    background: path.join(DIR, '023.5C_20.41.26_0044.asc'),
    range: [600, 1000],
    weights,
    engine: getEngine(),
  });
}

function meanTemperature(out: AnalyzeOutput): number {
  const temperatures = out.frames.map((f) => f.temperature as number);
  return temperatures.reduce((s, t) => s + t, 0) / temperatures.length;
}

describe.skipIf(!present)('furnace spectra (Andor .asc) against the thermocouple and the unweighted reference', () => {
  for (const c of cases) {
    it(`${c.file}: 10 frames, 0.1 s apart, no flags; default weights within 10 K of ${c.reference_thermocouple_K} K`, async () => {
      const out = await analyzeFurnace(c.file);
      expect(out.frames).toHaveLength(10);
      expect(out.frames.map((f) => f.time)).toEqual(Array.from({ length: 10 }, (_v, i) => expect.closeTo(0.1 * i, 12)));
      expect(out.frames.every((f) => f.flags.length === 0 && f.temperature !== null)).toBe(true);
      expect(out.warnings).toEqual([]);
      expect(Math.abs(meanTemperature(out) - c.reference_thermocouple_K)).toBeLessThan(10);
    });

    it(`${c.file}: weights none within 1 K of the unweighted greybody reference ${c.temperature} K`, async () => {
      const unweighted = await analyzeFurnace(c.file, 'none');
      expect(Math.abs(meanTemperature(unweighted) - c.temperature)).toBeLessThan(1);
    });
  }
});
