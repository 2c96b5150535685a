import { describe, expect, it } from 'vitest';
import { detectOffline } from '../../src/detect';
import { mainPlateau, onsetTemperatureError, type OnsetFrame, type PlateauEvent } from '../../src/beamtime/plateau';

function event(fields: Partial<PlateauEvent>): PlateauEvent {
  return {
    kind: 'plateau',
    startPower: 20,
    endPower: null,
    temperature: 2000,
    significance: 5,
    slopeBefore: 50,
    slopeAfter: 5,
    detectedAtIndex: 0,
    direction: 1,
    ...fields,
  };
}

/** Heating curve: T = 1100 + 50 P, a plateau of slope 5 K/W over [onset, onset + 6] W, then 50 K/W again. */
function truthAt(power: number, onset: number): number {
  if (power <= onset) {
    return 1100 + 50 * power;
  }
  const inPlateau = Math.min(power, onset + 6) - onset;
  return 1100 + 50 * onset + 5 * inPlateau + 50 * Math.max(0, power - onset - 6);
}

/** A deterministic normal generator (LCG + Box–Muller), independent of src/sim. */
function normals(seed: number): () => number {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function noisyRun(seed: number, sigma: number, onset: number): OnsetFrame[] {
  const gauss = normals(seed);
  const frames: OnsetFrame[] = [];
  for (let k = 0; k < 240; k++) {
    const power = 5 + (40 * k) / 239;
    frames.push({
      index: k,
      power,
      temperature: truthAt(power, onset) + sigma * gauss(),
      temperatureError: sigma,
      flags: [],
    });
  }
  return frames;
}

describe('the main plateau of a run', () => {
  it('is the most significant plateau of the heating leg; slope changes and retracted events do not count', () => {
    const weak = event({ startPower: 15, significance: 4 });
    const strong = event({ startPower: 30, significance: 9 });
    const cooling = event({ startPower: 25, significance: 20, direction: -1 });
    const change = event({ kind: 'slope-change', startPower: 10, significance: 30 });
    const retracted = event({ startPower: 12, significance: 40, retracted: true });
    expect(mainPlateau([weak, strong, cooling, change, retracted])).toBe(strong);
    expect(mainPlateau([cooling, change])).toBe(cooling);
    expect(mainPlateau([change, retracted])).toBeNull();
    expect(mainPlateau([])).toBeNull();
  });

  it('equal significance goes to the lower onset power', () => {
    const high = event({ startPower: 30, significance: 6 });
    const low = event({ startPower: 18, significance: 6 });
    expect(mainPlateau([high, low])).toBe(low);
  });
});

describe('the error of the onset temperature', () => {
  it("is honest: over 40 noisy runs the detector's onset temperature scatters around the truth by that error", () => {
    const sigma = 10;
    const onset = 20;
    const pulls: number[] = [];
    const errors: number[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const frames = noisyRun(seed, sigma, onset);
      const points = frames.map((f) => ({
        index: f.index,
        power: f.power!,
        temperature: f.temperature!,
        temperatureError: sigma,
      }));
      const events = detectOffline(points).events as unknown as PlateauEvent[];
      const plateau = mainPlateau(events);
      expect(plateau).not.toBeNull();
      const error = onsetTemperatureError(frames, plateau!, events);
      expect(error).not.toBeNull();
      errors.push(error!);
      pulls.push((plateau!.temperature - truthAt(onset, onset)) / error!);
    }
    const rms = Math.sqrt(pulls.reduce((s, p) => s + p * p, 0) / pulls.length);
    // a χ² of 40 draws: rms within about ±25 % of 1 when the error is right
    expect(rms).toBeGreaterThan(0.65);
    expect(rms).toBeLessThan(1.45);
    // and it is a few K, not the per-frame 15 K: ~100 frames constrain the kink
    const median = errors.sort((a, b) => a - b)[errors.length >> 1];
    expect(median).toBeGreaterThan(1);
    expect(median).toBeLessThan(sigma);
  });

  it('grows with the scatter of the frames (the same run at 4× the noise: about 4× the error)', () => {
    const errorAt = (sigma: number) => {
      const frames = noisyRun(7, sigma, 22);
      return onsetTemperatureError(frames, event({ startPower: 22, endPower: 28 }), []);
    };
    const ratio = errorAt(40)! / errorAt(10)!;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.5);
  });

  it('ignores flagged frames and frames below 1000 K, and is null with fewer than 3 usable frames on a side', () => {
    const frames = noisyRun(3, 10, 20);
    const before = frames.filter((f) => f.power! < 20);
    for (const f of before.slice(3)) {
      f.flags = ['saturated'];
    }
    expect(onsetTemperatureError(frames, event({ startPower: 20, endPower: 26 }), [])).not.toBeNull();
    before[0].flags = ['weak'];
    expect(onsetTemperatureError(frames, event({ startPower: 20, endPower: 26 }), [])).toBeNull();
    const cold = noisyRun(3, 10, 20).map((f) => ({ ...f, temperature: f.temperature! - 2200 }));
    expect(onsetTemperatureError(cold, event({ startPower: 20, endPower: 26 }), [])).toBeNull();
  });
});
