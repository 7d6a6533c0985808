/**
 * Pins the core's answer check (src/core/validate.ts) and pass planning (src/core/plan.ts): which
 * answers are refused, which buckets are unusable, which owed buckets are fetched again (one call per
 * affected window), and how domains share calls.
 */
import { describe, expect, it } from 'vitest';
import { groupJobs, planDomain, refetchWindows, type DomainPlan } from '../../src/core/plan.js';
import { checkSamples, tailKey, tailKeyTs } from '../../src/core/validate.js';
import type { Sample } from '../../src/kernel/schema.js';
import type { WindowRules } from '../../src/kernel/time.js';
import type { CallSpec, StreamSpec } from '../../src/kernel/vendor.js';
import type { DomainState } from '../../src/ports.js';

const G = 300;
const rules: WindowRules = { tiers: [{ granularitySec: G, maxSpanSec: 1800, retentionSec: 7 * 86400 }], settleSec: 600 };
const NOW = 1_800_000_000;
const stream = { id: 's', api: 'Api', rateKey: 'k', cadence: '*/5 * * * *', cadenceSec: 300, rules, maxDomainsPerCall: 2, metrics: ['traffic_bytes', 'requests'] } as unknown as StreamSpec;

function call(fromSec: number, toSec: number, finalBeforeSec = toSec, domains = ['a.com'], alignOffsetSec?: number, g = G): CallSpec {
  return { stream, domains, window: { fromSec, toSec, granularitySec: g, ...(alignOffsetSec !== undefined ? { alignOffsetSec } : {}) }, finalBeforeSec } as CallSpec;
}
const s = (tsSec: number, metric = 'traffic_bytes', value = 1, extra: Partial<Sample> = {}): Sample => ({ domain: 'a.com', metric, intervalSec: G, tsSec, value, ...extra });
const full = (from: number, to: number, domain = 'a.com') => {
  const out: Sample[] = [];
  for (let t = from; t < to; t += G) out.push(s(t, 'traffic_bytes', 1, { domain }), s(t, 'requests', 2, { domain }));
  return out;
};

describe('checkSamples: an answer proves itself', () => {
  const F = NOW - 1800;

  it('a complete answer: every metric of every asked domain for every final bucket', () => {
    const r = checkSamples(call(F, F + 600, F + 600, ['a.com', 'b.com']), [...full(F, F + 600), ...full(F, F + 600, 'b.com')]);
    expect(r).toMatchObject({ ok: true, unusable: [] });
    expect(r.ok && r.usable.length).toBe(8);
  });

  it('refuses another domain, another grid, off-grid or non-finite times, and times outside the window', () => {
    const c = call(F, F + 600);
    expect(checkSamples(c, [s(F, 'traffic_bytes', 1, { domain: 'x.com' })])).toEqual({ ok: false, message: 'the answer holds data for x.com, which was not asked' });
    expect(checkSamples(c, [s(F, 'traffic_bytes', 1, { intervalSec: 60 })])).toEqual({ ok: false, message: 'the answer holds 60 s buckets where 300 s was asked' });
    expect(checkSamples(c, [s(F + 150)])).toEqual({ ok: false, message: 'timestamp 2027-01-15T07:32:30Z is off the 300 s bucket grid' });
    expect(checkSamples(c, [s(NaN)])).toEqual({ ok: false, message: 'timestamp NaN is off the 300 s bucket grid' });
    expect(checkSamples(c, [s(F - G)])).toMatchObject({ ok: false, message: expect.stringContaining('outside the asked window') });
    expect(checkSamples(c, [s(F + 600)])).toMatchObject({ ok: false, message: expect.stringContaining('lies outside the asked window 2027-01-15T07:30:00Z–2027-01-15T07:40:00Z') });
    expect(checkSamples(c, full(F, F + 600)).ok).toBe(true);
  });

  it('a grid with an offset (UTC+8 days): on that grid is accepted, off it refused', () => {
    const D = 86400;
    const from = Math.floor(NOW / D) * D - 28800 - D;
    const c = call(from, from + D, from + D, ['a.com'], -28800, D);
    const day = (t: number, m: string) => ({ ...s(t, m), intervalSec: D });
    expect(checkSamples(c, [day(from, 'traffic_bytes'), day(from, 'requests')]).ok).toBe(true);
    expect(checkSamples(c, [day(from + 28800, 'traffic_bytes')]).ok).toBe(false);
  });

  it('a missing bucket is refused up to the final one; provisional buckets may be missing', () => {
    const c = call(F, F + 900, F + 600);
    const noSecond = full(F, F + 600).filter((x) => !(x.tsSec === F + G && x.metric === 'requests'));
    expect(checkSamples(c, noSecond)).toEqual({ ok: false, message: 'the answer lacks requests at 2027-01-15T07:35:00Z for a.com' });
    expect(checkSamples(c, full(F, F + 600)).ok).toBe(true);
    expect(checkSamples(call(F, F + 900, F + 2000), full(F, F + 600)).ok).toBe(false); // final beyond the window: the window end counts
    expect(checkSamples(call(F, F + 900, F + 2000), full(F, F + 900)).ok).toBe(true);
    expect(checkSamples(call(F, F + 600, F + 600, ['a.com', 'b.com']), full(F, F + 600))).toMatchObject({ ok: false, message: expect.stringContaining('for b.com') });
  });

  it('unusable values are set apart with the raw value and why; duplicates collapse to the last', () => {
    const c = call(F, F + 300);
    const r = checkSamples(c, [s(F, 'traffic_bytes', 5), s(F, 'traffic_bytes', NaN, { raw: 'abc' }), s(F, 'requests', 1.5)]);
    expect(r).toEqual({
      ok: true,
      usable: [],
      unusable: [
        { sample: s(F, 'traffic_bytes', NaN, { raw: 'abc' }), reason: 'abc is not a finite number' },
        { sample: s(F, 'requests', 1.5), reason: '1.5 is not a whole count' },
      ],
    });
    const neg = checkSamples(c, [s(F, 'traffic_bytes', -1), s(F, 'requests', 0)]);
    expect(neg).toEqual({ ok: true, usable: [s(F, 'requests', 0)], unusable: [{ sample: s(F, 'traffic_bytes', -1), reason: '-1 is negative' }] });
  });

  it('tail keys: metric|interval|ts, the ts read back from the end', () => {
    expect(tailKey('status_2xx', 60, 1234)).toBe('status_2xx|60|1234');
    expect(tailKeyTs('a|b|60|1234')).toBe(1234);
  });
});

const st = (over: Partial<DomainState>): DomainState => ({ finalEndSec: NOW - 3600, tail: new Map(), owed: new Map(), owedWindows: [], ...over });
const owe = (...ts: number[]) => new Map(ts.map((t) => [tailKey('traffic_bytes', G, t), { reason: 'r', sinceSec: 0 }]));

describe('refetch: owed buckets behind the checkpoint, one call per affected window', () => {
  it('only buckets before the pass start; nearby ones share a call within the span limit', () => {
    const B = NOW - 86400;
    const out = refetchWindows(st({ owed: owe(B, B + 600, B + 1500, B + 1800, B + 7200, NOW - 3600) }), NOW - 3600, rules);
    expect(out).toEqual([
      { fromSec: B, toSec: B + 1800, granularitySec: G },
      { fromSec: B + 1800, toSec: B + 2100, granularitySec: G },
      { fromSec: B + 7200, toSec: B + 7500, granularitySec: G },
    ]);
  });

  it('owed windows first, cut at the pass start; buckets inside them need no call of their own', () => {
    const B = NOW - 86400;
    const out = refetchWindows(
      st({ owedWindows: [{ fromSec: B, toSec: B + 1800, granularitySec: G, reason: 'x', sinceSec: 0 }, { fromSec: NOW - 3900, toSec: NOW - 2100, granularitySec: G, alignOffsetSec: 0, reason: 'x', sinceSec: 0 }, { fromSec: NOW - 3600, toSec: NOW - 1800, granularitySec: G, reason: 'x', sinceSec: 0 }], owed: owe(B + 300, B + 1800 - G) }),
      NOW - 3600,
      rules,
    );
    expect(out).toEqual([
      { fromSec: B, toSec: B + 1800, granularitySec: G },
      { fromSec: NOW - 3900, toSec: NOW - 3600, granularitySec: G },
    ]);
  });

  it('a bucket on a grid no tier serves is not fetched; an owed window with an offset keeps it', () => {
    const off = refetchWindows(st({ owed: new Map([[tailKey('m', 77, NOW - 86400), { reason: 'r', sinceSec: 0 }]]), owedWindows: [{ fromSec: 0, toSec: 86400, granularitySec: 86400, alignOffsetSec: -28800, reason: 'x', sinceSec: 0 }] }), NOW, rules);
    expect(off).toEqual([{ fromSec: 0, toSec: 86400, granularitySec: 86400, alignOffsetSec: -28800 }]);
  });
});

describe('planDomain', () => {
  it('collect: from the checkpoint, else InfluxDB, else the look-back; refetch only with a state', () => {
    const withState = planDomain({ domain: 'a', nowSec: NOW, mode: { kind: 'collect' }, state: st({ finalEndSec: NOW - 1800, owed: owe(NOW - 7200) }), recoveredFromSec: NOW - 900, initialLookbackSec: 3600, rules });
    expect(withState.plannedFromSec).toBe(NOW - 1800);
    expect(withState.refetch).toEqual([{ fromSec: NOW - 7200, toSec: NOW - 6900, granularitySec: G }]);
    const recovered = planDomain({ domain: 'a', nowSec: NOW, mode: { kind: 'collect' }, state: undefined, recoveredFromSec: NOW - 900, initialLookbackSec: 3600, rules });
    expect(recovered).toEqual({ domain: 'a', windows: [{ fromSec: NOW - 900, toSec: NOW, granularitySec: G }], refetch: [], plannedFromSec: NOW - 900 });
    const fresh = planDomain({ domain: 'a', nowSec: NOW, mode: { kind: 'collect' }, state: undefined, initialLookbackSec: 600, rules });
    expect(fresh.plannedFromSec).toBe(NOW - 600);
  });

  it('collect with nothing to do: no windows, and owed buckets before now are still fetched', () => {
    const p = planDomain({ domain: 'a', nowSec: NOW + 10, mode: { kind: 'collect' }, state: st({ finalEndSec: NOW, owed: owe(NOW - 600) }), initialLookbackSec: 600, rules });
    expect(p.windows).toEqual([]);
    expect(p).not.toHaveProperty('plannedFromSec');
    expect(p.refetch).toEqual([{ fromSec: NOW - 600, toSec: NOW - 300, granularitySec: G }]);
  });

  it('collect past retention: the lost range is named', () => {
    const p = planDomain({ domain: 'a', nowSec: NOW, mode: { kind: 'collect' }, state: st({ finalEndSec: NOW - 8 * 86400 }), initialLookbackSec: 600, rules });
    expect(p.lost).toEqual({ fromSec: NOW - 8 * 86400, toSec: NOW - 7 * 86400 + G });
  });

  it('range: the range windows, no refetch, unserved part as lost', () => {
    const p = planDomain({ domain: 'a', nowSec: NOW, mode: { kind: 'range', fromSec: NOW - 8 * 86400, toSec: NOW - 7 * 86400 + 1800 }, state: st({ owed: owe(NOW - 7200) }), initialLookbackSec: 600, rules });
    expect(p.refetch).toEqual([]);
    expect(p.plannedFromSec).toBe(NOW - 7 * 86400 + G);
    expect(p.lost).toEqual({ fromSec: NOW - 8 * 86400, toSec: NOW - 7 * 86400 + G });
    const none = planDomain({ domain: 'a', nowSec: NOW, mode: { kind: 'range', fromSec: NOW - 9 * 86400, toSec: NOW - 8 * 86400 }, state: undefined, initialLookbackSec: 600, rules });
    expect(none.windows).toEqual([]);
    expect(none).not.toHaveProperty('plannedFromSec');
  });
});

describe('groupJobs', () => {
  const w1 = [{ fromSec: 0, toSec: 300, granularitySec: G }];
  const w2 = [{ fromSec: 300, toSec: 600, granularitySec: G }];
  const p = (domain: string, windows: typeof w1, refetch: typeof w1 = []): DomainPlan => ({ domain, windows, refetch });

  it('domains with equal windows share calls, up to the per-call limit; refetch jobs come after', () => {
    const jobs = groupJobs([p('a', w1), p('b', w1, w2), p('c', w1), p('d', w2), p('e', [], w2)], 2);
    expect(jobs).toEqual([
      { domains: ['a', 'b'], windows: w1, refetch: false },
      { domains: ['c'], windows: w1, refetch: false },
      { domains: ['d'], windows: w2, refetch: false },
      { domains: ['b', 'e'], windows: w2, refetch: true },
    ]);
  });

  it('windows differing only in granularity or end do not share', () => {
    const jobs = groupJobs([p('a', w1), p('b', [{ fromSec: 0, toSec: 300, granularitySec: 60 }]), p('c', [{ fromSec: 0, toSec: 600, granularitySec: G }])], 10);
    expect(jobs.map((j) => j.domains)).toEqual([['a'], ['b'], ['c']]);
  });
});
