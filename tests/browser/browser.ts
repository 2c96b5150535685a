/** Shared set-up for the browser tests: Debian's chromium driven by playwright-core, fresh profile each time. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.PYROLIVE_CHROMIUM ?? '/usr/bin/chromium';
export const ROOT = path.resolve(__dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** true when chromium is there; throws (fails the suite) when it is missing under CI, false otherwise. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) {
    return true;
  }
  if (process.env.CI) {
    throw new Error(
      `browser tests need chromium at ${CHROMIUM} (apt-get install -y chromium), and CI is set: failing rather than skipping`,
    );
  }
  return false;
}

/** Builds web/dist (esbuild, well under a second). */
export function buildWeb(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-web.js')], { stdio: 'pipe' });
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** console errors, page errors, failed requests, requests to other hosts */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(allowedOrigin: string): Promise<Browser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    const u = r.url();
    const wsOrigin = allowedOrigin.replace(/^http/, 'ws');
    if (!u.startsWith(allowedOrigin) && !u.startsWith(wsOrigin) && !u.startsWith('data:')) {
      problems.push(`external request: ${u}`);
    }
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** How many distinct colours a chart's canvas shows (an empty chart has only a handful: axes and grid). */
export async function canvasColours(page: Page, testId: string): Promise<number[]> {
  return page.evaluate((id) => {
    const out: number[] = [];
    for (const c of Array.from(document.querySelectorAll(`[data-testid="${id}"] canvas`)) as HTMLCanvasElement[]) {
      const ctx = c.getContext('2d');
      if (!ctx || !c.width || !c.height) {
        out.push(0);
        continue;
      }
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 16) {
        seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
      out.push(seen.size);
    }
    return out;
  }, testId);
}

export async function temperatureNumber(page: Page): Promise<number> {
  const t = (await page.textContent('[data-testid="temperature"]')) ?? '';
  return Number(t.trim());
}

/** Colour classes told apart on the dark charts: the main series (orange) and the second ROI's (violet). */
export type Ink = 'orange' | 'violet';

/**
 * Pixels of a chart's canvases in one colour class (also where translucent points blend with the background):
 * how many, and their mean height in CSS pixels from the top of the canvas (smaller = higher temperature).
 */
export async function canvasInk(page: Page, testId: string, ink: Ink): Promise<{ count: number; meanY: number }> {
  return page.evaluate(
    ([id, kind]) => {
      const isInk = (r: number, g: number, b: number) =>
        kind === 'orange'
          ? r >= 200 && g >= 100 && g <= 170 && b <= 100
          : b >= 100 && b - g >= 40 && r - g >= 10 && r < b;
      let count = 0;
      let sumY = 0;
      for (const c of Array.from(document.querySelectorAll(`[data-testid="${id}"] canvas`)) as HTMLCanvasElement[]) {
        if (!c.width || !c.height) {
          continue;
        }
        // read a copy, so the chart's own canvas is never read back (chromium would warn on the console)
        const copy = document.createElement('canvas');
        copy.width = c.width;
        copy.height = c.height;
        const ctx = copy.getContext('2d', { willReadFrequently: true });
        if (!ctx) {
          continue;
        }
        ctx.drawImage(c, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        const scale = c.height / c.getBoundingClientRect().height;
        for (let i = 0; i < d.length; i += 4) {
          if (!isInk(d[i], d[i + 1], d[i + 2])) {
            continue;
          }
          count++;
          sumY += Math.floor(i / 4 / c.width) / scale;
        }
      }
      return { count, meanY: count ? sumY / count : NaN };
    },
    [testId, ink] as const,
  );
}

/** The legend names of a chart's series, in order. */
export async function legendLabels(page: Page, testId: string): Promise<string[]> {
  return page.$$eval(`[data-testid="${testId}"] .u-legend .u-series .u-label`, (els) =>
    els.map((e) => e.textContent ?? ''),
  );
}
