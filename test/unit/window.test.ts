import { describe, expect, it } from 'vitest';
import { alignDown, alignUp, chunk, finalHorizon, planCollect, planRange, type WindowRules } from '../../src/core/window.js';

const DAY = 86_400;
const T = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const minute: WindowRules = { tiers: [{ granularitySec: 60, maxSpanSec: 3600, retentionSec: 7 * DAY }], settleSec: 300 };
const srcTraffic: WindowRules = {
  tiers: [
    { granularitySec: 300, maxSpanSec: 3 * DAY, retentionSec: 93 * DAY },
    { granularitySec: 3600, maxSpanSec: 31 * DAY - 3600, retentionSec: 186 * DAY },
    { granularitySec: DAY, maxSpanSec: 365 * DAY, retentionSec: 366 * DAY, alignOffsetSec: -8 * 3600 },
  ],
  settleSec: 900,
};

describe('alignment', () => {
  it.each([
    [T('2026-11-20T10:07:31Z'), 300, 0, T('2026-11-20T10:05:00Z'), T('2026-11-20T10:10:00Z')],
    [T('2026-11-20T10:05:00Z'), 300, 0, T('2026-11-20T10:05:00Z'), T('2026-11-20T10:05:00Z')],
    [T('2026-11-20T10:00:00Z'), DAY, -8 * 3600, T('2026-11-19T16:00:00Z'), T('2026-11-20T16:00:00Z')],
  ])('%s at %i s (offset %i)', (t, g, off, down, up) => {
    expect(alignDown(t, g, off)).toBe(down);
    expect(alignUp(t, g, off)).toBe(up);
  });
});

describe('planCollect', () => {
  const now = T('2026-11-20T10:07:31Z');

  it('first start: the initial look-back up to the last complete bucket, in ≤ 1 h windows', () => {
    const p = planCollect({ nowSec: now, checkpointSec: undefined, initialLookbackSec: 3600, rules: minute });
    expect(p.windows.map((w) => [iso(w.fromSec), iso(w.toSec)])).toEqual([['2026-11-20T09:07:00Z', '2026-11-20T10:07:00Z']]);
    // 1-minute data settles after 5 min + one bucket: 10:07:31 - 6 min = 10:01:31 → buckets before 10:01 are final.
    expect(iso(p.finalHorizonSec)).toBe('2026-11-20T10:01:00Z');
    expect(p.lost).toBeUndefined();
  });

  it('steady state: from the checkpoint, so the provisional tail is re-read', () => {
    const p = planCollect({ nowSec: now, checkpointSec: T('2026-11-20T10:00:00Z'), initialLookbackSec: 3600, rules: minute });
    expect(p.windows).toEqual([{ fromSec: T('2026-11-20T10:00:00Z'), toSec: T('2026-11-20T10:07:00Z'), granularitySec: 60 }]);
  });

  it('restart after 2 h: two full windows and the rest, contiguous', () => {
    const p = planCollect({ nowSec: now, checkpointSec: T('2026-11-20T08:01:00Z'), initialLookbackSec: 3600, rules: minute });
    expect(p.windows.map((w) => [iso(w.fromSec), iso(w.toSec)])).toEqual([
      ['2026-11-20T08:01:00Z', '2026-11-20T09:01:00Z'],
      ['2026-11-20T09:01:00Z', '2026-11-20T10:01:00Z'],
      ['2026-11-20T10:01:00Z', '2026-11-20T10:07:00Z'],
    ]);
    for (let i = 1; i < p.windows.length; i++) expect(p.windows[i]!.fromSec).toBe(p.windows[i - 1]!.toSec);
  });

  it('restart after 10 days: the 7-day rule cuts the start and reports the loss', () => {
    const p = planCollect({ nowSec: now, checkpointSec: now - 10 * DAY, initialLookbackSec: 3600, rules: minute });
    expect(p.lost).toBeDefined();
    expect(p.windows[0]!.fromSec).toBeGreaterThanOrEqual(now - 7 * DAY);
    expect(p.windows[0]!.fromSec - (now - 7 * DAY)).toBeLessThanOrEqual(120);
    expect(p.windows.every((w) => w.toSec - w.fromSec <= 3600)).toBe(true);
    expect(p.windows.length).toBe(Math.ceil((p.windows.at(-1)!.toSec - p.windows[0]!.fromSec) / 3600));
    expect(iso(p.windows.at(-1)!.toSec)).toBe('2026-11-20T10:07:00Z');
  });

  it('restart after 10 days at 300 s: chunks of 3 days', () => {
    const p = planCollect({ nowSec: now, checkpointSec: T('2026-11-10T10:05:00Z'), initialLookbackSec: 3600, rules: srcTraffic });
    expect(p.windows.map((w) => (w.toSec - w.fromSec) / DAY)).toEqual([3, 3, 3, (T('2026-11-20T10:05:00Z') - T('2026-11-19T10:05:00Z')) / DAY]);
    expect(p.lost).toBeUndefined();
    expect(iso(p.finalHorizonSec)).toBe('2026-11-20T09:45:00Z'); // 10:07:31 - 15 min - 5 min → 09:47:31 → 09:45
  });

  it('a checkpoint that is not aligned is floored to the bucket it lies in', () => {
    const p = planCollect({ nowSec: now, checkpointSec: T('2026-11-20T10:02:10Z'), initialLookbackSec: 3600, rules: minute });
    expect(iso(p.windows[0]!.fromSec)).toBe('2026-11-20T10:02:00Z');
  });

  it('nothing to do inside the current bucket', () => {
    const p = planCollect({ nowSec: now, checkpointSec: T('2026-11-20T10:07:00Z'), initialLookbackSec: 3600, rules: minute });
    expect(p.windows).toEqual([]);
  });
});

describe('planRange (backfill)', () => {
  const now = T('2026-11-22T12:00:30Z');

  it('a range inside the native retention uses the native granularity, chunked', () => {
    const r = planRange({ nowSec: now, fromSec: T('2026-11-22T09:30:00Z'), toSec: T('2026-11-22T11:45:00Z'), rules: minute });
    expect(r.windows.map((w) => [iso(w.fromSec), iso(w.toSec), w.granularitySec])).toEqual([
      ['2026-11-22T09:30:00Z', '2026-11-22T10:30:00Z', 60],
      ['2026-11-22T10:30:00Z', '2026-11-22T11:30:00Z', 60],
      ['2026-11-22T11:30:00Z', '2026-11-22T11:45:00Z', 60],
    ]);
    expect(r.unserved).toBeUndefined();
  });

  it('a bucket belongs to the range when its start lies in [from, to)', () => {
    const r = planRange({ nowSec: now, fromSec: T('2026-11-22T09:30:30Z'), toSec: T('2026-11-22T09:32:01Z'), rules: minute });
    expect(r.windows.map((w) => [iso(w.fromSec), iso(w.toSec)])).toEqual([['2026-11-22T09:31:00Z', '2026-11-22T09:33:00Z']]);
  });

  it('stops at the last complete bucket', () => {
    const r = planRange({ nowSec: now, fromSec: T('2026-11-22T11:50:00Z'), toSec: T('2026-11-22T13:00:00Z'), rules: minute });
    expect(iso(r.windows.at(-1)!.toSec)).toBe('2026-11-22T12:00:00Z');
  });

  it('1-minute data older than 7 days is reported as unserved', () => {
    const r = planRange({ nowSec: now, fromSec: now - 8 * DAY, toSec: now - 6 * DAY, rules: minute });
    expect(r.unserved).toBeDefined();
    expect(r.unserved!.fromSec).toBe(now - 8 * DAY);
    expect(r.unserved!.toSec).toBeGreaterThanOrEqual(now - 7 * DAY);
    expect(r.windows[0]!.fromSec).toBe(r.unserved!.toSec);
  });

  it('older than 93 days falls back to hourly, then daily data, oldest first, each within its span limit', () => {
    const r = planRange({ nowSec: now, fromSec: now - 300 * DAY, toSec: now, rules: srcTraffic });
    const byG = (g: number) => r.windows.filter((w) => w.granularitySec === g);
    expect(byG(86400).length).toBeGreaterThan(0);
    expect(byG(3600).length).toBeGreaterThan(0);
    expect(byG(300).length).toBe(Math.ceil(93 / 3));
    for (const w of r.windows) {
      const t = srcTraffic.tiers.find((x) => x.granularitySec === w.granularitySec)!;
      expect(w.toSec - w.fromSec).toBeLessThanOrEqual(t.maxSpanSec);
      expect((w.fromSec - (t.alignOffsetSec ?? 0)) % w.granularitySec).toBe(0);
    }
    for (let i = 1; i < r.windows.length; i++) expect(r.windows[i]!.fromSec).toBeGreaterThanOrEqual(r.windows[i - 1]!.fromSec);
    expect(r.unserved).toBeUndefined();
  });
});

describe('chunk and horizon', () => {
  it('never exceeds the span and covers the range exactly', () => {
    const tier = { granularitySec: 300, maxSpanSec: 3 * DAY, retentionSec: 93 * DAY };
    const w = chunk(0, 10 * DAY + 600, tier);
    expect(w.reduce((n, x) => n + (x.toSec - x.fromSec), 0)).toBe(10 * DAY + 600);
    expect(Math.max(...w.map((x) => x.toSec - x.fromSec))).toBe(3 * DAY);
  });
  it('a bucket is final once its end is older than the delay plus one bucket', () => {
    const now = T('2026-11-20T10:20:00Z');
    expect(iso(finalHorizon(now, srcTraffic))).toBe('2026-11-20T10:00:00Z');
  });
});
