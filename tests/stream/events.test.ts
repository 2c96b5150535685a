import { describe, expect, it } from 'vitest';
import { toLiveEvent } from '../../src/stream/events';
import type { SlopeEvent } from '../../src/detect/types';

const base: SlopeEvent = {
  id: 3,
  kind: 'plateau',
  startPower: 24.9,
  endPower: null,
  startIndex: 100,
  endIndex: null,
  detectedAtIndex: 108,
  slopeBefore: 50,
  slopeAfter: 5,
  temperature: 2350,
  significance: 9,
} as SlopeEvent;

describe('toLiveEvent', () => {
  it('names the event by run and detector id and keeps its fields', () => {
    const e = toLiveEvent(base, 2);
    expect(e.id).toBe('2-3');
    expect(e.run).toBe(2);
    expect(e).toMatchObject({ kind: 'plateau', startPower: 24.9, endPower: null, detectedAtIndex: 108, slopeAfter: 5 });
    expect(e.retracted).toBeUndefined();
  });
  it('passes on a retraction from the end-of-run re-test, so displays remove the event', () => {
    expect(toLiveEvent({ ...base, retracted: true }, 0).retracted).toBe(true);
  });
});
