/**
 * The dashboard in a real browser, fed by the fake simulated shot through the real server: a moving
 * temperature, three drawn charts, the plateau event, no console errors, no external request; reconnects after
 * the server comes back. Leaves a screenshot in test-artifacts/dashboard.png.
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, RunningServer } from '../../src/server';
import { startFakeShot, FakeShot, trueTemperature, SHOT } from '../server/fake-source';
import {
  ARTIFACTS,
  buildWeb,
  Browser,
  canvasColours,
  canvasInk,
  chromiumAvailable,
  legendLabels,
  openBrowser,
  temperatureNumber,
} from './browser';

const available = chromiumAvailable();

/**
 * A fake shot served by the real server and a browser allowed to talk to it, set up before the describe's tests
 * and torn down after them. `server` may be replaced by a test (restart); teardown closes the current one.
 */
function fakeShotRig(options: Parameters<typeof startFakeShot>[0]) {
  const rig = {} as { shot: FakeShot; server: RunningServer; browser: Browser };
  beforeAll(async () => {
    buildWeb();
    rig.shot = startFakeShot(options);
    rig.server = await startServer({ port: 0, source: rig.shot.source });
    rig.browser = await openBrowser(rig.server.url.replace(/\/$/, ''));
  });
  afterAll(async () => {
    await rig.browser?.close();
    await rig.server?.close();
    await rig.shot?.stop();
  });
  return rig;
}

describe.skipIf(!available)('dashboard in chromium (fake source)', () => {
  // 500 frames/s, 10 W/s: the plateau (24–29 W) is announced at ~2.6 s and closed at ~3 s
  const rig = fakeShotRig({ rate: 500, wattsPerSecond: 10, loop: false, seed: 3 });

  it('shows a moving temperature, three drawn charts and the plateau event, without console errors', async () => {
    const { page } = rig.browser;
    await page.goto(rig.server.url);
    await page.waitForFunction(() =>
      /^\d+$/.test(document.querySelector('[data-testid="temperature"]')?.textContent ?? ''),
    );
    const t1 = await temperatureNumber(page);
    await page.waitForTimeout(700);
    const t2 = await temperatureNumber(page);
    expect(t1).toBeGreaterThan(1000);
    expect(t2).toBeLessThan(5000);
    expect(t2).not.toBe(t1);
    await expect.poll(() => page.getAttribute('[data-testid="connection"]', 'data-state')).toBe('open');

    // the plateau: announced, then completed with its end power
    const events = page.locator('[data-testid="events"]');
    await page.waitForFunction(
      () => /→ 29\.0 W/.test(document.querySelector('[data-testid="events"]')?.textContent ?? ''),
      null,
      { timeout: 20_000 },
    );
    const text = (await events.textContent()) ?? '';
    const m = /plateau at (\d+\.\d) W, (\d+) K/.exec(text);
    expect(m, text).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(SHOT.plateauStart, 1);
    expect(Math.abs(Number(m![2]) - trueTemperature(SHOT.plateauStart))).toBeLessThan(50);

    // the displayed temperature follows the simulated curve at the displayed power
    const [power, shown] = await page.evaluate(() => [
      Number(document.getElementById('power')?.textContent),
      Number(document.querySelector('[data-testid="temperature"]')?.textContent),
    ]);
    expect(Math.abs(shown - trueTemperature(power))).toBeLessThan(80); // 80 K ≈ 6 σ of the simulated scatter

    // each chart has its canvas and has drawn data on it (many colours: lines, points, shading)
    for (const id of ['chart-time', 'chart-power', 'chart-spectrum']) {
      const colours = await canvasColours(page, id);
      expect(colours.length, id).toBeGreaterThan(0);
      expect(Math.max(...colours), id).toBeGreaterThan(20);
    }
    // a single ROI: the charts as they always were, no ROI series (and no ROI colour on them)
    expect(await legendLabels(page, 'chart-time')).toEqual(['time', 'T', 'T − σ', 'T + σ', 'flagged']);
    expect(await legendLabels(page, 'chart-power')).toEqual(['power', 'frames', 'mean per step']);
    expect((await canvasInk(page, 'chart-time', 'violet')).count).toBe(0);
    expect((await canvasInk(page, 'chart-power', 'violet')).count).toBe(0);
    // status bar filled from the status messages
    expect(Number(await page.textContent('#fps'))).toBeGreaterThan(100);
    expect(await page.textContent('#latency')).toMatch(/ms$/);
    expect(await page.textContent('[data-testid="flagged"]')).toMatch(/cosmic \d+/);

    await page.waitForTimeout(300);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png') });
    expect(rig.browser.problems).toEqual([]);
  });

  it('reconnects on its own when the server comes back', async () => {
    const { page } = rig.browser;
    const port = rig.server.port;
    await rig.server.close();
    await expect
      .poll(() => page.getAttribute('[data-testid="connection"]', 'data-state'), { timeout: 5000 })
      .toBe('closed');
    expect(await page.textContent('[data-testid="connection"]')).toMatch(/retry in/);
    rig.server = await startServer({ port, source: rig.shot.source });
    await expect
      .poll(() => page.getAttribute('[data-testid="connection"]', 'data-state'), { timeout: 15_000 })
      .toBe('open');
    // the snapshot brought the event back after the reconnect cleared the page
    await page.waitForFunction(
      () => /plateau at/.test(document.querySelector('[data-testid="events"]')?.textContent ?? ''),
      null,
      { timeout: 5000 },
    );
    // only the expected complaints while the server was away (failed WebSocket connections), nothing else
    const other = rig.browser.problems.filter(
      (p) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(p),
    );
    expect(other).toEqual([]);
  });
});

describe.skipIf(!available)('dashboard in chromium, double-sided heating (two ROIs)', () => {
  // the upstream side (US) runs 150 K hotter than the downstream one (DS, the top-level temperature)
  const rig = fakeShotRig({ rate: 500, wattsPerSecond: 10, loop: false, seed: 5, rois: ['DS', 'US'], roiOffset: 150 });

  it('draws one temperature series per ROI on the time and power charts, named after the ROIs', async () => {
    const { page } = rig.browser;
    await page.goto(rig.server.url);
    await page.waitForFunction(() =>
      /^\d+$/.test(document.querySelector('[data-testid="temperature"]')?.textContent ?? ''),
    );
    // the main series stays the first ROI; the second gets its own series after the fixed ones
    expect(await legendLabels(page, 'chart-time')).toEqual(['time', 'DS', 'DS − σ', 'DS + σ', 'flagged', 'US']);
    expect(await legendLabels(page, 'chart-power')).toEqual(['power', 'DS', 'DS mean per step', 'US']);
    // wait on what the page shows: both ROI numbers painted, then enough of each series drawn
    await page.waitForFunction(
      () => {
        const text = document.querySelector('[data-testid="rois"]')?.textContent ?? '';
        return /DS \d+ ± \d+ K/.test(text) && /US \d+ ± \d+ K/.test(text);
      },
      null,
      { timeout: 20_000 },
    );
    for (const id of ['chart-time', 'chart-power']) {
      await expect
        .poll(async () => (await canvasInk(page, id, 'orange')).count, { timeout: 20_000 })
        .toBeGreaterThan(50);
      await expect
        .poll(async () => (await canvasInk(page, id, 'violet')).count, { timeout: 20_000 })
        .toBeGreaterThan(50);
      const main = await canvasInk(page, id, 'orange');
      const us = await canvasInk(page, id, 'violet');
      // drawn where its values are: 150 K hotter, so higher on the chart on average
      expect(us.meanY, id).toBeLessThan(main.meanY);
    }
    // the numbers wear their series' colours (read once both are painted with their colour set)
    const roiColours = () =>
      page.$$eval('[data-testid="rois"] b', (bs) => bs.map((b) => [b.textContent, getComputedStyle(b).color]));
    await expect.poll(roiColours, { timeout: 10_000 }).toEqual([
      ['DS', 'rgb(255, 138, 61)'],
      ['US', 'rgb(183, 148, 255)'],
    ]);

    await page.waitForFunction(
      () => /→ 29\.0 W/.test(document.querySelector('[data-testid="events"]')?.textContent ?? ''),
      null,
      { timeout: 20_000 },
    );
    await page.waitForTimeout(300);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-two-rois.png') });
    expect(rig.browser.problems).toEqual([]);
  });
});
