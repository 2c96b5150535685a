/**
 * The dashboard's run, source-state and gap handling in chromium, at 1280×720 and 800×900, fed by hand through
 * the real server (a bare fake source: every message is pushed by the test, so what the page must show is
 * known): after a reset nothing of the old run shows, not even its late final event; the source's state
 * (running, paused, finished, no such folder) is shown, and an ended source is not "no data for N s"; a gap in
 * time breaks the temperature line. Then the real pipeline on the demo's simulated shot, looped: the page ends
 * with exactly one event, the last run's plateau from onset to end. Waits on what the page shows, never on time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, RunningServer } from '../../src/server';
import { createFakeSource, FakeSource } from '../server/fake-source';
import { ARTIFACTS, buildWeb, Browser, canvasInk, chromiumAvailable, openBrowser } from './browser';
import type { FrameMessage, LiveEvent, LiveMessage, SourceStatus } from '../../src/protocol';
import { demoShotOptions, simulate, simulatedCalibration } from '../../src/stream/simulate';
import { buildAnalyzer, liveAnalyzer } from '../../src/stream/analyzer';
import { createLivePipeline } from '../../src/stream/pipeline';

const available = chromiumAvailable();

const VIEWPORTS = [
  { width: 1280, height: 720 },
  { width: 800, height: 900 },
];

const hello = (run: number): LiveMessage => ({
  type: 'hello',
  version: 't',
  source: 'hand-fed',
  range: [570, 830],
  rois: [],
  run,
});

function frame(index: number, time: number, temperature: number, gap = false): FrameMessage {
  return {
    index,
    time,
    power: 10 + index * 0.01,
    temperature,
    temperatureError: 5,
    chi2: 1,
    flags: [],
    twoColor: null,
    latencyMs: 1,
    ...(gap ? { gap: true as const } : {}),
  };
}

function plateau(run: number, detectedAtIndex: number, extra: Partial<LiveEvent> = {}): LiveEvent {
  return {
    id: `${run}-1`,
    run,
    kind: 'plateau',
    startPower: 25,
    endPower: null,
    startIndex: 10,
    endIndex: null,
    detectedAtIndex,
    slopeBefore: 50,
    slopeAfter: 5,
    temperature: 2350,
    significance: 8,
    ...extra,
  };
}

function status(run: number, sourceState: SourceStatus, frames = 10): LiveMessage {
  return {
    type: 'status',
    framesPerSecond: 100,
    latencyP50: 1,
    latencyP99: 2,
    frames,
    flagged: {},
    source: 'hand-fed',
    running: !['finished', 'missing', 'failed'].includes(sourceState.state),
    run,
    sourceState,
  };
}

describe.skipIf(!available)('live dashboard: runs, source state, gaps (chromium)', () => {
  let source: FakeSource;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    buildWeb();
    source = createFakeSource([hello(0)]);
    server = await startServer({ port: 0, source });
    browser = await openBrowser(server.url.replace(/\/$/, ''));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh page at `viewport`, connected (the server has its client) and showing the snapshot's hello. */
  async function freshPage(viewport: { width: number; height: number }) {
    const { page } = browser;
    await page.setViewportSize(viewport);
    await page.goto(server.url);
    await expect.poll(() => server.clientCount(), { timeout: 10_000 }).toBe(1);
    await page.waitForFunction(() => document.getElementById('source')?.textContent === 'hand-fed');
    return page;
  }

  const eventIds = () =>
    browser.page.$$eval('[data-testid="events"] li.event', (els) => els.map((e) => (e as HTMLElement).dataset.eventId));

  for (const viewport of VIEWPORTS) {
    const size = `${viewport.width}×${viewport.height}`;

    it(`${size}: after a reset only the new run's events show; a late final event of the old run is dropped`, async () => {
      const page = await freshPage(viewport);
      source.push({ type: 'frames', frames: Array.from({ length: 20 }, (_v, i) => frame(i, i * 0.1, 2000 + i)) });
      source.push({ type: 'event', event: plateau(0, 15) });
      await expect.poll(eventIds).toEqual(['0-1']);
      source.push({ type: 'reset', reason: 'loop', run: 1 });
      // the old run's whole-curve refinement arriving late (the bug: it came back after the reset)
      source.push({ type: 'event', event: plateau(0, 15, { final: true, significance: 38 }) });
      source.push({ type: 'frames', frames: [frame(0, 0, 1400), frame(1, 0.1, 1405)] });
      await page.waitForFunction(() => document.getElementById('frameindex')?.textContent === '1');
      expect(await eventIds()).toEqual([]);
      expect(await page.textContent('[data-testid="events"]')).toContain('no plateau yet');
      source.push({ type: 'event', event: plateau(1, 1) });
      await expect.poll(eventIds).toEqual(['1-1']);
      // several loops: exactly the current run's events, never a pile of cards
      for (const run of [2, 3, 4]) {
        source.push({ type: 'reset', reason: 'loop', run });
        source.push({ type: 'event', event: plateau(run - 1, 15, { final: true }) });
        source.push({ type: 'event', event: plateau(run, 1) });
      }
      await expect.poll(eventIds).toEqual(['4-1']);
      expect(browser.problems).toEqual([]);
    });

    it(`${size}: the source's state is shown; an ended source is not "no data for N s"`, async () => {
      const page = await freshPage(viewport);
      const stateText = () => page.textContent('[data-testid="source-state"]');
      source.push(status(4, { state: 'running' }));
      await expect.poll(stateText).toBe('running');
      source.push(status(4, { state: 'paused', detail: 'no frames in the last interval' }));
      await expect.poll(stateText).toMatch(/paused/);
      source.push(status(4, { state: 'finished' }));
      await expect.poll(stateText).toBe('finished');
      expect(await page.getAttribute('[data-testid="connection"]', 'data-state')).toBe('ended');
      expect(await page.textContent('[data-testid="connection"]')).not.toMatch(/no data/);
      source.push(status(4, { state: 'missing', detail: '/data/today: no such folder to watch' }));
      await expect.poll(stateText).toBe('no such folder');
      expect(await page.getAttribute('[data-testid="source-state"]', 'title')).toMatch(/no such folder to watch/);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({
        path: path.join(ARTIFACTS, `live-source-state-${viewport.width}x${viewport.height}.png`),
      });
      expect(browser.problems).toEqual([]);
    });

    it(`${size}: a gap in time breaks the temperature line (no line drawn across it)`, async () => {
      const page = await freshPage(viewport);
      source.push({ type: 'reset', reason: 'next shot', run: 5 });
      // 0–1 s at 3080 K, then (gap) 9–10 s at 1350 K: the middle of the time axis (5 s) lies in the gap
      const before = Array.from({ length: 50 }, (_v, i) => frame(i, i * 0.02, 3080));
      const after = Array.from({ length: 50 }, (_v, i) => frame(50 + i, 9 + i * 0.02, 1350, i === 0));
      source.push({ type: 'frames', frames: [...before, ...after] });
      await page.waitForFunction(() => document.getElementById('frameindex')?.textContent === '99');
      await expect
        .poll(async () => (await canvasInk(page, 'chart-time', 'orange')).count, { timeout: 10_000 })
        .toBeGreaterThan(30);
      const middle = await middleStripInk(page);
      expect(middle).toBe(0);
      // the same frames without the gap mark draw the straight line across (the check can see a line there)
      source.push({ type: 'reset', reason: 'again', run: 6 });
      const joined = [...before, ...after.map((f) => ({ ...f, gap: undefined }))];
      source.push({ type: 'frames', frames: joined });
      await expect.poll(() => middleStripInk(page), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(browser.problems).toEqual([]);
    });
  }
});

describe.skipIf(!available)('live dashboard on the real pipeline: a looped simulated shot (chromium)', () => {
  for (const viewport of VIEWPORTS) {
    const size = `${viewport.width}×${viewport.height}`;
    it(`${size}: three runs of the demo shot end with one event on the page, the plateau 25 → 31 W`, async () => {
      buildWeb();
      const shot = demoShotOptions({ rows: 2 });
      const cal = simulatedCalibration(shot);
      const { analyzer } = buildAnalyzer({}, cal.geometry, 'simulated', cal);
      const pipeline = createLivePipeline({
        source: simulate({ ...shot, rate: 4000, cycles: 3, cacheFrames: true }),
        sourceName: 'looped demo',
        analyzer: liveAnalyzer(analyzer),
      });
      const server = await startServer({ port: 0, source: pipeline });
      const browser = await openBrowser(server.url.replace(/\/$/, ''));
      try {
        const { page } = browser;
        await page.setViewportSize(viewport);
        await page.goto(server.url);
        await pipeline.done;
        await page.waitForFunction(
          () => document.querySelector('[data-testid="source-state"]')?.textContent === 'finished',
          null,
          { timeout: 30_000 },
        );
        const cards = page.locator('[data-testid="events"] li.event');
        await expect.poll(() => cards.count()).toBe(1);
        expect(await cards.first().getAttribute('data-event-id')).toMatch(/^2-/);
        const text = (await cards.first().textContent()) ?? '';
        expect(text).toMatch(/plateau at 25\.0 W/);
        expect(text).toMatch(/25\.0 → 31\.0 W/);
        expect(text).not.toMatch(/open/);
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, `live-looped-${viewport.width}x${viewport.height}.png`) });
        expect(browser.problems).toEqual([]);
      } finally {
        await browser.close();
        await server.close();
        await pipeline.stop();
      }
    });
  }
});

/** Orange (main series) pixels in a vertical strip at the horizontal middle of the time chart's plot area. */
function middleStripInk(page: Browser['page']): Promise<number> {
  return page.evaluate(() => {
    const over = document.querySelector('[data-testid="chart-time"] .u-over') as HTMLElement | null;
    const canvas = document.querySelector('[data-testid="chart-time"] canvas') as HTMLCanvasElement | null;
    if (!over || !canvas) {
      return -1;
    }
    const box = canvas.getBoundingClientRect();
    const plot = over.getBoundingClientRect();
    const scale = canvas.width / box.width;
    const x0 = Math.round((plot.left - box.left + plot.width / 2 - 3) * scale);
    const y0 = Math.round((plot.top - box.top) * scale);
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(canvas, 0, 0);
    const d = ctx.getImageData(x0, y0, Math.max(1, Math.round(6 * scale)), Math.round(plot.height * scale)).data;
    let count = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (r >= 200 && g >= 100 && g <= 170 && b <= 100) {
        count++;
      }
    }
    return count;
  });
}
