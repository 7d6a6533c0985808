import { describe, expect, it } from 'vitest';
import { newProgress, nextDomainState, type DomainProgress } from '../../src/core/checkpoint.js';
import type { DomainPlan, PassMode } from '../../src/core/plan.js';
import { finalHorizon, type Window, type WindowRules } from '../../src/core/window.js';
import { TailBuilder } from '../../src/kernel/tail.js';

const built = (m: ReadonlyMap<string, number> | Iterable<readonly [string, number]>): TailBuilder => {
  const b = new TailBuilder();
  b.addAll(m instanceof Map ? m : new Map(m));
  return b;
};
import type { DomainState, OwedWindow } from '../../src/ports.js';

const DAY = 86_400;
const T = (iso: string) => Date.parse(iso) / 1000;
const H = (hm: string) => T(`2026-11-20T${hm}:00Z`);
const minute: WindowRules = { tiers: [{ granularitySec: 60, maxSpanSec: 3600, retentionSec: 7 * DAY }], settleSec: 300 };
const NOW = T('2026-11-20T10:00:20Z');
const HORIZON = finalHorizon(NOW, minute);
const COLLECT: PassMode = { kind: 'collect' };
const w = (from: string, to: string, g = 60): Window => ({ fromSec: H(from), toSec: H(to), granularitySec: g });
const plan = (windows: Window[], plannedFromSec = windows[0]?.fromSec): DomainPlan => ({ domain: 'a', windows, refetch: [], ...(plannedFromSec !== undefined ? { plannedFromSec } : {}) });
const state = (o: Partial<DomainState> = {}): DomainState => ({ finalEndSec: H('09:00'), tail: new Map(), owed: new Map(), owedWindows: [], ...o });
const progress = (o: Partial<DomainProgress> = {}): DomainProgress => ({ ...newProgress(), ...o });
const k = (hm: string, m = 'traffic_bytes', g = 60) => `${m}|${g}|${H(hm)}`;
const run = (o: { prev?: DomainState; plan: DomainPlan; progress: DomainProgress; mode?: PassMode; nowSec?: number; giveUpAfterSec?: number; horizonSec?: number }) =>
  nextDomainState({ prev: o.prev, plan: o.plan, progress: o.progress, mode: o.mode ?? COLLECT, nowSec: o.nowSec ?? NOW, horizonSec: o.horizonSec ?? finalHorizon(o.nowSec ?? NOW, minute), rules: minute, ...(o.giveUpAfterSec !== undefined ? { giveUpAfterSec: o.giveUpAfterSec } : {}) });

describe('collect: the checkpoint moves over windows done in order, up to the final horizon', () => {
  const three = [w('07:00', '08:00'), w('08:00', '09:00'), w('09:00', '10:00')];
  it.each([
    ['nothing done, no state: nothing to keep', undefined, 0, false, undefined],
    ['nothing done: stays', state({ finalEndSec: H('07:00') }), 0, true, '07:00'],
    ['first window done', state({ finalEndSec: H('07:00') }), 1, false, '08:00'],
    ['two done, third blocked', state({ finalEndSec: H('07:00') }), 2, true, '09:00'],
    ['all done: short of the horizon', state({ finalEndSec: H('07:00') }), 3, false, '09:54'],
    ['all done, first pass', undefined, 3, false, '09:54'],
  ] as const)('%s', (_n, prev, done, blocked, want) => {
    const t = run({ ...(prev ? { prev } : {}), plan: plan([...three]), progress: progress({ doneInOrder: done, blocked }) });
    expect(t.state?.finalEndSec).toBe(want === undefined ? undefined : H(want));
    expect(HORIZON).toBe(H('09:54'));
  });

  it('never behind where the pass started (settle longer than the look-back)', () => {
    const t = run({ plan: plan([w('09:00', '10:00')]), progress: progress({ doneInOrder: 1 }), horizonSec: H('07:00') });
    expect(t.state?.finalEndSec).toBe(H('09:00'));
  });

  it('never backwards', () => {
    const t = run({ prev: state({ finalEndSec: H('09:54') }), plan: plan([w('09:00', '09:30')], H('09:00')), progress: progress({ doneInOrder: 1 }) });
    expect(t.state?.finalEndSec).toBe(H('09:54'));
  });

  it('a doneInOrder larger than the plan counts only the planned windows', () => {
    const t = run({ prev: state({ finalEndSec: H('07:00') }), plan: plan([w('07:00', '08:00')]), progress: progress({ doneInOrder: 5 }) });
    expect(t.state?.finalEndSec).toBe(H('08:00'));
  });
});

describe('backfill: to the end of the range, never backwards, short of the horizon', () => {
  const range = (from: string, to: string): PassMode => ({ kind: 'range', fromSec: H(from), toSec: H(to) });
  it.each([
    ['without a checkpoint: to the range end', undefined, range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 2, '08:00'],
    ['before the checkpoint: it stays (never backwards)', state({ finalEndSec: H('09:00') }), range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 2, '09:00'],
    ['starting at the checkpoint: to the range end', state({ finalEndSec: H('06:00') }), range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 2, '08:00'],
    ['overlapping the checkpoint: to the range end', state({ finalEndSec: H('07:00') }), range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 2, '08:00'],
    ['after the checkpoint: it stays (a hole would be skipped)', state({ finalEndSec: H('05:00') }), range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 2, '05:00'],
    ['not every window done: it stays', state({ finalEndSec: H('06:00') }), range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 1, '06:00'],
    ['not every window done, no checkpoint: none', undefined, range('06:00', '08:00'), [w('06:00', '07:00'), w('07:00', '08:00')], 1, undefined],
    ['a range up to now: short of the horizon', state({ finalEndSec: H('09:00') }), range('09:00', '10:00'), [w('09:00', '10:00')], 1, '09:54'],
  ] as const)('%s', (_n, prev, mode, windows, done, want) => {
    const t = run({ ...(prev ? { prev } : {}), plan: plan([...windows]), progress: progress({ doneInOrder: done }), mode });
    expect(t.state?.finalEndSec).toBe(want === undefined ? undefined : H(want));
  });
});

describe('the provisional tail', () => {
  it('keeps values at or after the new checkpoint (and the horizon), drops older ones; this pass wins', () => {
    const prev = state({ finalEndSec: H('09:50'), tail: new Map([[k('09:50'), 1], [k('09:55'), 2], [k('09:56'), 3]]) });
    const t = run({ prev, plan: plan([w('09:50', '10:00')]), progress: progress({ doneInOrder: 1, written: built([[k('09:53'), 9], [k('09:54'), 10], [k('09:56'), 30]]) }) });
    expect(t.state?.finalEndSec).toBe(H('09:54'));
    expect(t.state!.tail).toEqual(new Map([[k('09:55'), 2], [k('09:56'), 30], [k('09:54'), 10]]));
  });
});

describe('owed buckets', () => {
  const since = H('09:00');
  it('kept when not fetched again; cleared by a successful fetch of their window; still owed keeps its first sinceSec', () => {
    const prev = state({ finalEndSec: H('09:54'), owed: new Map([[k('08:10'), { reason: 'old', sinceSec: since }], [k('08:20'), { reason: 'old', sinceSec: since }], [k('07:00'), { reason: 'kept', sinceSec: since }]]) });
    const pr = progress({ doneInOrder: 1, fetched: [w('08:10', '08:21')], owed: new Map([[k('08:20'), 'unusable value abc']]) });
    const t = run({ prev, plan: plan([w('09:54', '10:00')]), progress: pr });
    expect(Object.fromEntries(t.state!.owed)).toEqual({
      [k('07:00')]: { reason: 'kept', sinceSec: since },
      [k('08:20')]: { reason: 'unusable value abc', sinceSec: since },
    });
  });

  it('a fetch at another interval does not clear them', () => {
    const prev = state({ finalEndSec: H('09:54'), owed: new Map([[k('08:10'), { reason: 'x', sinceSec: since }]]) });
    const t = run({ prev, plan: plan([]), progress: progress({ fetched: [w('08:00', '09:00', 300)] }) });
    expect(t.state!.owed.has(k('08:10'))).toBe(true);
  });

  it('new owed buckets are owed since now', () => {
    const t = run({ plan: plan([w('09:00', '10:00')]), progress: progress({ doneInOrder: 1, owed: new Map([[k('09:10'), 'refused by InfluxDB: bad']]) }) });
    expect(t.state!.owed.get(k('09:10'))).toEqual({ reason: 'refused by InfluxDB: bad', sinceSec: NOW });
  });

  it('a domain with no checkpoint whose first pass owes something keeps state from where the pass started', () => {
    const t = run({ plan: plan([w('09:00', '10:00')]), progress: progress({ doneInOrder: 0, blocked: true, owed: new Map([[k('09:10'), 'x']]) }) });
    expect(t.state?.finalEndSec).toBe(H('09:00'));
  });
});

describe('owed windows', () => {
  const ow = (from: string, to: string, sinceSec = H('08:00')): OwedWindow => ({ fromSec: H(from), toSec: H(to), granularitySec: 60, reason: 'Malformed x', sinceSec });

  it('a failed window becomes owed since now; the checkpoint still moves over it', () => {
    const t = run({ prev: state({ finalEndSec: H('08:00') }), plan: plan([w('08:00', '09:00'), w('09:00', '10:00')]), progress: progress({ doneInOrder: 2, failed: [{ window: w('08:00', '09:00'), reason: 'Malformed the answer lacks…' }] }) });
    expect(t.state!.finalEndSec).toBe(H('09:54'));
    expect(t.state!.owedWindows).toEqual([{ fromSec: H('08:00'), toSec: H('09:00'), granularitySec: 60, reason: 'Malformed the answer lacks…', sinceSec: NOW }]);
  });

  it('cleared by a successful refetch, kept otherwise; failing again keeps the first sinceSec', () => {
    const prev = state({ finalEndSec: H('09:54'), owedWindows: [ow('06:00', '07:00'), ow('07:00', '08:00'), ow('08:00', '09:00')] });
    const t = run({ prev, plan: plan([]), progress: progress({ fetched: [w('06:00', '07:00')], failed: [{ window: w('07:00', '08:00'), reason: 'again' }] }) });
    expect(t.state!.owedWindows).toEqual([ow('08:00', '09:00'), { ...ow('07:00', '08:00'), reason: 'again' }]);
  });
});

describe('giving up: into the gap ledger only after max(since, bucket end + settle) + giveUpAfter', () => {
  const GIVE_UP = 3600;
  // Bucket 09:00 ends 09:01; final from 09:06 (settle 300 s); owed since 09:30.
  const prev = (sinceSec: number) => state({ finalEndSec: H('09:54'), owed: new Map([[k('09:00'), { reason: 'unusable value abc is not a finite number', sinceSec }]]) });
  it.each([
    ['owed since after it became final: one second early', H('09:30'), H('10:30') - 1, 0],
    ['owed since after it became final: due', H('09:30'), H('10:30'), 1],
    ['owed since before it became final: counted from final', H('08:00'), H('10:06') - 1, 0],
    ['owed since before it became final: due', H('08:00'), H('10:06'), 1],
  ])('%s', (_n, sinceSec, nowSec, gaps) => {
    const t = run({ prev: prev(sinceSec), plan: plan([]), progress: progress(), nowSec, giveUpAfterSec: GIVE_UP });
    expect(t.gaps).toHaveLength(gaps);
    expect(t.state!.owed.size).toBe(1 - gaps);
    if (gaps) expect(t.gaps[0]).toEqual({ metric: 'traffic_bytes', intervalSec: 60, fromSec: H('09:00'), toSec: H('09:01'), reason: 'unusable value abc is not a finite number' });
  });

  it('only on the last transition of a pass (giveUpAfterSec set)', () => {
    const t = run({ prev: prev(H('00:00')), plan: plan([]), progress: progress(), nowSec: H('23:00') });
    expect(t.gaps).toEqual([]);
    expect(t.state!.owed.size).toBe(1);
  });

  it('at once when older than the vendor keeps', () => {
    const old = T('2026-11-12T00:00:00Z');
    const p = state({ finalEndSec: H('09:54'), owed: new Map([[`traffic_bytes|60|${old}`, { reason: 'refused by InfluxDB: x', sinceSec: NOW }]]), owedWindows: [{ fromSec: old, toSec: old + 3600, granularitySec: 60, reason: 'Timeout', sinceSec: NOW }] });
    const t = run({ prev: p, plan: plan([]), progress: progress(), giveUpAfterSec: 30 * DAY });
    expect(t.gaps).toEqual([
      { metric: 'traffic_bytes', intervalSec: 60, fromSec: old, toSec: old + 60, reason: 'refused by InfluxDB: x; no longer served by the vendor' },
      { metric: '*', intervalSec: 60, fromSec: old, toSec: old + 3600, reason: 'Timeout; no longer served by the vendor' },
    ]);
    expect(t.state!.owed.size + t.state!.owedWindows.length).toBe(0);
  });

  it('owed windows give up the same way, as metric *', () => {
    const p = state({ finalEndSec: H('09:54'), owedWindows: [{ fromSec: H('08:00'), toSec: H('09:00'), granularitySec: 60, reason: 'Timeout', sinceSec: H('08:30') }] });
    expect(run({ prev: p, plan: plan([]), progress: progress(), nowSec: H('10:05') - 1, giveUpAfterSec: 3600 }).gaps).toEqual([]);
    expect(run({ prev: p, plan: plan([]), progress: progress(), nowSec: H('10:05'), giveUpAfterSec: 3600 }).gaps).toEqual([{ metric: '*', intervalSec: 60, fromSec: H('08:00'), toSec: H('09:00'), reason: 'Timeout' }]);
  });
});

describe('last error', () => {
  it('the newest one is kept with its time; none keeps the previous', () => {
    const a = run({ plan: plan([w('09:00', '10:00')]), progress: progress({ doneInOrder: 1, lastError: 'boom' }) });
    expect(a.state!.lastError).toEqual({ atSec: NOW, message: 'boom' });
    const b = run({ prev: a.state!, plan: plan([w('09:54', '10:00')]), progress: progress({ doneInOrder: 1 }), nowSec: NOW + 60 });
    expect(b.state!.lastError).toEqual({ atSec: NOW, message: 'boom' });
  });
});
