/**
 * `serve --power-stdin`: readings from another program's output, one per line (VALUE, TIME VALUE, EPICS
 * camonitor), bad lines counted and reported, never fatal.
 */
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'stream';
import { parsePowerLine, readPowerLines } from '../../src/stream/powerLines';

describe('parsePowerLine', () => {
  it('VALUE, TIME VALUE (space or comma), blank and comment lines', () => {
    expect(parsePowerLine('24.1')).toEqual({ power: 24.1 });
    expect(parsePowerLine('  12.5 24.1 ')).toEqual({ time: 12.5, power: 24.1 });
    expect(parsePowerLine('12.5,2.41e1')).toEqual({ time: 12.5, power: 24.1 });
    expect(parsePowerLine('1714557601.5\t24.1')).toEqual({ time: 1714557601.5, power: 24.1 });
    expect(parsePowerLine('')).toEqual({ skip: true });
    expect(parsePowerLine('# time_s power_W')).toEqual({ skip: true });
  });

  it('camonitor lines: local date and time to Unix seconds, alarm fields ignored', () => {
    const unix = new Date(2024, 4, 1, 12, 0, 1).getTime() / 1000 + 0.123456;
    const a = parsePowerLine('LASER:POWER                    2024-05-01 12:00:01.123456 24.1');
    expect(a).toEqual({ time: expect.closeTo(unix, 6), power: 24.1 });
    const b = parsePowerLine('LASER:POWER 2024-05-01 12:00:01.123456 31.5 HIGH MINOR');
    expect(b).toMatchObject({ power: 31.5 });
  });

  it('bad lines say why', () => {
    expect(parsePowerLine('LASER:POWER <undefined> INVALID')).toHaveProperty('error');
    expect(parsePowerLine('LASER:POWER 2024-05-01 12:00:01.1 <undefined> UDF INVALID')).toEqual({
      error: 'the value is not a number',
    });
    expect(parsePowerLine('-3')).toEqual({ error: 'negative power -3' });
    expect(parsePowerLine('NaN')).toEqual({ error: 'the value is not a number' });
    expect(parsePowerLine('hello world')).toEqual({ error: 'expected TIME VALUE' });
    expect(parsePowerLine('a b c')).toHaveProperty('error');
  });
});

describe('readPowerLines', () => {
  it('hands on every good reading (converted), counts bad lines and reports the first few, then goes on', async () => {
    const input = new PassThrough();
    const got: { power: number; time?: number }[] = [];
    const notes: string[] = [];
    const done = readPowerLines(input, {
      onReading: (r) => got.push(r),
      onBadLine: (n) => notes.push(n),
      convert: (x) => x * 2,
      reportFirst: 2,
      reportEvery: 3,
    });
    input.write('1\n2 3\nbad\n');
    input.write('worse\n\n# c\nLASER:POWER 2024-05-01 12:00:01 5\nstill bad\n4\n');
    input.end();
    const stats = await done;
    expect(got.map((r) => r.power)).toEqual([2, 6, 10, 8]);
    expect(got[1].time).toBe(2);
    expect(stats).toEqual({ readings: 4, bad: 3 });
    // the first two bad lines, then the third (every 3rd)
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/line 3 "bad"/);
  });

  it('a reading the pipeline refuses is a bad line, not an error', async () => {
    const input = new PassThrough();
    const done = readPowerLines(input, {
      onReading: () => {
        throw new Error('refused');
      },
    });
    input.end('5\n');
    expect(await done).toEqual({ readings: 0, bad: 1 });
  });
});
