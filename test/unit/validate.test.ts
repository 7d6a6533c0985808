import { describe, expect, it } from 'vitest';
import { checkSamples, tailKey, tailKeyTs } from '../../src/core/validate.js';
import { unusableReason, type Sample } from '../../src/kernel/schema.js';
import type { CallSpec, StreamSpec } from '../../src/kernel/vendor.js';

const T = (iso: string) => Date.parse(iso) / 1000;
const stream = { id: 's', api: 'Api', rateKey: 'Api', cadence: '* * * * *', cadenceSec: 60, rules: { tiers: [{ granularitySec: 60, maxSpanSec: 3600, retentionSec: 86400 }], settleSec: 300 }, maxDomainsPerCall: 2, metrics: ['traffic_bytes', 'requests'], buildCall: () => { throw new Error('unused'); }, parseCall: () => { throw new Error('unused'); } } as StreamSpec;
const FROM = T('2026-11-20T10:00:00Z');
// Buckets 10:00..10:03 are final, 10:04 is still provisional.
const call: CallSpec = { stream, domains: ['a.example.com', 'b.example.com'], window: { fromSec: FROM, toSec: FROM + 300, granularitySec: 60 }, finalBeforeSec: FROM + 240 };

function complete(over: (s: Sample[]) => Sample[] = (s) => s): Sample[] {
  const out: Sample[] = [];
  for (const domain of call.domains) for (const metric of stream.metrics) for (let t = FROM; t < FROM + 300; t += 60) out.push({ domain, metric, intervalSec: 60, tsSec: t, value: 100 });
  return over(out);
}
const set = (pred: (s: Sample) => boolean, patch: Partial<Sample>) => (list: Sample[]) => list.map((s) => (pred(s) ? { ...s, ...patch } : s));
const at = (d: string, m: string, hm: string) => (s: Sample) => s.domain === d && s.metric === m && s.tsSec === T(`2026-11-20T${hm}:00Z`);

describe('checkSamples: an answer is trusted only when it proves itself', () => {
  it('a complete answer: every sample usable', () => {
    const r = checkSamples(call, complete());
    expect(r).toMatchObject({ ok: true, unusable: [] });
    expect(r.ok && r.usable).toHaveLength(20);
  });

  it.each([
    ['a domain that was not asked', set(at('a.example.com', 'requests', '10:01'), { domain: 'x.example.com' }), 'the answer holds data for x.example.com, which was not asked'],
    ['a timestamp off the grid', set(at('a.example.com', 'requests', '10:01'), { tsSec: T('2026-11-20T10:01:30Z') }), 'timestamp 2026-11-20T10:01:30Z is off the 60 s bucket grid'],
    ['a timestamp that is not a number', set(at('a.example.com', 'requests', '10:01'), { tsSec: NaN }), 'timestamp NaN is off the 60 s bucket grid'],
    ['a bucket after the window', (l: Sample[]) => [...l, { domain: 'a.example.com', metric: 'requests', intervalSec: 60, tsSec: FROM + 300, value: 1 }], 'timestamp 2026-11-20T10:05:00Z lies outside the asked window 2026-11-20T10:00:00Z–2026-11-20T10:05:00Z'],
    ['a bucket before the window', (l: Sample[]) => [...l, { domain: 'a.example.com', metric: 'requests', intervalSec: 60, tsSec: FROM - 60, value: 1 }], 'lies outside the asked window'],
    ['another interval', set(at('b.example.com', 'traffic_bytes', '10:00'), { intervalSec: 300 }), 'the answer holds 300 s buckets where 60 s was asked'],
    ['a final bucket of a declared metric missing', (l: Sample[]) => l.filter((s) => !at('b.example.com', 'requests', '10:03')(s)), 'the answer lacks requests at 2026-11-20T10:03:00Z for b.example.com'],
    ['a whole domain missing', (l: Sample[]) => l.filter((s) => s.domain !== 'b.example.com'), 'for b.example.com'],
    ['an empty answer', () => [], 'the answer lacks traffic_bytes at 2026-11-20T10:00:00Z for a.example.com'],
  ])('refused: %s', (_n, mutate, message) => {
    const r = checkSamples(call, mutate(complete()));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(message);
  });

  it('the provisional bucket may be missing', () => {
    expect(checkSamples(call, complete((l) => l.filter((s) => s.tsSec !== FROM + 240))).ok).toBe(true);
  });

  it('a window wholly past the final horizon may be empty', () => {
    expect(checkSamples({ ...call, finalBeforeSec: FROM }, [])).toEqual({ ok: true, usable: [], unusable: [] });
  });

  it('duplicates collapse to the last', () => {
    const r = checkSamples(call, complete((l) => [...l, { domain: 'a.example.com', metric: 'requests', intervalSec: 60, tsSec: FROM, value: 7 }]));
    expect(r.ok && r.usable.filter((s) => s.domain === 'a.example.com' && s.metric === 'requests' && s.tsSec === FROM).map((s) => s.value)).toEqual([7]);
  });

  it('daily buckets at 00:00 UTC+8: on the offset grid they pass, at 00:00 UTC they are off it', () => {
    const g = 86_400;
    const from = T('2026-11-18T16:00:00Z');
    const daily: CallSpec = { stream: { ...stream, metrics: ['traffic_bytes'] }, domains: ['a.example.com'], window: { fromSec: from, toSec: from + 2 * g, granularitySec: g, alignOffsetSec: -8 * 3600 }, finalBeforeSec: from + 2 * g };
    const ok = [0, 1].map((i) => ({ domain: 'a.example.com', metric: 'traffic_bytes', intervalSec: g, tsSec: from + i * g, value: 1 }));
    expect(checkSamples(daily, ok).ok).toBe(true);
    const utc = ok.map((s) => ({ ...s, tsSec: s.tsSec + 8 * 3600 }));
    expect(checkSamples(daily, utc)).toMatchObject({ ok: false, message: expect.stringMatching(/off the 86400 s bucket grid/) });
  });

  it.each([
    ['NaN with its raw text', 'traffic_bytes', NaN, 'abc', 'abc is not a finite number'],
    ['Infinity', 'traffic_bytes', Infinity, undefined, 'Infinity is not a finite number'],
    ['negative', 'traffic_bytes', -5, undefined, '-5 is negative'],
    ['a fraction of a count', 'requests', 1.5, undefined, '1.5 is not a whole count'],
  ])('an unusable value (%s) is set apart, the rest stays usable', (_n, metric, value, raw, reason) => {
    const r = checkSamples(call, complete(set(at('a.example.com', metric, '10:02'), { value, ...(raw ? { raw } : {}) })));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.unusable).toEqual([{ sample: expect.objectContaining({ domain: 'a.example.com', metric, tsSec: T('2026-11-20T10:02:00Z') }), reason }]);
    expect(r.usable).toHaveLength(19);
  });
});

describe('unusableReason', () => {
  it.each([
    ['traffic_bytes', 0, undefined],
    ['traffic_bytes', 12.5, undefined],
    ['bandwidth_bps', 1e12, undefined],
    ['fail_rate_pct', 0.25, undefined],
    ['requests_per_sec', 3.3, undefined],
    ['requests', 3, undefined],
    ['requests', 3.5, 'is not a whole count'],
    ['failed_requests', 0.1, 'is not a whole count'],
    ['status_2xx', 2.5, 'is not a whole count'],
    ['status_404', 1.01, 'is not a whole count'],
    ['status_404', 7, undefined],
    ['traffic_bytes', -0.001, 'is negative'],
    ['requests', -1, 'is negative'],
    ['traffic_bytes', NaN, 'is not a finite number'],
    ['traffic_bytes', Infinity, 'is not a finite number'],
    ['requests', -Infinity, 'is not a finite number'],
  ])('%s = %s → %s', (metric, value, want) => {
    expect(unusableReason(metric, value)).toBe(want);
  });
});

describe('tail keys', () => {
  it('round-trip the bucket start', () => {
    expect(tailKey('status_404', 300, 1_790_000_100)).toBe('status_404|300|1790000100');
    expect(tailKeyTs(tailKey('status_404', 300, 1_790_000_100))).toBe(1_790_000_100);
  });
});

describe('checkSamples: series kept apart (strength)', () => {
  const s = (domain: string, metric: string, i: number, value = i): Sample => ({ domain, metric, intervalSec: 60, tsSec: FROM + i * 60, value });
  const one: CallSpec = { ...call, finalBeforeSec: FROM + 120 };

  it('interleaved domains and metrics land in their own series; usable comes out by domain, then metric, in first-seen order', () => {
    const input = [
      s('a.example.com', 'requests', 0), s('b.example.com', 'requests', 0), s('a.example.com', 'requests', 1),
      s('a.example.com', 'traffic_bytes', 0), s('b.example.com', 'traffic_bytes', 0), s('b.example.com', 'requests', 1),
      s('a.example.com', 'traffic_bytes', 1), s('b.example.com', 'traffic_bytes', 1), s('a.example.com', 'requests', 0, 9),
    ];
    const r = checkSamples(one, input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.unusable).toEqual([]);
    expect(r.usable.map((x) => `${x.domain} ${x.metric} ${(x.tsSec - FROM) / 60}=${x.value}`)).toEqual([
      'a.example.com requests 0=9', 'a.example.com requests 1=1',
      'a.example.com traffic_bytes 0=0', 'a.example.com traffic_bytes 1=1',
      'b.example.com requests 0=0', 'b.example.com requests 1=1',
      'b.example.com traffic_bytes 0=0', 'b.example.com traffic_bytes 1=1',
    ]);
  });

  it('a bucket present for one domain or metric does not stand in for another', () => {
    // b's requests at 10:01 missing; a's requests and b's traffic at 10:01 present
    const input = [s('a.example.com', 'requests', 0), s('a.example.com', 'requests', 1), s('b.example.com', 'requests', 0), s('a.example.com', 'traffic_bytes', 0), s('a.example.com', 'traffic_bytes', 1), s('b.example.com', 'traffic_bytes', 0), s('b.example.com', 'traffic_bytes', 1)];
    expect(checkSamples(one, input)).toEqual({ ok: false, message: 'the answer lacks requests at 2026-11-20T10:01:00Z for b.example.com' });
    const input2 = [s('a.example.com', 'requests', 0), s('a.example.com', 'requests', 1), s('b.example.com', 'requests', 0), s('b.example.com', 'requests', 1), s('a.example.com', 'traffic_bytes', 0), s('b.example.com', 'traffic_bytes', 0), s('b.example.com', 'traffic_bytes', 1)];
    expect(checkSamples(one, input2)).toEqual({ ok: false, message: 'the answer lacks traffic_bytes at 2026-11-20T10:01:00Z for a.example.com' });
  });

  it('final buckets end at the window end when the horizon lies past it; the window start is asked', () => {
    const all = complete();
    expect(checkSamples({ ...call, finalBeforeSec: FROM + 3600 }, all.filter((x) => x.tsSec !== FROM + 240))).toEqual({ ok: false, message: 'the answer lacks traffic_bytes at 2026-11-20T10:04:00Z for a.example.com' });
    expect(checkSamples({ ...call, finalBeforeSec: FROM + 3600 }, all).ok).toBe(true);
    expect(checkSamples(call, all.filter((x) => x.tsSec !== FROM))).toEqual({ ok: false, message: 'the answer lacks traffic_bytes at 2026-11-20T10:00:00Z for a.example.com' });
    expect(checkSamples(call, all.filter((x) => x.tsSec !== FROM + 180))).toEqual({ ok: false, message: 'the answer lacks traffic_bytes at 2026-11-20T10:03:00Z for a.example.com' });
  });

  it('the window bounds: its first bucket is inside, its end is outside; messages name the window', () => {
    const r = checkSamples(call, [...complete(), s('a.example.com', 'requests', -1)]);
    expect(r).toEqual({ ok: false, message: 'timestamp 2026-11-20T09:59:00Z lies outside the asked window 2026-11-20T10:00:00Z–2026-11-20T10:05:00Z' });
    expect(checkSamples(call, [s('a.example.com', 'requests', 0, 1), ...complete()]).ok).toBe(true);
    expect(checkSamples(call, [{ ...s('a.example.com', 'requests', 0), tsSec: Infinity }])).toEqual({ ok: false, message: 'timestamp Infinity is off the 60 s bucket grid' });
  });

  it('an unusable value is reported with its raw text, or its number when there is none', () => {
    const r = checkSamples(call, complete(set(at('a.example.com', 'requests', '10:02'), { value: -2 })));
    expect(r.ok && r.unusable.map((u) => u.reason)).toEqual(['-2 is negative']);
    const r2 = checkSamples(call, complete(set(at('a.example.com', 'requests', '10:02'), { value: -2, raw: '-2.0' })));
    expect(r2.ok && r2.unusable.map((u) => u.reason)).toEqual(['-2.0 is negative']);
  });

  it('tailKey and tailKeyTs agree', () => {
    expect(tailKey('status_404', 300, FROM)).toBe(`status_404|300|${FROM}`);
    expect(tailKeyTs(tailKey('a|b', 60, FROM))).toBe(FROM);
  });
});
