/** The dashboard's pure parts (no browser needed): the bounded history and the event sentences. */
import { describe, expect, it } from 'vitest';
import { History } from '../../web/src/history';
import { eventDetail, eventHeadline, flaggedSummary } from '../../web/src/format';
import type { FrameMessage, LiveEvent } from '../../src/protocol';

const frame = (index: number, extra: Partial<FrameMessage> = {}): FrameMessage => ({
  index,
  time: index / 1000,
  power: index / 100,
  temperature: 2000 + index,
  temperatureError: 5,
  chi2: 1,
  flags: [],
  twoColor: null,
  latencyMs: 0,
  ...extra,
});

describe('History', () => {
  it('keeps frames in order, skips withheld temperatures, records flags and missing powers', () => {
    const h = new History(100);
    h.push(frame(0));
    h.push(frame(1, { temperature: null, flags: ['fit-failed'] }));
    h.push(frame(2, { flags: ['cosmic'], power: null }));
    expect(h.length).toBe(2);
    expect(Array.from(h.index.subarray(0, 2))).toEqual([0, 2]);
    expect(Array.from(h.flagged.subarray(0, 2))).toEqual([0, 1]);
    expect(Number.isNaN(h.power[1])).toBe(true);
    expect(h.temperature[1]).toBe(2002);
  });

  it('stays within its capacity, spans the whole run, recent frames at full resolution', () => {
    const cap = 1000;
    const h = new History(cap);
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      h.push(frame(i));
    }
    expect(h.length).toBeLessThanOrEqual(cap);
    expect(h.length).toBeGreaterThan(cap / 2);
    const idx = Array.from(h.index.subarray(0, h.length));
    expect(idx[0]).toBe(0); // the start of the run is still there
    expect(idx[idx.length - 1]).toBe(total - 1);
    for (let i = 1; i < idx.length; i++) {
      expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    }
    // the newest quarter of the buffer is unthinned (consecutive frames)
    const q = Math.floor(idx.length / 4);
    for (let i = idx.length - q; i < idx.length; i++) {
      expect(idx[i] - idx[i - 1]).toBe(1);
    }
    // columns stay aligned
    for (let i = 0; i < h.length; i++) {
      expect(h.temperature[i]).toBe(2000 + h.index[i]);
    }
  });

  it('finds the time of a frame index for placing events', () => {
    const h = new History(100);
    for (let i = 0; i < 50; i += 2) {
      h.push(frame(i));
    }
    expect(h.timeAtIndex(10)).toBe(0.01);
    expect(h.timeAtIndex(11)).toBe(0.012);
    expect(h.timeAtIndex(1000)).toBeNull();
    h.clear();
    expect(h.length).toBe(0);
  });
});

describe('History with several ROIs (double-sided heating)', () => {
  const two = (index: number, us: number | null, extra: Partial<FrameMessage> = {}) =>
    frame(index, {
      rois: {
        DS: { temperature: 2000 + index, temperatureError: 5 },
        US: { temperature: us, temperatureError: us === null ? null : 5 },
      },
      ...extra,
    });

  it('keeps a column per further ROI, NaN where that ROI had no temperature, aligned through thinning', () => {
    const cap = 1000;
    const h = new History(cap);
    h.push(two(0, 5000)); // before the ROIs are known: no column yet
    h.setRois(['US']);
    expect(h.roiNames).toEqual(['US']);
    expect(Number.isNaN(h.roiTemperature[0][0])).toBe(true); // the frame held before is NaN, not 0
    const total = 5000;
    for (let i = 1; i < total; i++) {
      h.push(two(i, i % 7 === 0 ? null : 3000 + 2 * i));
    }
    h.push(frame(total)); // a frame without `rois`
    expect(h.length).toBeLessThanOrEqual(cap);
    for (let i = 1; i < h.length - 1; i++) {
      const idx = h.index[i];
      const us = h.roiTemperature[0][i];
      if (idx % 7 === 0) {
        expect(Number.isNaN(us), `frame ${idx}`).toBe(true);
      } else {
        expect(us, `frame ${idx}`).toBe(3000 + 2 * idx);
      }
      expect(h.temperature[i]).toBe(2000 + idx);
    }
    expect(Number.isNaN(h.roiTemperature[0][h.length - 1])).toBe(true);
  });

  it('setRois keeps the columns of names it keeps, and bumps the version only on a change', () => {
    const h = new History(10);
    h.setRois(['US']);
    h.push(two(1, 3333));
    const v = h.version;
    h.setRois(['US']);
    expect(h.version).toBe(v);
    h.setRois(['B', 'US']);
    expect(h.version).toBe(v + 1);
    expect(h.roiTemperature[1][0]).toBe(3333);
    expect(Number.isNaN(h.roiTemperature[0][0])).toBe(true);
    h.setRois([]);
    expect(h.roiTemperature).toEqual([]);
  });
});

describe('event text', () => {
  const e: LiveEvent = {
    id: 'x',
    run: 0,
    kind: 'plateau',
    startPower: 24.06,
    endPower: null,
    startIndex: 1,
    endIndex: null,
    detectedAtIndex: 812,
    slopeBefore: 84.6,
    slopeAfter: 5.2,
    temperature: 3119.6,
    significance: 7.46,
  };
  it('reads like the issue asks', () => {
    expect(eventHeadline(e)).toBe('plateau at 24.1 W, 3120 K');
    expect(eventHeadline({ ...e, kind: 'slope-change' })).toBe('slope change at 24.1 W, 3120 K');
    expect(eventDetail(e)).toBe('from 24.1 W (open) · slope 85 → 5 K/W · 7.5σ · detected at frame 812');
    expect(eventDetail({ ...e, endPower: 29 })).toMatch(/^24\.1 → 29\.0 W/);
    expect(flaggedSummary({ cosmic: 3, saturated: 0, 'fit-failed': 1 })).toBe('cosmic 3 · fit-failed 1');
    expect(flaggedSummary({})).toBe('none');
  });
});
