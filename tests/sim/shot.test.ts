import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { simulateShot, temperatureOfPower, writeShot } from '../../src/sim/shot';
import { planckRadiance } from '../../src/sim/spectrum';
import { openSpe } from '../../src/io/spe';
import { readPowerLog, readTable } from '../../src/io/tables';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-sim-'));

/** Unweighted greybody fit by golden section on T with the scale profiled out (independent of src/physics). */
function fitT(wl: Float64Array, y: Float64Array): number {
  const chi2 = (T: number) => {
    let syl = 0;
    let sll = 0;
    const L = Array.from(wl, (l) => planckRadiance(l, T));
    L.forEach((l, j) => {
      syl += y[j] * l;
      sll += l * l;
    });
    const s = syl / sll;
    return L.reduce((acc, l, j) => acc + (y[j] - s * l) ** 2, 0);
  };
  let a = 800;
  let b = 8000;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 80; k++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (chi2(c) < chi2(d)) {
      b = d;
    } else {
      a = c;
    }
  }
  return (a + b) / 2;
}

describe('simulated heating shot: ground truth', () => {
  it('T follows T0 + a·P with the plateau where asked', () => {
    const plateau = { start: 20, width: 8, slopeFraction: 0.25 };
    const shot = simulateShot({ frames: 401, powerStart: 10, powerEnd: 50, t0: 900, slope: 40, plateau });
    const { power, temperature } = shot.truth;
    expect(power[0]).toBeCloseTo(10, 9);
    expect(power[400]).toBeCloseTo(50, 9);
    const slopeBetween = (p1: number, p2: number) => {
      const i = power.findIndex((p) => p >= p1);
      const j = power.findIndex((p) => p >= p2);
      return (temperature[j] - temperature[i]) / (power[j] - power[i]);
    };
    expect(slopeBetween(11, 19)).toBeCloseTo(40, 6);
    expect(slopeBetween(21, 27)).toBeCloseTo(10, 6);
    expect(slopeBetween(29, 49)).toBeCloseTo(40, 6);
    expect(temperature[0]).toBeCloseTo(900 + 40 * 10, 6);
    expect(temperatureOfPower(50, 900, 40, plateau)).toBeCloseTo(900 + 40 * 20 + 10 * 8 + 40 * 22, 9);
  });

  it('frames share power steps; the power log is sampled at its own rate', () => {
    const shot = simulateShot({ frames: 100, framesPerStep: 10, frameInterval: 0.02, exposureTime: 0.01 });
    const p = shot.truth.power;
    for (let s = 0; s < 10; s++) {
      for (let k = 1; k < 10; k++) {
        expect(p[s * 10 + k]).toBe(p[s * 10]);
      }
    }
    expect(p[10]).toBeGreaterThan(p[9]);
    const log = shot.powerLog;
    expect(log.time[1] - log.time[0]).toBeCloseTo(0.02, 12);
    expect(log.time[log.time.length - 1]).toBeGreaterThanOrEqual(99 * 0.02);
  });
});

describe('simulated frames', () => {
  const shot = simulateShot({ frames: 40, seed: 11, upstream: true, cosmicRate: 0.3, saturateFrame: 5 });
  const o = shot.options;

  it('noise: (counts − bias − expected) / sqrt(expected/gain + read²) has mean ≈ 0 and std ≈ 1', () => {
    for (const noise of ['fast', 'exact'] as const) {
      const s = simulateShot({ frames: 40, seed: 3, noise });
      let n = 0;
      let sum = 0;
      let sum2 = 0;
      for (const i of [10, 39]) {
        const c = s.frame(i);
        const e = s.expectedFrame(i);
        const { gain, readNoise, bias } = s.options.detector;
        for (let k = 0; k < c.length; k++) {
          const z = (c[k] - bias - e[k]) / Math.sqrt(e[k] / gain + readNoise ** 2 + 1 / 12);
          n++;
          sum += z;
          sum2 += z * z;
        }
      }
      const mean = sum / n;
      const std = Math.sqrt(sum2 / n - mean * mean);
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(std).toBeGreaterThan(0.97);
      expect(std).toBeLessThan(1.03);
    }
  });

  it('the saturated frame clips, the others do not; cosmic frames carry a spike in the downstream band', () => {
    const max = (a: Float64Array) => a.reduce((m, v) => Math.max(m, v), 0);
    expect(max(shot.frame(5))).toBe(65535);
    expect(max(shot.frame(39))).toBeLessThan(60000);
    const cosmicFrames = Array.from(shot.truth.cosmic.keys()).filter(
      (i) => shot.truth.cosmic[i] && !shot.truth.saturated[i],
    );
    expect(cosmicFrames.length).toBeGreaterThan(3);
    for (const i of [...cosmicFrames.slice(0, 3), 0, 1, 2].filter((v, k, a) => a.indexOf(v) === k)) {
      const c = shot.frame(i);
      const e = shot.expectedFrame(i);
      let worst = 0;
      let worstRow = -1;
      for (let k = 0; k < c.length; k++) {
        const z = (c[k] - o.detector.bias - e[k]) / Math.sqrt(e[k] / o.detector.gain + 16);
        if (z > worst) {
          worst = z;
          worstRow = Math.floor(k / o.width);
        }
      }
      if (shot.truth.cosmic[i]) {
        expect(worst).toBeGreaterThan(20);
        expect(worstRow).toBeGreaterThanOrEqual(o.downstreamRows[0]);
        expect(worstRow).toBeLessThanOrEqual(o.downstreamRows[1]);
      } else {
        expect(worst).toBeLessThan(7);
      }
    }
  });

  it('the lamp calibrates the shot: an independent greybody fit recovers the true T on both sides', () => {
    const wl = shot.wavelength;
    const mean = (get: (i: number) => Float64Array, n: number) => {
      const acc = new Float64Array(o.rows * o.width);
      for (let i = 0; i < n; i++) {
        get(i).forEach((v, k) => {
          acc[k] += v / n;
        });
      }
      return acc;
    };
    const lamp = mean(shot.lampFrame, o.lamp.frames);
    const dark = mean(shot.darkFrame, o.dark.frames);
    const roiSum = (f: Float64Array, [a, b]: [number, number]) => {
      const out = new Float64Array(o.width);
      for (let r = a; r <= b; r++) {
        for (let j = 0; j < o.width; j++) {
          out[j] += f[r * o.width + j];
        }
      }
      return out;
    };
    const used = Array.from(wl.keys()).filter((j) => wl[j] >= 570 && wl[j] <= 830);
    for (const i of [20, 39]) {
      const frame = shot.frame(i);
      for (const [rows, truthT] of [
        [o.downstreamRows, shot.truth.temperature[i]],
        [o.upstreamRows!, shot.truth.temperatureUpstream![i]],
      ] as const) {
        const s = roiSum(frame, rows);
        const l = roiSum(lamp, rows);
        const d = roiSum(dark, rows);
        const y = Float64Array.from(
          used,
          (j) => ((s[j] - d[j]) / (l[j] - d[j])) * planckRadiance(wl[j], o.lamp.temperature),
        );
        const T = fitT(
          Float64Array.from(used, (j) => wl[j]),
          y,
        );
        expect(Math.abs(T - truthT) / truthT).toBeLessThan(0.005);
      }
    }
  });
});

describe('emissivity slope', () => {
  it('dividing out the known ε(λ) recovers T; ignoring it biases T', () => {
    const slope = -4e-4;
    const shot = simulateShot({ frames: 10, seed: 2, emissivitySlope: slope });
    const o = shot.options;
    const wl = shot.wavelength;
    const i = 9;
    const frame = shot.frame(i);
    const avg = (get: (k: number) => Float64Array, n: number) => {
      const acc = new Float64Array(o.rows * o.width);
      for (let k = 0; k < n; k++) {
        get(k).forEach((v, j) => {
          acc[j] += v / n;
        });
      }
      return acc;
    };
    const lamp = avg(shot.lampFrame, o.lamp.frames);
    const dark = avg(shot.darkFrame, o.dark.frames);
    const [a, b] = o.downstreamRows;
    const used = Array.from(wl.keys()).filter((j) => wl[j] >= 570 && wl[j] <= 830);
    const y = used.map((j) => {
      let s = 0;
      let l = 0;
      let d = 0;
      for (let r = a; r <= b; r++) {
        s += frame[r * o.width + j];
        l += lamp[r * o.width + j];
        d += dark[r * o.width + j];
      }
      return ((s - d) / (l - d)) * planckRadiance(wl[j], o.lamp.temperature);
    });
    const x = Float64Array.from(used, (j) => wl[j]);
    const truthT = shot.truth.temperature[i];
    const tCorrected = fitT(
      x,
      Float64Array.from(y, (v, k) => v / (1 + slope * (x[k] - 700))),
    );
    const tRaw = fitT(x, Float64Array.from(y));
    expect(Math.abs(tCorrected - truthT) / truthT).toBeLessThan(0.003);
    expect(Math.abs(tRaw - truthT) / truthT).toBeGreaterThan(0.01);
  });
});

describe('writeShot', () => {
  it('writes files the reader reads back, with truth, power log and parameters', () => {
    const shot = simulateShot({ frames: 30, seed: 5, rows: 12, upstream: true, saturateFrame: 2 });
    const w = writeShot(shot, path.join(tmp, 'a'));
    const s = openSpe(w.files.shot);
    expect([s.version, s.width, s.height, s.frames, s.dataType]).toEqual([3, 1340, 12, 30, 'uint16']);
    expect(Array.from(s.wavelength!)).toEqual(Array.from(shot.wavelength));
    expect(s.exposureTime).toBe(shot.options.exposureTime);
    expect(Array.from(s.frameTimes!)).toEqual(Array.from(shot.truth.time));
    expect(Array.from(s.readFrame(17))).toEqual(Array.from(shot.frame(17)));
    const lamp = openSpe(w.files.lamp);
    expect([lamp.frames, lamp.height, lamp.exposureTime]).toEqual([
      shot.options.lamp.frames,
      12,
      shot.options.lamp.exposureTime,
    ]);
    expect(Array.from(lamp.readFrame(1))).toEqual(Array.from(shot.lampFrame(1)));
    const dark = openSpe(w.files.dark);
    expect(Array.from(dark.readFrame(0))).toEqual(Array.from(shot.darkFrame(0)));
    const log = readPowerLog(w.files.power);
    expect(log.kind).toBe('time');
    expect(log.key.length).toBe(shot.powerLog.time.length);
    const truth = readTable(w.files.truth);
    expect(truth.header).toEqual([
      'frame',
      'time_s',
      'power_W',
      'temperature_K',
      'temperature_upstream_K',
      'cosmic',
      'saturated',
    ]);
    expect(Array.from(truth.columns[0])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(Array.from(truth.columns[3])).toEqual(Array.from(shot.truth.temperature));
    expect(truth.columns[6][2]).toBe(1);
    const json = JSON.parse(fs.readFileSync(w.files.json, 'utf8'));
    expect(json.rois.downstream).toEqual(shot.options.downstreamRows);
    expect(json.rois.upstream).toEqual(shot.options.upstreamRows);
    expect(json.lamp.temperature).toBe(2800);
    expect(json.detector).toEqual({ gain: 2, readNoise: 4, bias: 600, fullScale: 65535 });
  });

  it('same seed → identical bytes; another seed → different bytes', () => {
    const files = (seed: number, dir: string) =>
      writeShot(simulateShot({ frames: 20, seed, cosmicRate: 0.2 }), path.join(tmp, dir)).files;
    const a = files(9, 's9a');
    const b = files(9, 's9b');
    const c = files(10, 's10');
    for (const k of ['shot', 'lamp', 'dark', 'power', 'truth', 'json'] as const) {
      expect(fs.readFileSync(a[k]).equals(fs.readFileSync(b[k]))).toBe(true);
    }
    expect(fs.readFileSync(a.shot).equals(fs.readFileSync(c.shot))).toBe(false);
  });

  it('rejects impossible options with a clear message', () => {
    expect(() => simulateShot({ frames: 0 })).toThrow(/frames/);
    expect(() => simulateShot({ rows: 8, downstreamRows: [6, 9] })).toThrow(/downstream rows 6:9/);
    expect(() => simulateShot({ frames: 10, saturateFrame: 10 })).toThrow(/saturate frame/);
    expect(() => simulateShot({ upstream: true, downstreamRows: [2, 6], upstreamRows: [5, 8] })).toThrow(/overlap/);
  });
});
