/**
 * A fake LiveSource for server and browser tests (and the dev script): a simulated heating shot with a plateau,
 * emitted as the real pipeline would (hello, batched frames, throttled spectra from the CCD simulator, events,
 * status), without the fitting core. Deterministic for a given seed.
 */
import { Subject } from 'rxjs';
import type { FrameMessage, LiveEvent, LiveMessage } from '../../src/protocol';
import type { LiveSource } from '../../src/server/protocol';
import {
  defaultResponse,
  defaultWavelengths,
  expectedCounts,
  planckRadiance,
  simulateSpectrum,
  DEFAULT_DETECTOR,
} from '../../src/sim/spectrum';
import { Rng } from '../../src/sim/rng';

export interface FakeSource extends LiveSource {
  /** Emit a message to every subscriber (as the pipeline would). */
  push(msg: LiveMessage): void;
  /** Power readings received through ingestPower. */
  ingested: { power: number; time?: number }[];
  stopped: boolean;
}

/** A bare source: tests push messages by hand; snapshot() returns `snapshot`. */
export function createFakeSource(snapshot: LiveMessage[] = []): FakeSource {
  const subject = new Subject<LiveMessage>();
  const src: FakeSource = {
    messages: subject.asObservable(),
    snapshot: () => snapshot.slice(),
    ingested: [],
    stopped: false,
    ingestPower(r) {
      src.ingested.push(r);
    },
    push(msg) {
      subject.next(msg);
    },
    async stop() {
      src.stopped = true;
      subject.complete();
    },
  };
  return src;
}

/** The "true" curve of the simulated shot: linear, a plateau from 24 to 29 W, linear again. */
export const SHOT = { t0: 1100, slope: 85, plateauStart: 24, plateauEnd: 29, plateauSlope: 6, maxPower: 40 };

export function trueTemperature(p: number): number {
  const { t0, slope, plateauStart, plateauEnd, plateauSlope } = SHOT;
  if (p <= plateauStart) {
    return t0 + slope * p;
  }
  const top = t0 + slope * plateauStart;
  if (p <= plateauEnd) {
    return top + plateauSlope * (p - plateauStart);
  }
  return top + plateauSlope * (plateauEnd - plateauStart) + slope * (p - plateauEnd);
}

export interface ShotOptions {
  /** Frames per second (default 500). */
  rate?: number;
  /** Laser power ramp speed in W/s (default 4). Power is stepped every 0.25 W. */
  wattsPerSecond?: number;
  /** Spectra per second (default 20). */
  spectraPerSecond?: number;
  /** Timer period in ms: frames are emitted in batches (default 20). */
  tickMs?: number;
  seed?: number;
  /** Number of pixels of the spectra (default 1340). */
  pixels?: number;
  /** Start over at maxPower (with a reset message). Default true. */
  loop?: boolean;
  /**
   * Double-sided heating: ROI names (e.g. ['DS', 'US']). The hello lists them and each frame carries their
   * temperatures: the first is the top-level one, each further ROI runs `roiOffset` K hotter per position
   * with its own noise. Default: none (a single ROI, no `rois` in the frames).
   */
  rois?: string[];
  /** K added per ROI position (default 150). */
  roiOffset?: number;
}

export interface FakeShot {
  source: FakeSource;
  /** Frames emitted so far. */
  frameCount(): number;
  stop(): Promise<void>;
}

/** A live simulated shot on timers, emitting what the pipeline would emit. */
export function startFakeShot(opts: ShotOptions = {}): FakeShot {
  const rate = opts.rate ?? 500;
  const wps = opts.wattsPerSecond ?? 4;
  const tickMs = opts.tickMs ?? 20;
  const spectraPerSecond = opts.spectraPerSecond ?? 20;
  const rng = new Rng(opts.seed ?? 11);
  const wl = defaultWavelengths(opts.pixels ?? 1340);
  const resp = defaultResponse(wl);
  const range: [number, number] = [570, 830];
  const roiNames = opts.rois ?? [];
  const roiOffset = opts.roiOffset ?? 150;
  const hello: LiveMessage = {
    type: 'hello',
    version: '0.1.0',
    source: 'fake simulated shot',
    range,
    rois: roiNames.slice(),
  };

  const recent: FrameMessage[] = [];
  const events = new Map<string, LiveEvent>();
  let lastSpectrum: LiveMessage | null = null;
  let lastStatus: LiveMessage | null = null;
  let index = 0;
  let run = 0;
  let runStart = Date.now();
  let lastSpectrumAt = 0;
  let lastStatusAt = 0;
  const flagged: Record<string, number> = {};
  const latencies: number[] = [];
  let recentTimes: number[] = [];

  const source = createFakeSource();
  source.snapshot = () => {
    const out: LiveMessage[] = [{ ...hello, run } as LiveMessage, { type: 'frames', frames: recent.slice(-2000) }];
    for (const event of events.values()) {
      out.push({ type: 'event', event });
    }
    if (lastSpectrum) {
      out.push(lastSpectrum);
    }
    if (lastStatus) {
      out.push(lastStatus);
    }
    return out;
  };
  source.push(hello);

  const makeSpectrum = (i: number, t: number): LiveMessage => {
    // the operator keeps the detector well below full scale: exposure chosen for a peak of ~30,000 counts
    const probe = expectedCounts({ wavelength: wl, temperature: t, response: resp, exposure: 0.01 });
    let peak = 0;
    for (const v of probe) {
      peak = Math.max(peak, v);
    }
    const exposure = 0.01 * Math.min(1, 30000 / peak);
    const sim = simulateSpectrum(
      { wavelength: wl, temperature: t, response: resp, exposure, cosmics: rng.uniform() < 0.1 ? 1 : 0 },
      rng,
    );
    const radiance: number[] = new Array(wl.length);
    const fit: number[] = new Array(wl.length);
    const mask: number[] = new Array(wl.length);
    // radiance in the simulator's units (counts above bias / response), fit = the greybody scaled to it
    let num = 0;
    let den = 0;
    for (let k = 0; k < wl.length; k++) {
      radiance[k] = (sim.counts[k] - DEFAULT_DETECTOR.bias) / resp[k];
      const inRange = wl[k] >= range[0] && wl[k] <= range[1];
      mask[k] = inRange && !sim.cosmicMask[k] ? 0 : 1;
      const L = planckRadiance(wl[k], t);
      if (!mask[k]) {
        num += radiance[k] * L;
        den += L * L;
      }
    }
    const s = den > 0 ? num / den : 0;
    for (let k = 0; k < wl.length; k++) {
      fit[k] = s * planckRadiance(wl[k], t);
    }
    return {
      type: 'spectrum',
      index: i,
      wavelength: Array.from(wl, (v) => Math.round(v * 1000) / 1000),
      radiance,
      fit,
      mask,
    };
  };

  const tick = () => {
    const now = Date.now();
    const elapsed = (now - runStart) / 1000;
    const due = Math.floor(elapsed * rate);
    const frames: FrameMessage[] = [];
    let maxPowerReached = false;
    while (index < due) {
      const time = index / rate;
      const power = Math.floor((time * wps) / 0.25) * 0.25;
      if (power > SHOT.maxPower) {
        maxPowerReached = true;
        break;
      }
      const tTrue = trueTemperature(power);
      const sigma = 4 + tTrue / 400;
      const flags: FrameMessage['flags'] = [];
      const u = rng.uniform();
      if (u < 0.01) {
        flags.push('cosmic');
      } else if (u < 0.013) {
        flags.push('saturated');
      }
      const failed = u > 0.998;
      if (failed) {
        flags.push('fit-failed');
      }
      for (const f of flags) {
        flagged[f] = (flagged[f] ?? 0) + 1;
      }
      const latencyMs = 0.3 + 0.4 * rng.uniform();
      latencies.push(latencyMs);
      const temperature = failed ? null : tTrue + sigma * rng.normal();
      const frame: FrameMessage = {
        index,
        time,
        power,
        temperature,
        temperatureError: failed ? null : sigma,
        chi2: failed ? null : 1 + 0.1 * rng.normal(),
        flags,
        twoColor: failed ? null : { mean: tTrue + 20 * rng.normal(), std: 40 + 10 * rng.uniform() },
        latencyMs,
      };
      if (roiNames.length > 1) {
        frame.rois = {};
        roiNames.forEach((name, k) => {
          const t = k === 0 ? temperature : failed ? null : tTrue + k * roiOffset + sigma * rng.normal();
          frame.rois![name] = { temperature: t, temperatureError: t === null ? null : sigma };
        });
      }
      frames.push(frame);
      recentTimes.push(now);
      index++;
    }
    if (frames.length) {
      for (const f of frames) {
        recent.push(f);
      }
      if (recent.length > 5000) {
        recent.splice(0, recent.length - 5000);
      }
      source.push({ type: 'frames', frames });
      const last = frames[frames.length - 1];
      const p = last.power ?? 0;
      // the detector's plateau: announced 2 W into it, completed 1 W after its end
      if (p >= SHOT.plateauStart + 2 && !events.has('plateau-1')) {
        emitEvent({
          id: 'plateau-1',
          run,
          kind: 'plateau',
          startPower: SHOT.plateauStart,
          endPower: null,
          startIndex: Math.round((SHOT.plateauStart / wps) * rate),
          endIndex: null,
          detectedAtIndex: last.index,
          slopeBefore: SHOT.slope,
          slopeAfter: SHOT.plateauSlope,
          temperature: trueTemperature(SHOT.plateauStart),
          significance: 7.5,
        });
      }
      const ev = events.get('plateau-1');
      if (ev && ev.endPower === null && p >= SHOT.plateauEnd + 1) {
        emitEvent({
          ...ev,
          endPower: SHOT.plateauEnd,
          endIndex: Math.round((SHOT.plateauEnd / wps) * rate),
          significance: 11.2,
        });
      }
      if (now - lastSpectrumAt >= 1000 / spectraPerSecond && last.temperature !== null) {
        lastSpectrumAt = now;
        lastSpectrum = makeSpectrum(last.index, trueTemperature(p));
        source.push(lastSpectrum);
      }
    }
    if (now - lastStatusAt >= 500) {
      lastStatusAt = now;
      recentTimes = recentTimes.filter((x) => now - x < 1000);
      const sorted = latencies.slice(-2000).sort((a, b) => a - b);
      if (latencies.length > 4000) {
        latencies.splice(0, latencies.length - 2000);
      }
      lastStatus = {
        type: 'status',
        framesPerSecond: recentTimes.length,
        latencyP50: sorted.length ? sorted[Math.floor(sorted.length * 0.5)] : 0,
        latencyP99: sorted.length ? sorted[Math.floor(sorted.length * 0.99)] : 0,
        frames: index,
        flagged: { ...flagged },
        source: 'fake simulated shot',
        running: true,
        run,
        sourceState: { state: 'running' },
      };
      source.push(lastStatus);
    }
    if (maxPowerReached && (opts.loop ?? true)) {
      index = 0;
      runStart = Date.now();
      recent.length = 0;
      events.clear();
      for (const k of Object.keys(flagged)) {
        delete flagged[k];
      }
      run++;
      source.push({ type: 'reset', reason: 'looped', run });
      source.push({ ...hello, run } as LiveMessage);
    }
  };

  const emitEvent = (event: LiveEvent) => {
    events.set(event.id, event);
    source.push({ type: 'event', event });
  };

  const timer = setInterval(tick, tickMs);
  return {
    source,
    frameCount: () => index,
    stop: async () => {
      clearInterval(timer);
      await source.stop();
    },
  };
}
