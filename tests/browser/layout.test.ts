/**
 * The dashboard's layout in a real browser, at 1280×720 and 800×900 (and 1920×1080, 3840×2160), on a still
 * two-ROI shot (tests/browser/layout-fixture.ts): the temperature readout large, inside its card and never covered;
 * no axis title cut off; legends with values or nothing; two-colour only when its spread is meaningful; plateau
 * shading that ends at the plateau's end; event labels that never print on top of each other.
 * Leaves screenshots in test-artifacts/ (dashboard-1280x720.png, dashboard-800x900.png, report-800x900.png, ...).
 */
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, RunningServer } from '../../src/server';
import { createFakeSource, FakeSource, SHOT } from '../server/fake-source';
import { ARTIFACTS, buildWeb, Browser, chromiumAvailable, openBrowser, ROOT } from './browser';
import { FIXTURE, fixtureFrames, fixtureSnapshot } from './layout-fixture';
import { exponentialTicks, placeLabels, residualRange } from '../../web/src/charts';
import { eventDetail, TWO_COLOR_MAX_RELATIVE_SPREAD, twoColorText } from '../../web/src/format';
import { renderReport } from '../../src/report/html';
import { fixtureEvents } from './layout-fixture';

const available = chromiumAvailable();

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

const VIEWPORTS: [number, number][] = [
  [1280, 720],
  [800, 900],
  [1920, 1080],
  [3840, 2160],
];

/**
 * With PYROLIVE_UPDATE_DOCS=1 the screenshots of the docs are written too (docs/dashboard.png at 1280×720,
 * docs/dashboard-800.png at 800×900, docs/report-800.png): `PYROLIVE_UPDATE_DOCS=1 npx vitest run tests/browser/layout.test.ts`.
 */
const DOCS_SHOTS: Record<string, string> = {
  'dashboard-1280x720': 'dashboard.png',
  'dashboard-800x900': 'dashboard-800.png',
  'report-800x900': 'report-800.png',
};

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.PYROLIVE_UPDATE_DOCS && DOCS_SHOTS[name]) {
    fs.copyFileSync(file, path.join(ROOT, 'docs', DOCS_SHOTS[name]));
  }
}

/** Waits until the page shows the fixture: the number, both events, every chart sized to its box and drawn. */
async function waitForFixture(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    /^\d+$/.test(document.querySelector('[data-testid="temperature"]')?.textContent ?? ''),
  );
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="events"] li.event').length === 2);
  await page.waitForFunction(() => {
    const roots = Array.from(document.querySelectorAll('.plot .uplot')) as HTMLElement[];
    if (roots.length !== 4) {
      return false;
    }
    return roots.every((root) => {
      const plot = root.closest('.plot-main, .plot-resid, .plot') as HTMLElement;
      const outer = plot.getBoundingClientRect();
      const inner = root.getBoundingClientRect();
      return (
        Math.abs(outer.width - inner.width) <= 1 && inner.height <= outer.height + 1 && inner.height >= outer.height - 4
      );
    });
  });
  // the event labels are recorded when the spans are drawn: both charts drew both events
  await page.waitForFunction(() => {
    const labelled = Array.from(document.querySelectorAll('#chart-time .uplot, #chart-power .uplot')) as HTMLElement[];
    return labelled.length === 2 && labelled.every((root) => (root.dataset.labels ?? '').split(';').length === 2);
  });
  await layoutSettled(page);
}

/**
 * Waits until the page has stopped moving: the boxes of the header, every card and everything in the temperature
 * card the same before and after a quarter of a second (the page redraws its text up to ten times a second, and
 * text filled in late, e.g. the source state or the flag chips, can still move or grow the cards).
 */
async function layoutSettled(page: Page): Promise<void> {
  const unchangedOverTwoFrames = () =>
    page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const boxes = () =>
            JSON.stringify(
              Array.from(document.querySelectorAll('header, .card, .card.now *')).map((el) => {
                const r = el.getBoundingClientRect();
                return [r.left, r.top, r.width, r.height];
              }),
            );
          const before = boxes();
          setTimeout(() => requestAnimationFrame(() => resolve(boxes() === before)), 250);
        }),
    );
  await expect.poll(unchangedOverTwoFrames, { timeout: 10_000 }).toBe(true);
}

async function boxOf(page: Page, selector: string): Promise<Box> {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
  });
}

/** Several boxes measured in one evaluation (one layout). */
async function boxesOf(page: Page, selectors: string[]): Promise<Box[]> {
  return page.evaluate((list) => {
    return list.map((selector) => {
      const el = document.querySelector(selector);
      if (!el) {
        throw new Error(`no element ${selector}`);
      }
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
    });
  }, selectors);
}

function expectInside(inner: Box, outer: Box, what: string): void {
  expect(inner.left, `${what}: left`).toBeGreaterThanOrEqual(outer.left - 0.5);
  expect(inner.top, `${what}: top`).toBeGreaterThanOrEqual(outer.top - 0.5);
  expect(inner.right, `${what}: right`).toBeLessThanOrEqual(outer.right + 0.5);
  expect(inner.bottom, `${what}: bottom`).toBeLessThanOrEqual(outer.bottom + 0.5);
}

/** Points of the readout's box (centre and corners, 3 px in): which element the browser shows there. */
async function readoutCovered(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const el = document.querySelector('[data-testid="temperature"]') as HTMLElement;
    const r = el.getBoundingClientRect();
    const points = [
      [r.left + r.width / 2, r.top + r.height / 2],
      [r.left + 3, r.top + 3],
      [r.right - 3, r.top + 3],
      [r.left + 3, r.bottom - 3],
      [r.right - 3, r.bottom - 3],
    ];
    const covered: string[] = [];
    for (const [x, y] of points) {
      const hit = document.elementFromPoint(x - window.scrollX, y - window.scrollY);
      if (!hit || !(hit === el || el.contains(hit))) {
        covered.push(`${x.toFixed(0)},${y.toFixed(0)}: ${hit ? `${hit.tagName}.${hit.className}` : 'nothing'}`);
      }
    }
    return covered;
  });
}

/**
 * Text-coloured ink (light grey: axis titles and tick values) on the outer edge of each chart canvas, where an
 * axis title cut off by the canvas would touch it: the left column, the bottom row, and the top and bottom rows
 * of the y-axis strip. Returns one line per canvas with ink there.
 */
async function inkOnCanvasEdges(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const canvases = Array.from(document.querySelectorAll('.plot canvas')) as HTMLCanvasElement[];
    canvases.forEach((canvas, k) => {
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = copy.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
      ctx.drawImage(canvas, 0, 0);
      const { width, height } = copy;
      const data = ctx.getImageData(0, 0, width, height).data;
      const isText = (x: number, y: number) => {
        const i = (y * width + x) * 4;
        const [r, g, b, alpha] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        return alpha > 100 && Math.min(r, g, b) > 110 && Math.max(r, g, b) - Math.min(r, g, b) < 60;
      };
      const strip = Math.round(60 * devicePixelRatio);
      let hits = 0;
      for (let y = 0; y < height; y++) {
        hits += isText(0, y) ? 1 : 0;
      }
      for (let x = 0; x < width; x++) {
        hits += isText(x, height - 1) ? 1 : 0;
      }
      for (let x = 0; x < strip; x++) {
        hits += isText(x, 0) ? 1 : 0;
      }
      if (hits) {
        out.push(
          `canvas ${k} (${canvas.closest('.card')?.getAttribute('aria-label')}): ${hits} text pixels on its edge`,
        );
      }
    });
    return out;
  });
}

/** Rows of the residual chart's tick values: clusters of text ink between the rotated title and the plot. */
async function residualTickRows(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector('#chart-spectrum-resid canvas') as HTMLCanvasElement;
    const over = document.querySelector('#chart-spectrum-resid .u-over') as HTMLElement;
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
    ctx.drawImage(canvas, 0, 0);
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const plotLeft = Math.round(parseFloat(over.style.left) * scale);
    const plotTop = Math.round(parseFloat(over.style.top) * scale);
    const plotHeight = Math.round(parseFloat(over.style.height) * scale);
    const from = Math.round(26 * scale);
    const data = ctx.getImageData(from, plotTop, plotLeft - from, plotHeight).data;
    const rowWidth = plotLeft - from;
    let clusters = 0;
    let inCluster = false;
    for (let y = 0; y < plotHeight; y++) {
      let ink = false;
      for (let x = 0; x < rowWidth && !ink; x++) {
        const i = (y * rowWidth + x) * 4;
        ink = data[i + 3] > 100 && Math.min(data[i], data[i + 1], data[i + 2]) > 110;
      }
      if (ink && !inCluster) {
        clusters++;
      }
      inCluster = ink;
    }
    return clusters;
  });
}

/**
 * Columns of the time chart, along a row 85 % down its plot (under the data right of the first tenth), that carry
 * the plateau's tint: [from, to] as fractions of the plot's width, one pair per tinted run.
 */
async function tintedRuns(page: Page): Promise<[number, number][]> {
  return page.evaluate(() => {
    const canvas = document.querySelector('#chart-time canvas') as HTMLCanvasElement;
    const over = document.querySelector('#chart-time .u-over') as HTMLElement;
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const left = Math.round(parseFloat(over.style.left) * scale);
    const width = Math.round(parseFloat(over.style.width) * scale);
    const y = Math.round((parseFloat(over.style.top) + 0.85 * parseFloat(over.style.height)) * scale);
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
    ctx.drawImage(canvas, 0, 0);
    const data = ctx.getImageData(left, y, width, 1).data;
    const runs: [number, number][] = [];
    let start = -1;
    for (let x = 0; x <= width; x++) {
      const i = x * 4;
      // the canvas is transparent over the card: the plateau's fill is (255,200,60) at 13 % opacity
      const [r, g, b, alpha] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      const tinted = x < width && alpha > 20 && alpha < 50 && r > 240 && g > 180 && g < 220 && b < 100;
      if (tinted && start < 0) {
        start = x;
      }
      if (!tinted && start >= 0) {
        // a grid line or an event's dashed line crossing the band splits it: join runs 4 px apart or closer
        const previous = runs[runs.length - 1];
        if (previous && start / width - previous[1] <= 4 / width) {
          previous[1] = x / width;
        } else if (x - start > 3) {
          runs.push([start / width, x / width]);
        }
        start = -1;
      }
    }
    return runs;
  });
}

interface PlacedLabel {
  label: string;
  x: number;
  width: number;
  line: number;
}

async function placedLabels(page: Page, chart: string): Promise<PlacedLabel[]> {
  const text = await page.$eval(`#${chart} .uplot`, (el) => (el as HTMLElement).dataset.labels ?? '');
  return text
    .split(';')
    .filter(Boolean)
    .map((entry) => {
      const [label, x, width, line] = entry.split('|');
      return { label, x: Number(x), width: Number(width), line: Number(line) };
    });
}

/** Legend value cells: their text and whether they are shown. */
async function legendValues(page: Page): Promise<{ text: string; shown: boolean }[]> {
  return page.$$eval('.u-legend .u-value', (cells) =>
    cells.map((cell) => {
      const style = getComputedStyle(cell);
      const row = cell.closest('.u-series') as HTMLElement;
      const shown = style.visibility !== 'hidden' && getComputedStyle(row).display !== 'none';
      return { text: cell.textContent ?? '', shown };
    }),
  );
}

describe('dashboard formatting rules (no browser)', () => {
  it('places labels that would overlap on separate lines, others on the first', () => {
    expect(
      placeLabels([
        { x: 100, width: 50 },
        { x: 120, width: 80 },
        { x: 300, width: 40 },
      ]),
    ).toEqual([0, 1, 0]);
    expect(
      placeLabels(
        [
          { x: 300, width: 40 },
          { x: 100, width: 50 },
          { x: 154, width: 10 },
        ],
        6,
      ),
    ).toEqual([0, 0, 1]);
    expect(
      placeLabels(
        [
          { x: 100, width: 50 },
          { x: 156, width: 10 },
        ],
        6,
      ),
    ).toEqual([0, 0]);
  });

  it('prints radiance ticks in one exponent with the decimals their step needs (no two alike)', () => {
    expect(exponentialTicks([1.3, 1.325, 1.35])).toEqual(['1.300e+0', '1.325e+0', '1.350e+0']);
    expect(exponentialTicks([0.6, 0.8, 1, 1.2])).toEqual(['0.6e+0', '0.8e+0', '1.0e+0', '1.2e+0']);
    expect(exponentialTicks([2e-9, 4e-9, 6e-9])).toEqual(['2.0e-9', '4.0e-9', '6.0e-9']);
    expect(exponentialTicks([0, 50000, 100000])).toEqual(['0.0e+5', '0.5e+5', '1.0e+5']);
  });

  it('keeps the residual axis symmetric, nice and at least ±0.5 %', () => {
    expect(residualRange(-3.2, 1)).toEqual([-5, 5]);
    expect(residualRange(-0.01, 0.02)).toEqual([-0.5, 0.5]);
    expect(residualRange(-12, 18)).toEqual([-20, 20]);
  });

  it('says where a slope change is (it has no end), where a plateau runs or that it is open', () => {
    const [plateau, kink] = fixtureEvents();
    expect(eventDetail(kink)).toBe('at 24.5 W · slope 85 → 6 K/W · 4.1σ · detected at frame 1350');
    expect(eventDetail(plateau)).toMatch(/^24\.0 → 29\.0 W · /);
    expect(eventDetail({ ...plateau, endPower: null })).toMatch(/^from 24\.0 W \(open\) · /);
  });

  it('shows the two-colour value only while its spread is at most 10 % of it', () => {
    expect(TWO_COLOR_MAX_RELATIVE_SPREAD).toBe(0.1);
    expect(twoColorText({ mean: 3120, std: 45 })).toBe('3120 ± 45 K');
    expect(twoColorText({ mean: 3000, std: 300 })).toBe('3000 ± 300 K');
    expect(twoColorText({ mean: 3000, std: 301 })).toBe('—');
    expect(twoColorText({ mean: 3169, std: 14620 })).toBe('—');
    expect(twoColorText({ mean: NaN, std: 10 })).toBe('—');
    expect(twoColorText(null)).toBe('—');
  });
});

describe.skipIf(!available)('dashboard layout in chromium', () => {
  let source: FakeSource;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    buildWeb();
    source = createFakeSource(fixtureSnapshot());
    server = await startServer({ port: 0, source });
    browser = await openBrowser(server.url.replace(/\/$/, ''));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await source?.stop();
  });

  for (const [width, height] of VIEWPORTS) {
    it(`at ${width}×${height}: readout large, inside its card and uncovered; charts inside their cards, titles whole`, async () => {
      const { page } = browser;
      await page.setViewportSize({ width, height });
      await page.goto(server.url);
      await waitForFixture(page);

      // both boxes read in one go, so a late shift of the page cannot fall between them
      const [readout, card] = await boxesOf(page, ['[data-testid="temperature"]', '.card.now']);
      expect(readout.height).toBeGreaterThanOrEqual(40);
      expectInside(readout, card, 'temperature readout');
      expect(await readoutCovered(page)).toEqual([]);
      // nothing in the temperature card spills out of it (or needs its scroll bar)
      const spill = await page.$eval('.card.now', (el) => el.scrollHeight - el.clientHeight);
      expect(spill).toBeLessThanOrEqual(1);
      const children = ['.readout', '.facts', '#rois', '#flags'];
      const [cardNow, ...childBoxes] = await boxesOf(page, ['.card.now', ...children.map((c) => `.card.now ${c}`)]);
      children.forEach((child, k) => expectInside(childBoxes[k], cardNow, child));
      for (const id of ['chart-time', 'chart-power', 'chart-spectrum']) {
        const chartCard = await boxOf(page, `[data-testid="${id}"]`);
        const section = await page.$eval(`[data-testid="${id}"]`, (el) => {
          const r = (el.closest('.card') as HTMLElement).getBoundingClientRect();
          return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
        });
        expectInside(chartCard, section, `${id} plot`);
        const roots = await page.$$eval(`[data-testid="${id}"] .uplot`, (els) =>
          els.map((el) => {
            const r = el.getBoundingClientRect();
            return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
          }),
        );
        for (const root of roots) {
          expectInside(root, section, `${id} chart and legend`);
        }
      }
      expect(await inkOnCanvasEdges(page)).toEqual([]);
      expect(await residualTickRows(page)).toBeGreaterThanOrEqual(3);
      // no horizontal scrolling at any width
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(
        0,
      );

      await screenshot(page, `dashboard-${width}x${height}`);
      expect(browser.problems).toEqual([]);
    });
  }

  for (const [width, height] of VIEWPORTS.slice(0, 2)) {
    it(`at ${width}×${height}: legends show values or nothing; two-colour only when meaningful`, async () => {
      const { page } = browser;
      await page.setViewportSize({ width, height });
      await page.goto(server.url);
      await waitForFixture(page);

      // at rest: no placeholder anywhere in a legend, and no value cell shown
      const legends = await page.$$eval('.u-legend', (els) => els.map((el) => (el as HTMLElement).innerText));
      for (const text of legends) {
        expect(text).not.toMatch(/—|--/);
      }
      expect((await legendValues(page)).filter((cell) => cell.shown)).toEqual([]);
      // on the chart: every shown value is a number with its unit
      const over = await boxOf(page, '#chart-time .u-over');
      await page.mouse.move(over.left + over.width * 0.5, over.top + over.height * 0.5);
      await expect.poll(async () => (await legendValues(page)).filter((cell) => cell.shown).length).toBeGreaterThan(2);
      // every shown value is a number with its unit, or empty (a series with no point there, e.g. 'flagged')
      const shown = (await legendValues(page)).filter((c) => c.shown);
      for (const cell of shown) {
        expect(cell.text).toMatch(/^(-?\d+(\.\d+)? (s|K|W))?$/);
      }
      expect(shown.filter((c) => c.text !== '').length).toBeGreaterThanOrEqual(3);
      await page.mouse.move(2, 2);
      await expect.poll(async () => (await legendValues(page)).filter((cell) => cell.shown).length).toBe(0);

      // the last frame's two-colour spreads far beyond 10 % of its value: not shown, and the tooltip says why
      expect(await page.textContent('#twocolor')).toBe('—');
      expect(await page.getAttribute('#twocolor', 'title')).toMatch(/3169 ± 14620 K not shown: spread above 10 %/);
      // a frame with a meaningful one: shown, on one line, inside its card
      const last = fixtureFrames()[FIXTURE.frames - 1];
      source.push({ type: 'frames', frames: [{ ...last, index: last.index + 1, twoColor: { mean: 4101, std: 48 } }] });
      await expect.poll(() => page.textContent('#twocolor')).toBe('4101 ± 48 K');
      const value = await boxOf(page, '#twocolor');
      const lineHeight = await page.$eval('#twocolor', (el) => parseFloat(getComputedStyle(el).lineHeight) || 24);
      expect(value.height).toBeLessThanOrEqual(lineHeight + 2);
      expectInside(value, await boxOf(page, '.card.now'), 'two-colour value');
      expect(browser.problems).toEqual([]);
    });

    it(`at ${width}×${height}: plateau shading ends at its end; event labels never overlap`, async () => {
      const { page } = browser;
      await page.setViewportSize({ width, height });
      await page.goto(server.url);
      await waitForFixture(page);

      // the time axis runs from the first to the last frame's time; the plateau from 24 to 29 W at 10 W/s
      const lastTime = (FIXTURE.frames - 1) / FIXTURE.rate;
      const runs = await tintedRuns(page);
      expect(runs).toHaveLength(1);
      const [from, to] = runs[0];
      expect(from).toBeCloseTo(SHOT.plateauStart / FIXTURE.wattsPerSecond / lastTime, 1);
      expect(to).toBeCloseTo(SHOT.plateauEnd / FIXTURE.wattsPerSecond / lastTime, 1);
      expect(Math.abs(to - SHOT.plateauEnd / FIXTURE.wattsPerSecond / lastTime)).toBeLessThan(0.02);

      for (const chart of ['chart-time', 'chart-power']) {
        const labels = await placedLabels(page, chart);
        expect(labels.map((l) => l.label).sort()).toEqual(['plateau', 'slope change']);
        // the slope change is 0.5 W after the plateau's start: the labels would collide on one line
        for (const a of labels) {
          for (const b of labels) {
            if (a !== b && a.line === b.line) {
              expect(a.x + a.width <= b.x || b.x + b.width <= a.x, `${chart}: ${a.label} / ${b.label}`).toBe(true);
            }
          }
        }
        expect(new Set(labels.map((l) => l.line)).size).toBe(2);
        const over = await boxOf(page, `#${chart} .u-over`);
        const root = await boxOf(page, `#${chart} .uplot`);
        for (const l of labels) {
          expect(root.left + l.x).toBeGreaterThanOrEqual(over.left - 0.5);
          expect(root.left + l.x + l.width).toBeLessThanOrEqual(over.right + 0.5);
        }
      }
      expect(browser.problems).toEqual([]);
    });
  }
});

describe.skipIf(!available)('shot report layout in chromium', () => {
  let browser: Browser;
  const frames = fixtureFrames();
  const html = renderReport(
    { source: '/data/2024-05-02/H2 run 3/results.json', engine: 'native', frames, events: fixtureEvents() },
    { title: 'H2, 95 GPa, run 3', generatedAt: '2024-05-02T10:00:00Z', version: '0.1.0' },
  );

  beforeAll(async () => {
    browser = await openBrowser('http://127.0.0.1');
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [width, height] of VIEWPORTS.slice(0, 2)) {
    it(`at ${width}×${height}: no horizontal overflow, every ROI drawn on both charts, text readable`, async () => {
      const { page } = browser;
      await page.setViewportSize({ width, height });
      await page.setContent(html);
      await page.waitForFunction(() => document.querySelectorAll('svg').length === 2);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(
        0,
      );
      // each ROI is a series of its own on both charts, drawn with as many points as the fixture's frames
      const good = frames.filter((f) => f.flags.length === 0).length;
      for (const chart of ['chart-time', 'chart-power']) {
        for (const roi of FIXTURE.rois) {
          const drawn = await page.$eval(`#${chart} [data-series="${roi}"]`, (el) => {
            const box = el.getBoundingClientRect();
            const points = el.getAttribute('points');
            return {
              width: box.width,
              height: box.height,
              count: points ? points.trim().split(' ').length : el.children.length,
            };
          });
          expect(drawn.width, `${chart} ${roi}`).toBeGreaterThan(width / 3);
          expect(drawn.height, `${chart} ${roi}`).toBeGreaterThan(50);
          expect(drawn.count, `${chart} ${roi}`).toBe(good);
        }
      }
      // chart text no smaller than 9 px on screen, table text as set (the table scrolls inside its box)
      const smallest = await page.$$eval('svg text', (texts) =>
        Math.min(...texts.map((t) => t.getBoundingClientRect().height)),
      );
      expect(smallest).toBeGreaterThanOrEqual(9);
      const table = await boxOf(page, '.table-wrap');
      expect(table.right).toBeLessThanOrEqual(width);
      await screenshot(page, `report-${width}x${height}`);
      expect(browser.problems).toEqual([]);
    });
  }
});
