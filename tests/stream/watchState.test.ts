/**
 * watch(): every skipped file is logged once, with why (a truncated SPE file, a file named .spe that is not
 * one), the good files still come; a missing or removed folder ends the source as 'missing'.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { writeSpe } from '../../src/io/speWriter';
import { watch } from '../../src/stream/watch';
import { sourceEndOf } from '../../src/stream/pipeline';
import type { SourceItem } from '../../src/stream/types';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-watch-state-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function spe(file: string, frames: number): void {
  writeSpe(file, {
    width: 16,
    height: 1,
    frames: Array.from({ length: frames }, (_v, i) => Float64Array.from({ length: 16 }, () => 100 + i)),
    wavelength: Float64Array.from({ length: 16 }, (_v, i) => 600 + i),
    exposureTime: 0.01,
  });
}

describe('watch: skipped files and missing folders', () => {
  test('a truncated file and a non-SPE file are each logged once with why; a good file comes', async () => {
    const wdir = path.join(dir, 'skips');
    fs.mkdirSync(wdir);
    const whole = path.join(wdir, 'good.spe');
    spe(whole, 4);
    const truncated = path.join(wdir, 'cut.spe');
    spe(truncated, 6);
    fs.truncateSync(truncated, 4100 + 50); // the header and one and a half frames
    fs.writeFileSync(path.join(wdir, 'junk.spe'), 'this is not an SPE file at all'.repeat(200));
    const warnings: string[] = [];
    const items: SourceItem[] = [];
    const sub = watch(wdir, {
      includeExisting: true,
      stabilityMs: 50,
      pollMs: 40,
      settleMs: 300,
      onWarning: (w) => warnings.push(w),
    }).subscribe((i) => items.push(i));
    try {
      await until(() => warnings.length >= 2 && items.length >= 4);
      // more checks go by (the settle time twice over): still one line per file
      await new Promise((r) => setTimeout(r, 600));
    } finally {
      sub.unsubscribe();
    }
    expect(items).toHaveLength(4);
    expect(warnings).toHaveLength(2);
    const cut = warnings.find((w) => w.includes('cut.spe'));
    const junk = warnings.find((w) => w.includes('junk.spe'));
    expect(cut).toMatch(/skipped: .*(truncated|frame)/);
    expect(junk).toMatch(/skipped: /);
  });

  test('a missing folder ends the source as missing; so does removing the watched folder', async () => {
    const missing = await firstValueFrom(watch(path.join(dir, 'nope'))).catch((e) => e);
    expect(sourceEndOf(missing)).toEqual({ state: 'missing', detail: expect.stringMatching(/nope.*no such folder/) });
    const wdir = path.join(dir, 'goes-away');
    fs.mkdirSync(wdir);
    let ended: unknown = null;
    const sub = watch(wdir, { pollMs: 40 }).subscribe({
      error: (e) => {
        ended = e;
      },
    });
    try {
      await new Promise((r) => setTimeout(r, 300)); // the watcher is ready
      fs.rmSync(wdir, { recursive: true });
      await until(() => ended !== null);
    } finally {
      sub.unsubscribe();
    }
    expect(sourceEndOf(ended)).toMatchObject({ state: 'missing', detail: expect.stringMatching(/removed/) });
  });
});
