import { describe, expect, it } from 'vitest';
import { groupJobs, planDomain, refetchWindows, type DomainPlan } from '../../src/core/plan.js';
import { oldestServed, planCollect, planRange, type WindowRules } from '../../src/core/window.js';
import type { DomainState, Owed } from '../../src/ports.js';

const DAY = 86_400;
const T = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const minute: WindowRules = { tiers: [{ granularitySec: 60, maxSpanSec: 3600, retentionSec: 7 * DAY }], settleSec: 300 };
/** Huawei CDN-like: 300 s / 3600 s / daily buckets at 00:00 UTC+8. */
const tiered: WindowRules = {
  tiers: [
    { granularitySec: 300, maxSpanSec: 2 * DAY, retentionSec: 30 * DAY },
    { granularitySec: 3600, maxSpanSec: 7 * DAY, retentionSec: 60 * DAY },
    { granularitySec: DAY, maxSpanSec: 31 * DAY, retentionSec: 90 * DAY, alignOffsetSec: -8 * 3600 },
  ],
  settleSec: 900,
};
const NOW = T('2026-11-20T10:00:20Z');
const owedOf = (entries: [string, number][], since = NOW): Map<string, Owed> => new Map(entries.map(([m, t]) => [`${m.split('@')[0]}|${m.split('@')[1] ?? 60}|${t}`, { reason: 'unusable', sinceSec: since }]));
const st = (o: Partial<DomainState> = {}): DomainState => ({ finalEndSec: T('2026-11-20T09:54:00Z'), tail: new Map(), owed: new Map(), owedWindows: [], ...o });
const spans = (ws: readonly { fromSec: number; toSec: number; granularitySec: number }[]) => ws.map((w) => `${iso(w.fromSec)}..${iso(w.toSec)}@${w.granularitySec}`);

describe('window tiers, retention and alignment', () => {
  it('the oldest bucket served is one bucket inside the retention (clock skew margin)', () => {
    expect(iso(oldestServed(NOW, minute.tiers[0]))).toBe('2026-11-13T10:02:00Z');
  });

  it('a checkpoint older than retention starts at the oldest served bucket and reports the rest lost', () => {
    const p = planCollect({ nowSec: NOW, checkpointSec: T('2026-11-01T00:00:00Z'), initialLookbackSec: 3600, rules: minute });
    expect(p.lost).toEqual({ fromSec: T('2026-11-01T00:00:00Z'), toSec: T('2026-11-13T10:02:00Z') });
    expect(iso(p.windows[0]!.fromSec)).toBe('2026-11-13T10:02:00Z');
    expect(p.windows.every((w) => w.toSec - w.fromSec <= 3600)).toBe(true);
  });

  it.each([
    // range, expected windows by tier (native where still served, coarser before that), unserved part
    ['2026-11-19T00:00:00Z', '2026-11-19T06:00:00Z', ['2026-11-19T00:00:00Z..2026-11-19T06:00:00Z@300'], undefined],
    ['2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z', ['2026-10-01T00:00:00Z..2026-10-02T00:00:00Z@3600'], undefined],
    // Daily buckets start at 16:00 UTC (00:00 UTC+8): the range is widened to whole buckets whose start lies in it.
    ['2026-09-01T00:00:00Z', '2026-09-03T00:00:00Z', ['2026-09-01T16:00:00Z..2026-09-03T16:00:00Z@86400'], undefined],
    ['2026-07-01T00:00:00Z', '2026-07-02T00:00:00Z', [], { fromSec: T('2026-07-01T00:00:00Z'), toSec: T('2026-07-02T00:00:00Z') }],
  ])('range %s..%s', (from, to, want, unserved) => {
    const p = planRange({ nowSec: NOW, fromSec: T(from), toSec: T(to), rules: tiered });
    expect(spans(p.windows)).toEqual(want);
    expect(p.unserved).toEqual(unserved);
    for (const w of p.windows) {
      const tier = tiered.tiers.find((t) => t.granularitySec === w.granularitySec)!;
      expect(((w.fromSec - (tier.alignOffsetSec ?? 0)) % tier.granularitySec + tier.granularitySec) % tier.granularitySec).toBe(0);
      expect(w.alignOffsetSec ?? 0).toBe(tier.alignOffsetSec ?? 0);
    }
  });

  it('a range across the tier boundaries is covered without a hole, oldest first, every window within its span', () => {
    const p = planRange({ nowSec: NOW, fromSec: T('2026-08-25T00:00:00Z'), toSec: T('2026-11-20T00:00:00Z'), rules: tiered });
    const gs = p.windows.map((w) => w.granularitySec);
    expect(gs[0]).toBe(DAY);
    expect(gs.at(-1)).toBe(300);
    // A coarser tier ends on its own bucket boundary at or after where the finer one starts (the
    // bucket that straddles it is still asked); windows of one granularity never overlap.
    for (let i = 1; i < p.windows.length; i++) {
      const [a, b] = [p.windows[i - 1]!, p.windows[i]!];
      expect(b.fromSec).toBeLessThanOrEqual(a.toSec);
      if (a.granularitySec === b.granularitySec) expect(b.fromSec).toBe(a.toSec);
      else expect(a.toSec - b.fromSec).toBeLessThan(a.granularitySec);
    }
    expect(p.windows[0]!.fromSec - T('2026-08-25T00:00:00Z')).toBeLessThan(DAY);
    expect(p.windows.at(-1)!.toSec).toBe(T('2026-11-20T00:00:00Z'));
    for (const w of p.windows) expect(w.toSec - w.fromSec).toBeLessThanOrEqual(tiered.tiers.find((t) => t.granularitySec === w.granularitySec)!.maxSpanSec);
  });
});

describe('planDomain', () => {
  const base = { domain: 'a.example.com', nowSec: NOW, initialLookbackSec: 3600, rules: minute };

  it('collect without state: the initial look-back; without refetch', () => {
    const p = planDomain({ ...base, mode: { kind: 'collect' }, state: undefined });
    expect(spans(p.windows)).toEqual(['2026-11-20T09:00:00Z..2026-11-20T10:00:00Z@60']);
    expect(p.plannedFromSec).toBe(T('2026-11-20T09:00:00Z'));
    expect(p.refetch).toEqual([]);
    expect(p.lost).toBeUndefined();
  });

  it('collect with a checkpoint starts there; the recovered start is used only without a checkpoint', () => {
    const withState = planDomain({ ...base, mode: { kind: 'collect' }, state: st(), recoveredFromSec: T('2026-11-20T08:00:00Z') });
    expect(spans(withState.windows)).toEqual(['2026-11-20T09:54:00Z..2026-11-20T10:00:00Z@60']);
    const recovered = planDomain({ ...base, mode: { kind: 'collect' }, state: undefined, recoveredFromSec: T('2026-11-20T09:30:00Z') });
    expect(spans(recovered.windows)).toEqual(['2026-11-20T09:30:00Z..2026-11-20T10:00:00Z@60']);
    expect(recovered.plannedFromSec).toBe(T('2026-11-20T09:30:00Z'));
  });

  it('collect refetches owed buckets behind the checkpoint, not those the pass reads anyway', () => {
    const p = planDomain({ ...base, mode: { kind: 'collect' }, state: st({ owed: owedOf([['traffic_bytes', T('2026-11-20T08:10:00Z')], ['traffic_bytes', T('2026-11-20T09:56:00Z')]]) }) });
    expect(spans(p.refetch)).toEqual(['2026-11-20T08:10:00Z..2026-11-20T08:11:00Z@60']);
  });

  it('range: the range plan, no refetch, the unserved part as lost', () => {
    const p = planDomain({ ...base, mode: { kind: 'range', fromSec: T('2026-11-10T00:00:00Z'), toSec: T('2026-11-13T12:00:00Z') }, state: st({ owed: owedOf([['traffic_bytes', T('2026-11-13T11:00:00Z')]]) }) });
    expect(p.refetch).toEqual([]);
    expect(p.lost).toEqual({ fromSec: T('2026-11-10T00:00:00Z'), toSec: T('2026-11-13T10:02:00Z') });
    expect(p.plannedFromSec).toBe(T('2026-11-13T10:02:00Z'));
    expect(p.windows.at(-1)!.toSec).toBe(T('2026-11-13T12:00:00Z'));
  });
});

describe('refetchWindows: owed buckets in the fewest windows the span limits allow', () => {
  const before = T('2026-11-20T09:54:00Z');
  it.each([
    ['one bucket', [['m', '08:10']], ['08:10..08:11']],
    ['neighbours share one call', [['m', '08:10'], ['m', '08:11'], ['m', '08:40']], ['08:10..08:41']],
    ['exactly one span apart still share', [['m', '08:00'], ['m', '08:59']], ['08:00..09:00']],
    ['one bucket more than a span: two calls', [['m', '08:00'], ['m', '09:00']], ['08:00..08:01', '09:00..09:01']],
    ['metrics of a bucket share the call', [['a', '08:10'], ['b', '08:10'], ['c', '08:12']], ['08:10..08:13']],
    ['at or after the pass start: left to the pass', [['m', '09:54'], ['m', '09:58']], []],
  ] as [string, [string, string][], string[]][])('%s', (_n, owed, want) => {
    const s = st({ owed: owedOf(owed.map(([m, hm]) => [m, T(`2026-11-20T${hm}:00Z`)])) });
    expect(refetchWindows(s, before, minute).map((w) => `${iso(w.fromSec).slice(11, 16)}..${iso(w.toSec).slice(11, 16)}`)).toEqual(want);
  });

  it('owed windows are fetched again (cut at the pass start); buckets inside them are not asked twice', () => {
    const s = st({
      owed: owedOf([['m', T('2026-11-20T07:30:00Z')], ['m', T('2026-11-20T05:00:00Z')]]),
      owedWindows: [{ fromSec: T('2026-11-20T07:00:00Z'), toSec: T('2026-11-20T08:00:00Z'), granularitySec: 60, reason: 'x', sinceSec: NOW }, { fromSec: T('2026-11-20T09:30:00Z'), toSec: T('2026-11-20T10:30:00Z'), granularitySec: 60, reason: 'x', sinceSec: NOW }],
    });
    expect(spans(refetchWindows(s, before, minute))).toEqual([
      '2026-11-20T05:00:00Z..2026-11-20T05:01:00Z@60',
      '2026-11-20T07:00:00Z..2026-11-20T08:00:00Z@60',
      '2026-11-20T09:30:00Z..2026-11-20T09:54:00Z@60',
    ]);
  });

  it('buckets of different intervals are grouped per tier, each within its own span', () => {
    const s = st({ owed: owedOf([['m@300', T('2026-11-18T00:00:00Z')], ['m@300', T('2026-11-20T00:00:00Z')], ['m@3600', T('2026-11-01T00:00:00Z')], ['m@3600', T('2026-11-07T23:00:00Z')]]) });
    expect(spans(refetchWindows(s, NOW, tiered))).toEqual([
      '2026-11-01T00:00:00Z..2026-11-08T00:00:00Z@3600',
      '2026-11-18T00:00:00Z..2026-11-18T00:05:00Z@300',
      '2026-11-20T00:00:00Z..2026-11-20T00:05:00Z@300',
    ]);
  });
});

describe('groupJobs', () => {
  const w = (h: number) => ({ fromSec: T('2026-11-20T00:00:00Z') + h * 3600, toSec: T('2026-11-20T00:00:00Z') + (h + 1) * 3600, granularitySec: 60 });
  const plan = (domain: string, windows: number[], refetch: number[] = []): DomainPlan => ({ domain, windows: windows.map(w), refetch: refetch.map(w) });

  it('domains with equal windows share calls, up to maxDomainsPerCall; refetches are separate jobs', () => {
    const jobs = groupJobs([plan('a', [1, 2]), plan('b', [1, 2]), plan('c', [1, 2]), plan('d', [2]), plan('e', [1, 2], [0]), plan('f', [])], 2);
    expect(jobs.map((j) => [j.domains, j.windows.length, j.refetch])).toEqual([
      [['a', 'b'], 2, false],
      [['c', 'e'], 2, false],
      [['d'], 1, false],
      [['e'], 1, true],
    ]);
  });

  it('one domain per call where the API merges domains', () => {
    expect(groupJobs(['a', 'b', 'c'].map((d) => plan(d, [1])), 1).map((j) => j.domains)).toEqual([['a'], ['b'], ['c']]);
  });
});
