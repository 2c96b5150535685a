/**
 * End to end: the real `pyrolive demo` (simulator → native/JS fit → power pairing → detector → server) spawned on
 * a free port, watched by chromium until the plateau event shows (it comes after ~15 s of the shot).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build';
import {
  ARTIFACTS,
  buildWeb,
  Browser,
  canvasColours,
  chromiumAvailable,
  openBrowser,
  ROOT,
  temperatureNumber,
} from './browser';

const available = chromiumAvailable();
const BIN = path.join(ROOT, 'bin/pyrolive.js');

function startDemo(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'demo', '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`demo printed no URL within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited (${code}) before printing its URL:\n${out}`));
    });
  });
}

describe.skipIf(!available)('pyrolive demo in chromium', () => {
  let demo: Awaited<ReturnType<typeof startDemo>> | null = null;
  let browser: Browser | null = null;
  beforeAll(async () => {
    ensureBuilt();
    buildWeb();
    demo = await startDemo();
    browser = await openBrowser(demo.url.replace(/\/$/, ''));
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((r) => demo!.child.once('exit', r));
      demo.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (demo.child.exitCode === null) {
        demo.child.kill('SIGKILL');
      }
    }
  });

  it('shows the live shot and flags its plateau within 30 s', async () => {
    const page = browser!.page;
    await page.goto(demo!.url);
    await page.waitForFunction(
      () => /^\d+$/.test(document.querySelector('[data-testid="temperature"]')?.textContent ?? ''),
      null,
      { timeout: 15_000 },
    );
    const t1 = await temperatureNumber(page);
    await page.waitForTimeout(1500);
    const t2 = await temperatureNumber(page);
    expect(t1).toBeGreaterThan(500);
    expect(t2).toBeLessThan(6000);
    expect(t2).not.toBe(t1);
    await page.waitForFunction(
      () => /plateau at \d+\.\d W, \d+ K/.test(document.querySelector('[data-testid="events"]')?.textContent ?? ''),
      null,
      { timeout: 35_000 },
    );
    const text = (await page.textContent('[data-testid="events"]')) ?? '';
    const m = /plateau at (\d+\.\d) W, (\d+) K/.exec(text)!;
    // the demo shot's plateau: about 25 W, about 2350 K (see `pyrolive demo --help`)
    expect(Number(m[1])).toBeGreaterThan(20);
    expect(Number(m[1])).toBeLessThan(30);
    expect(Number(m[2])).toBeGreaterThan(2000);
    expect(Number(m[2])).toBeLessThan(2700);
    for (const id of ['chart-time', 'chart-power', 'chart-spectrum']) {
      expect(Math.max(...(await canvasColours(page, id))), id).toBeGreaterThan(20);
    }
    expect(await page.getAttribute('[data-testid="connection"]', 'data-state')).toBe('open');
    await page.waitForTimeout(1500);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-demo.png') });
    expect(browser!.problems).toEqual([]);
  }, 90_000);
});
