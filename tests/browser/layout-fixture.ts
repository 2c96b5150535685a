/**
 * A still dashboard for the layout tests: a finished two-ROI heating shot (a ramp with a closed plateau and a
 * slope change close to it), a spectrum with its fit and a last frame whose two-colour spread is not meaningful.
 * Everything is in the snapshot a client gets on connect, so the page shows a fixed state to measure.
 */
import type { FrameMessage, LiveEvent, LiveMessage } from '../../src/protocol';
import { Rng } from '../../src/sim/rng';
import { defaultWavelengths, planckRadiance } from '../../src/sim/spectrum';
import { SHOT, trueTemperature } from '../server/fake-source';

export const FIXTURE = {
  rate: 500,
  wattsPerSecond: 10,
  frames: 2000,
  rois: ['DS', 'US'],
  roiOffset: 150,
  /** The last frame's two-colour: a spread far above any meaningful one. */
  lastTwoColor: { mean: 3169, std: 14620 },
};

function powerAt(index: number): number {
  const time = index / FIXTURE.rate;
  return Math.floor((time * FIXTURE.wattsPerSecond) / 0.25) * 0.25;
}

/** The first frame index at or after which the power reaches `power`. */
export function indexAtPower(power: number): number {
  return Math.ceil((power / FIXTURE.wattsPerSecond) * FIXTURE.rate);
}

export function fixtureFrames(): FrameMessage[] {
  const rng = new Rng(7);
  const frames: FrameMessage[] = [];
  for (let index = 0; index < FIXTURE.frames; index++) {
    const power = powerAt(index);
    const truth = trueTemperature(power);
    const sigma = 4 + truth / 400;
    const temperature = truth + sigma * rng.normal();
    const flags: FrameMessage['flags'] = index % 97 === 0 ? ['cosmic'] : [];
    const twoColor = { mean: truth + 20 * rng.normal(), std: 40 + 10 * rng.uniform() };
    const rois: FrameMessage['rois'] = {};
    FIXTURE.rois.forEach((name, k) => {
      const roiT = k === 0 ? temperature : truth + k * FIXTURE.roiOffset + sigma * rng.normal();
      rois[name] = { temperature: roiT, temperatureError: sigma };
    });
    frames.push({
      index,
      time: index / FIXTURE.rate,
      power,
      temperature,
      temperatureError: sigma,
      chi2: 1 + 0.1 * rng.normal(),
      flags,
      twoColor,
      rois,
      latencyMs: 0.5,
    });
  }
  frames[frames.length - 1].twoColor = { ...FIXTURE.lastTwoColor };
  return frames;
}

/** A closed plateau (24 → 29 W) and a slope change 0.5 W after its start (their labels would collide). */
export function fixtureEvents(): LiveEvent[] {
  const plateau: LiveEvent = {
    id: 'plateau-1',
    run: 0,
    kind: 'plateau',
    startPower: SHOT.plateauStart,
    endPower: SHOT.plateauEnd,
    startIndex: indexAtPower(SHOT.plateauStart),
    endIndex: indexAtPower(SHOT.plateauEnd),
    detectedAtIndex: indexAtPower(SHOT.plateauStart + 2),
    slopeBefore: SHOT.slope,
    slopeAfter: SHOT.plateauSlope,
    temperature: trueTemperature(SHOT.plateauStart),
    significance: 11.2,
  };
  const kink: LiveEvent = {
    ...plateau,
    id: 'slope-2',
    kind: 'slope-change',
    startPower: SHOT.plateauStart + 0.5,
    endPower: null,
    startIndex: indexAtPower(SHOT.plateauStart + 0.5),
    endIndex: null,
    detectedAtIndex: indexAtPower(SHOT.plateauStart + 3),
    significance: 4.1,
  };
  return [plateau, kink];
}

function fixtureSpectrum(temperature: number, index: number): LiveMessage {
  const rng = new Rng(3);
  const wavelength = Array.from(defaultWavelengths(670));
  const peak = planckRadiance(950, temperature);
  const fit = wavelength.map((w) => planckRadiance(w, temperature) / peak);
  const radiance = fit.map((v) => v * (1 + 0.02 * rng.normal()));
  const mask = wavelength.map((w) => (w >= 570 && w <= 830 ? 0 : 1));
  return { type: 'spectrum', index, wavelength, radiance, fit, mask };
}

/** Everything a client gets on connect. */
export function fixtureSnapshot(): LiveMessage[] {
  const frames = fixtureFrames();
  const last = frames[frames.length - 1];
  const out: LiveMessage[] = [
    {
      type: 'hello',
      version: '0.1.0',
      source: 'simulated shot (DS, US)',
      range: [570, 830],
      rois: FIXTURE.rois.slice(),
    },
    { type: 'frames', frames },
  ];
  for (const event of fixtureEvents()) {
    out.push({ type: 'event', event });
  }
  out.push(fixtureSpectrum(last.temperature ?? 3000, last.index));
  out.push({
    type: 'status',
    framesPerSecond: 500,
    latencyP50: 0.5,
    latencyP99: 0.9,
    frames: frames.length,
    flagged: { cosmic: Math.ceil(FIXTURE.frames / 97) },
    source: 'simulated shot (DS, US)',
    running: false,
    run: 0,
    sourceState: { state: 'finished' },
  });
  return out;
}
