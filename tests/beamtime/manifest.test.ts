import { describe, expect, it } from 'vitest';
import * as path from 'path';
import { parseColumnHeader, parseManifest } from '../../src/beamtime/manifest';
import { splitQuotedCells } from '../../src/io/textFile';
import { inShard, parseShard, selectShard } from '../../src/beamtime/shard';
import { shotAnalysis } from '../../src/beamtime/batch';
import { InputFileError, UsageError } from '../../src/errors';

const FILE = path.join('/data', 'bt', 'manifest.csv');

describe('manifest header names and units', () => {
  it.each([
    ['pressure_GPa', 'pressure', 'GPa'],
    ['pressure (GPa)', 'pressure', 'GPa'],
    ['Pressure [kbar]', 'pressure', 'kbar'],
    ['P_GPa', 'p', 'GPa'],
    ['pressure_kbar', 'pressure', 'kbar'],
    ['read_noise', 'read_noise', null],
    ['Lamp Temperature (K)', 'lamp_temperature', 'K'],
    ['note', 'note', null],
  ])('%s → %s in %s', (raw, name, unit) => {
    const header = parseColumnHeader(raw);
    expect(header.name).toBe(name);
    expect(header.unit).toBe(unit);
  });

  it('converts pressures to GPa (kbar × 0.1, MPa × 0.001) and keeps GPa as is', () => {
    const rows = (col: string, value: string) =>
      parseManifest(`shot,${col}\na.spe,${value}\n`, FILE).shots[0].pressureGPa;
    expect(rows('pressure_GPa', '95.5')).toBe(95.5);
    expect(rows('pressure (kbar)', '955')).toBeCloseTo(95.5, 12);
    expect(rows('P_MPa', '95500')).toBeCloseTo(95.5, 12);
    expect(rows('pressure [Mbar]', '1.2')).toBeCloseTo(120, 12);
  });

  it('pressure before and after heating: pressure_GPa is the pressure, the others stay metadata', () => {
    const manifest = parseManifest('shot,pressure_before_GPa,pressure_GPa,pressure_after_GPa\na.spe,90,92,94\n', FILE);
    expect(manifest.shots[0].pressureGPa).toBe(92);
    expect(manifest.shots[0].columns.pressure_after_GPa).toBe('94');
    const without = parseManifest('shot,pressure_before_GPa\na.spe,90\n', FILE);
    expect(without.shots[0].pressureGPa).toBeNull();
  });

  it('a pressure column without a unit is GPa, with a warning; an unknown unit is an error naming the file', () => {
    const manifest = parseManifest('shot,pressure\na.spe,80\n', FILE);
    expect(manifest.shots[0].pressureGPa).toBe(80);
    expect(manifest.warnings.join()).toMatch(/pressure.*no unit.*GPa/);
    expect(() => parseManifest('shot,pressure_psi\na.spe,80\n', FILE)).toThrow(InputFileError);
    expect(() => parseManifest('shot,pressure_psi\na.spe,80\n', FILE)).toThrow(
      /manifest\.csv.*unknown pressure unit "psi"/,
    );
  });
});

describe('manifest rows', () => {
  it('resolves paths against the manifest folder, keeps every cell as metadata, reads quoted cells', () => {
    const text =
      '# beamtime 2024-05\nshot,power,pressure_GPa,note\np82/shot.spe,p82/power.csv,82,"first, careful"\n\n' +
      '/abs/b.spe,,95,\n';
    const manifest = parseManifest(text, FILE);
    expect(manifest.shots).toHaveLength(2);
    const [first, second] = manifest.shots;
    expect(first.shots).toEqual([path.join('/data', 'bt', 'p82', 'shot.spe')]);
    expect(first.power).toBe(path.join('/data', 'bt', 'p82', 'power.csv'));
    expect(first.line).toBe(3);
    expect(first.columns).toEqual({
      shot: 'p82/shot.spe',
      power: 'p82/power.csv',
      pressure_GPa: '82',
      note: 'first, careful',
    });
    expect(second.shots).toEqual(['/abs/b.spe']);
    expect(second.power).toBeNull();
    expect(second.line).toBe(5);
    expect(second.position).toBe(1);
  });

  it('semicolon separators with decimal commas, as spreadsheets in many locales write them', () => {
    const manifest = parseManifest('shot;pressure (GPa);gain\na.spe;95,5;1,25\n', FILE);
    expect(manifest.shots[0].pressureGPa).toBe(95.5);
    expect(manifest.shots[0].overrides.gain).toBe(1.25);
  });

  it('per-shot option columns override (paths resolved, numbers parsed); several shot files with |', () => {
    const manifest = parseManifest(
      'shot,calibration,lamp_temperature,rows,range,roi\n' +
        'a.spe|a2.spe,lamps/l1.spe,2900,2:5,600:800,\nb.spe,,,,,DS=1:3 US=5:6\n',
      FILE,
    );
    const [a, b] = manifest.shots;
    expect(a.shots).toEqual([path.join('/data/bt/a.spe'), path.join('/data/bt/a2.spe')]);
    expect(a.overrides).toEqual({
      calibration: path.join('/data/bt/lamps/l1.spe'),
      lampTemperature: 2900,
      rows: '2:5',
      range: [600, 800],
    });
    expect(b.overrides).toEqual({ roi: ['DS=1:3', 'US=5:6'] });
    // rows and roi replace each other: the row's rows wins over the command line's roi and vice versa
    const common = { rows: null, roi: ['X=0:1'], method: 'planck' as const };
    expect(shotAnalysis(a, common)).toMatchObject({ rows: '2:5', roi: [], shots: a.shots, lampTemperature: 2900 });
    expect(shotAnalysis(b, { ...common, rows: '0:7', roi: [] })).toMatchObject({
      rows: null,
      roi: ['DS=1:3', 'US=5:6'],
    });
  });

  it("a bad cell is that row's problem (line and column named), not the manifest's", () => {
    const manifest = parseManifest(
      'shot,pressure_GPa,gain,method\ngood.spe,80,2,planck\nbad.spe,high,-1,fourier\n',
      FILE,
    );
    expect(manifest.shots[0].problem).toBeNull();
    const problem = manifest.shots[1].problem ?? '';
    expect(problem).toMatch(/manifest\.csv line 3/);
    expect(problem).toMatch(/pressure_GPa "high" is not a number/);
    expect(problem).toMatch(/gain -1 must be positive/);
    expect(problem).toMatch(/method "fourier"/);
  });

  it('output names: the file stem; the relative path where stems repeat; a name column wins', () => {
    const names = (text: string) => parseManifest(text, FILE).shots.map((s) => s.name);
    expect(names('shot\nrun1.spe\nrun2.spe\n')).toEqual(['run1', 'run2']);
    expect(names('shot\np82/shot.spe\np95/shot.spe\nother.spe\n')).toEqual(['p82_shot', 'p95_shot', 'other']);
    expect(names('shot,name\np82/shot.spe,H2 82 GPa\np95/shot.spe,H2-95\n')).toEqual(['H2_82_GPa', 'H2-95']);
    expect(() => names('shot\na.spe\na.spe\n')).toThrow(/rows 1 and 2 give the same output name "a"/);
  });

  it('manifest errors name the file: no shot column, no rows, an empty shot cell, too many cells', () => {
    expect(() => parseManifest('file_name,pressure_GPa\nx,1\n', FILE)).toThrow(
      /manifest\.csv: header .* has no shot column/,
    );
    expect(() => parseManifest('shot,pressure_GPa\n', FILE)).toThrow(/a header but no shots/);
    expect(() => parseManifest('', FILE)).toThrow(/empty manifest/);
    expect(() => parseManifest('shot,note\n,x\n', FILE)).toThrow(/line 2: the shot cell is empty/);
    expect(() => parseManifest('shot,note\na.spe,x,y\n', FILE)).toThrow(/line 2: 3 cells but the header names 2/);
  });

  it('splitQuotedCells keeps separators inside quotes and unescapes doubled quotes', () => {
    expect(splitQuotedCells('a, "b, c" ,"say ""hi"""', ',')).toEqual(['a', 'b, c', 'say "hi"']);
    expect(splitQuotedCells('a\tb\t', '\t')).toEqual(['a', 'b', '']);
  });
});

describe('shards', () => {
  it('K/N shards are disjoint and together cover every item, for many sizes', () => {
    for (let items = 0; items <= 23; items++) {
      const list = Array.from({ length: items }, (_v, k) => k);
      for (let count = 1; count <= 7; count++) {
        const seen = new Map<number, number>();
        for (let index = 1; index <= count; index++) {
          for (const item of selectShard(list, { index, count })) {
            expect(seen.has(item)).toBe(false);
            seen.set(item, index);
          }
        }
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(list);
      }
    }
  });

  it('shard K takes every N-th item starting at the K-th (1-based)', () => {
    expect(selectShard(['a', 'b', 'c', 'd', 'e', 'f', 'g'], parseShard('2/3'))).toEqual(['b', 'e']);
    expect(inShard(0, parseShard('1/1'))).toBe(true);
  });

  it.each(['0/3', '4/3', '1/0', 'a/b', '2', '1/2/3', '-1/2'])('rejects "%s"', (text) => {
    expect(() => parseShard(text)).toThrow(UsageError);
  });
});
