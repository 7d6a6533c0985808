/**
 * Pins the checkpoint rule (src/core/checkpoint.ts) bucket by bucket: where the checkpoint moves in
 * collect and backfill passes, what the provisional tail keeps, how owed buckets and windows clear or
 * stay, and when they go into the gap ledger. Written against mutation-testing survivors.
 */
import { describe, expect, it } from 'vitest';
import { newProgress, nextDomainState, type DomainProgress } from '../../src/core/checkpoint.js';
import type { DomainPlan, PassMode } from '../../src/core/plan.js';
import { tailKey } from '../../src/core/validate.js';
import { chunk } from '../../src/core/window.js';
import type { Window, WindowRules } from '../../src/kernel/time.js';
import { TailBuilder } from '../../src/kernel/tail.js';

const built = (m: ReadonlyMap<string, number> | Iterable<readonly [string, number]>): TailBuilder => {
  const b = new TailBuilder();
  b.addAll(m instanceof Map ? m : new Map(m));
  return b;
};
import type { DomainState, Owed, OwedWindow } from '../../src/ports.js';

const G = 300;
const SETTLE = 600;
const RETENTION = 7 * 86400;
const rules: WindowRules = { tiers: [{ granularitySec: G, maxSpanSec: 1800, retentionSec: RETENTION }], settleSec: SETTLE };
const NOW = 1_800_000_000; // on the 300 s and 3600 s grids
const HORIZON = NOW - SETTLE - G; // finalHorizon(NOW)
const COLLECT: PassMode = { kind: 'collect' };
const M = 'traffic_bytes';

function plan(fromSec: number, toSec: number, extra: Partial<DomainPlan> = {}): DomainPlan {
  return { domain: 'a.example.com', windows: chunk(fromSec, toSec, rules.tiers[0]), refetch: [], plannedFromSec: fromSec, ...extra };
}
function progress(over: Partial<DomainProgress> = {}): DomainProgress {
  return { ...newProgress(), ...over };
}
function state(finalEndSec: number, over: Partial<DomainState> = {}): DomainState {
  return { finalEndSec, tail: new Map(), owed: new Map(), owedWindows: [], ...over };
}
function step(o: { prev?: DomainState; plan: DomainPlan; progress: DomainProgress; mode?: PassMode; nowSec?: number; giveUpAfterSec?: number }) {
  const nowSec = o.nowSec ?? NOW;
  return nextDomainState({
    prev: o.prev,
    plan: o.plan,
    progress: o.progress,
    mode: o.mode ?? COLLECT,
    nowSec,
    horizonSec: nowSec - SETTLE - G,
    rules,
    ...(o.giveUpAfterSec !== undefined ? { giveUpAfterSec: o.giveUpAfterSec } : {}),
  });
}
const w = (fromSec: number, toSec: number, granularitySec = G): Window => ({ fromSec, toSec, granularitySec });

describe('checkpoint in collect passes (run / once)', () => {
  it('moves to the end of the windows done in order, never past the final horizon', () => {
    const p = plan(NOW - 3600, NOW); // windows [-3600,-1800) [-1800,0)
    expect(step({ plan: p, progress: progress({ doneInOrder: 1 }) }).state?.finalEndSec).toBe(NOW - 1800);
    expect(step({ plan: p, progress: progress({ doneInOrder: 2 }) }).state?.finalEndSec).toBe(HORIZON);
    // doneInOrder beyond the plan counts as the whole plan
    expect(step({ plan: p, progress: progress({ doneInOrder: 5 }) }).state?.finalEndSec).toBe(HORIZON);
  });

  it('does not move when no window was done, and a domain with nothing yields no state', () => {
    const p = plan(NOW - 3600, NOW);
    expect(step({ prev: state(NOW - 3600), plan: p, progress: progress() }).state?.finalEndSec).toBe(NOW - 3600);
    expect(step({ plan: p, progress: progress() })).toEqual({ state: undefined, gaps: [] });
  });

  it('never moves backwards, and never behind where the pass started', () => {
    const p = plan(NOW - 3600, NOW);
    expect(step({ prev: state(HORIZON), plan: p, progress: progress({ doneInOrder: 1 }) }).state?.finalEndSec).toBe(HORIZON);
    // a pass that starts after the horizon (all provisional): the checkpoint is its start
    const late = plan(NOW - 600, NOW);
    expect(step({ plan: late, progress: progress({ doneInOrder: 1 }) }).state?.finalEndSec).toBe(NOW - 600);
  });

  it('keeps the domain at the planned start when its first window failed but buckets are owed', () => {
    const p = plan(NOW - 3600, NOW);
    const pr = progress({ failed: [{ window: p.windows[0]!, reason: 'unavailable' }] });
    const out = step({ plan: p, progress: pr });
    expect(out.state?.finalEndSec).toBe(NOW - 3600);
    expect(out.state?.owedWindows).toEqual([{ fromSec: NOW - 3600, toSec: NOW - 1800, granularitySec: G, reason: 'unavailable', sinceSec: NOW }]);
    const { plannedFromSec: _, ...noStart } = p;
    expect(step({ plan: noStart, progress: pr }).state?.finalEndSec).toBe(NOW - 3600);
    expect(step({ plan: { ...noStart, windows: [] }, progress: pr })).toEqual({ state: undefined, gaps: [] });
  });
});

describe('checkpoint in backfill passes', () => {
  const range = (fromSec: number, toSec: number): PassMode => ({ kind: 'range', fromSec, toSec });

  it('without a checkpoint: moves to the range end (aligned up), short of the horizon', () => {
    const p = plan(NOW - 10800, NOW - 6600);
    const out = step({ plan: p, mode: range(NOW - 10800, NOW - 7000), progress: progress({ doneInOrder: p.windows.length }) });
    expect(out.state?.finalEndSec).toBe(NOW - 6900);
    const toNow = plan(NOW - 3600, NOW);
    expect(step({ plan: toNow, mode: range(NOW - 3600, NOW), progress: progress({ doneInOrder: 2 }) }).state?.finalEndSec).toBe(HORIZON);
  });

  it('before or at the checkpoint: moves it forward to the range end, never back', () => {
    const p = plan(NOW - 10800, NOW - 5400);
    const done = progress({ doneInOrder: p.windows.length });
    expect(step({ prev: state(NOW - 7200), plan: p, mode: range(NOW - 10800, NOW - 5400), progress: done }).state?.finalEndSec).toBe(NOW - 5400);
    expect(step({ prev: state(NOW - 10800), plan: p, mode: range(NOW - 10800, NOW - 5400), progress: done }).state?.finalEndSec).toBe(NOW - 5400);
    expect(step({ prev: state(NOW - 3600), plan: p, mode: range(NOW - 10800, NOW - 5400), progress: done }).state?.finalEndSec).toBe(NOW - 3600);
  });

  it('after the checkpoint: leaves it (the hole between them is not written)', () => {
    const p = plan(NOW - 7200, NOW - 5400);
    const done = progress({ doneInOrder: p.windows.length });
    expect(step({ prev: state(NOW - 10800), plan: p, mode: range(NOW - 7200, NOW - 5400), progress: done }).state?.finalEndSec).toBe(NOW - 10800);
    expect(step({ prev: state(NOW - 7201), plan: p, mode: range(NOW - 7200, NOW - 5400), progress: done }).state?.finalEndSec).toBe(NOW - 7201);
  });

  it('only when every window of the range was done', () => {
    const p = plan(NOW - 10800, NOW - 5400);
    expect(step({ plan: p, mode: range(NOW - 10800, NOW - 5400), progress: progress({ doneInOrder: p.windows.length - 1 }) }).state).toBeUndefined();
    expect(step({ prev: state(NOW - 9000), plan: p, mode: range(NOW - 10800, NOW - 5400), progress: progress({ doneInOrder: 1 }) }).state?.finalEndSec).toBe(NOW - 9000);
    const empty = { ...p, windows: [] };
    expect(step({ prev: state(NOW - 9000), plan: empty, mode: range(NOW - 10800, NOW - 5400), progress: progress() }).state?.finalEndSec).toBe(NOW - 9000);
  });
});

describe('provisional tail', () => {
  it('keeps values from the checkpoint or the horizon on (whichever is later), drops older ones', () => {
    const prevTail = new Map([
      [tailKey(M, G, HORIZON - G), 1],
      [tailKey(M, G, HORIZON), 2],
    ]);
    const written = new Map([
      [tailKey(M, G, HORIZON - 2 * G), 3],
      [tailKey(M, G, HORIZON + G), 4],
    ]);
    const out = step({ prev: state(HORIZON - 3 * G, { tail: prevTail }), plan: plan(NOW, NOW), progress: progress({ written: built(written) }) });
    expect([...out.state!.tail]).toEqual([
      [tailKey(M, G, HORIZON), 2],
      [tailKey(M, G, HORIZON + G), 4],
    ]);
  });

  it('a later checkpoint than the horizon prunes up to the checkpoint; a written value replaces the old one', () => {
    const prevTail = new Map([
      [tailKey(M, G, HORIZON), 1],
      [tailKey(M, G, HORIZON + G), 2],
    ]);
    const written = new Map([[tailKey(M, G, HORIZON + G), 5]]);
    const out = step({ prev: state(HORIZON + G, { tail: prevTail }), plan: plan(NOW, NOW), progress: progress({ written: built(written) }) });
    expect([...out.state!.tail]).toEqual([[tailKey(M, G, HORIZON + G), 5]]);
  });

  it('a tail alone keeps a domain without a checkpoint', () => {
    const p = plan(NOW - 600, NOW);
    const out = step({ plan: { ...p, plannedFromSec: NOW - 600 }, progress: progress({ written: built([[tailKey(M, G, NOW - 600), 7]]) }) });
    expect(out.state?.tail.get(tailKey(M, G, NOW - 600))).toBe(7);
  });
});

describe('owed buckets and windows', () => {
  const T = NOW - 7200;
  const key = tailKey(M, G, T);
  const owedPrev = (since = NOW - 5000): Map<string, Owed> => new Map([[key, { reason: 'NaN is not a finite number', sinceSec: since }]]);

  it('a bucket fetched again and not owed again is cleared; only a window of its grid that holds it counts', () => {
    const prev = state(NOW - 3600, { owed: owedPrev() });
    const p = plan(NOW - 3600, NOW - 3600);
    const cleared = (fetched: Window[]) => step({ prev, plan: p, progress: progress({ fetched }) }).state!.owed.has(key);
    expect(cleared([w(T, T + G)])).toBe(false);
    expect(cleared([w(T - G, T + G)])).toBe(false);
    expect(cleared([w(T - G, T)])).toBe(true); // ends where the bucket starts
    expect(cleared([w(T + G, T + 2 * G)])).toBe(true);
    expect(cleared([w(T, T + 3600, 3600)])).toBe(true); // another grid
    expect(cleared([])).toBe(true);
  });

  it('a bucket owed again keeps when it was first owed; a new one is owed since now', () => {
    const prev = state(NOW - 3600, { owed: owedPrev(NOW - 5000) });
    const other = tailKey(M, G, T + G);
    const pr = progress({ fetched: [w(T, T + 2 * G)], owed: new Map([[key, 'still bad'], [other, 'refused']]) });
    const out = step({ prev, plan: plan(NOW - 3600, NOW - 3600), progress: pr }).state!;
    expect(out.owed.get(key)).toEqual({ reason: 'still bad', sinceSec: NOW - 5000 });
    expect(out.owed.get(other)).toEqual({ reason: 'refused', sinceSec: NOW });
  });

  it('an owed window is cleared by a fetch covering it, replaced when it fails again, kept otherwise', () => {
    const ow: OwedWindow = { fromSec: T, toSec: T + 1800, granularitySec: G, reason: 'unavailable', sinceSec: NOW - 5000 };
    const prev = state(NOW - 3600, { owedWindows: [ow] });
    const p = plan(NOW - 3600, NOW - 3600);
    const after = (pr: DomainProgress) => step({ prev, plan: p, progress: pr }).state!.owedWindows;
    expect(after(progress({ fetched: [w(T, T + 1800)] }))).toEqual([]);
    expect(after(progress({ fetched: [w(T - G, T + 1800 + G)] }))).toEqual([]);
    expect(after(progress({ fetched: [w(T, T + 1800, 3600)] }))).toEqual([ow]);
    // (A fetch of only a part of it clears it too, see test/MUTATION.md "Findings": not pinned here.)
    expect(after(progress())).toEqual([ow]);
    expect(after(progress({ failed: [{ window: w(T, T + 1800), reason: 'timeout' }] }))).toEqual([{ ...ow, reason: 'timeout' }]);
    // a part of it failing again: that part stays owed, still since the first failure
    expect(after(progress({ failed: [{ window: w(T + G, T + 2 * G), reason: 'timeout' }] }))).toEqual([ow, { fromSec: T + G, toSec: T + 2 * G, granularitySec: G, reason: 'timeout', sinceSec: NOW - 5000 }]);
    // a different window failing is owed since now, with its alignment offset
    const daily = { fromSec: T - 86400, toSec: T, granularitySec: 86400, alignOffsetSec: -28800 };
    expect(after(progress({ failed: [{ window: daily, reason: 'x' }] }))).toEqual([ow, { ...daily, reason: 'x', sinceSec: NOW }]);
  });
});

describe('gap ledger: giving up on owed buckets', () => {
  const GIVE_UP = 3600;
  const T = NOW - 7200;
  const key = tailKey(M, G, T);

  function giveUp(nowSec: number, sinceSec: number, ts = T, giveUpAfterSec: number | null = GIVE_UP) {
    const k = tailKey(M, G, ts);
    const prev = state(NOW - 3600, { owed: new Map([[k, { reason: 'NaN is not a finite number', sinceSec }]]) });
    return step({ prev, plan: plan(NOW, NOW), progress: progress(), nowSec, ...(giveUpAfterSec !== null ? { giveUpAfterSec } : {}) });
  }

  it('an owed bucket is given up on giveUpAfter after it became final (end + settle)', () => {
    const due = T + G + SETTLE + GIVE_UP;
    const before = giveUp(due - 1, T);
    expect(before.gaps).toEqual([]);
    expect(before.state!.owed.has(key)).toBe(true);
    const at = giveUp(due, T);
    expect(at.gaps).toEqual([{ metric: M, intervalSec: G, fromSec: T, toSec: T + G, reason: 'NaN is not a finite number' }]);
    expect(at.state!.owed.has(key)).toBe(false);
  });

  it('and not before giveUpAfter since it was first owed, when that is later', () => {
    const since = T + 100_000;
    expect(giveUp(since + GIVE_UP - 1, since).gaps).toEqual([]);
    expect(giveUp(since + GIVE_UP, since).gaps).toHaveLength(1);
  });

  it('only on the last transition of a pass (giveUpAfterSec set)', () => {
    expect(giveUp(NOW + 10 * 86400, T, T, null).gaps).toEqual([]);
  });

  it('a bucket the vendor no longer serves is given up on at once, saying so', () => {
    const oldest = NOW - RETENTION + G; // oldestServed(NOW)
    const out = giveUp(NOW, NOW, oldest - G);
    expect(out.gaps).toEqual([{ metric: M, intervalSec: G, fromSec: oldest - G, toSec: oldest, reason: 'NaN is not a finite number; no longer served by the vendor' }]);
    expect(giveUp(NOW, NOW, oldest).gaps).toEqual([]);
  });

  it('owed windows follow the same rule, as metric *', () => {
    const mk = (ow: Partial<OwedWindow>, nowSec: number) =>
      step({ prev: state(NOW - 3600, { owedWindows: [{ fromSec: T, toSec: T + 1800, granularitySec: G, reason: 'timeout', sinceSec: T, ...ow }] }), plan: plan(NOW, NOW), progress: progress(), nowSec, giveUpAfterSec: GIVE_UP });
    const due = T + 1800 + SETTLE + GIVE_UP;
    expect(mk({}, due - 1).gaps).toEqual([]);
    expect(mk({}, due - 1).state!.owedWindows).toHaveLength(1);
    const at = mk({}, due);
    expect(at.gaps).toEqual([{ metric: '*', intervalSec: G, fromSec: T, toSec: T + 1800, reason: 'timeout' }]);
    expect(at.state!.owedWindows).toEqual([]);
    expect(mk({ sinceSec: due }, due).gaps).toEqual([]);
    const oldest = NOW - RETENTION + G;
    expect(mk({ fromSec: oldest - 1800, toSec: oldest, sinceSec: NOW }, NOW).gaps).toEqual([{ metric: '*', intervalSec: G, fromSec: oldest - 1800, toSec: oldest, reason: 'timeout; no longer served by the vendor' }]);
    expect(mk({ fromSec: oldest - 1800 + G, toSec: oldest + G, sinceSec: NOW }, NOW).gaps).toEqual([]);
  });

  it('a grid no tier serves is never "gone", only due', () => {
    const k = tailKey(M, 60, NOW - RETENTION * 2);
    const prev = state(NOW - 3600, { owed: new Map([[k, { reason: 'r', sinceSec: NOW }]]) });
    expect(step({ prev, plan: plan(NOW, NOW), progress: progress(), giveUpAfterSec: GIVE_UP }).gaps).toEqual([]);
  });
});

describe('last error', () => {
  it('records the pass error with its time, else keeps the previous one', () => {
    const p = plan(NOW - 3600, NOW);
    const prev = state(NOW - 3600, { lastError: { atSec: 5, message: 'old' } });
    expect(step({ prev, plan: p, progress: progress({ lastError: 'new' }) }).state?.lastError).toEqual({ atSec: NOW, message: 'new' });
    expect(step({ prev, plan: p, progress: progress() }).state?.lastError).toEqual({ atSec: 5, message: 'old' });
    expect(step({ prev: state(NOW - 3600), plan: p, progress: progress() }).state).not.toHaveProperty('lastError');
  });
});

describe('edges of clearing owed windows', () => {
  const T = NOW - 7200;
  const ow: OwedWindow = { fromSec: T, toSec: T + 1800, granularitySec: G, reason: 'unavailable', sinceSec: NOW - 5000 };
  const after = (pr: DomainProgress) => step({ prev: state(NOW - 3600, { owedWindows: [ow] }), plan: plan(NOW - 3600, NOW - 3600), progress: pr }).state!.owedWindows;

  it('a fetch that starts inside it but runs past its end, or ends inside it but starts before, does not clear it', () => {
    expect(after(progress({ fetched: [w(T + G, T + 1800 + G)] }))).toEqual([ow]);
    expect(after(progress({ fetched: [w(T - G, T + 1500)] }))).toEqual([ow]);
    expect(after(progress({ fetched: [w(T + 1800, T + 3600)] }))).toEqual([ow]);
    expect(after(progress({ fetched: [w(T - 1800, T)] }))).toEqual([ow]);
  });

  it('a failure with the same start but another end is a new owed window, the old one stays', () => {
    expect(after(progress({ failed: [{ window: w(T, T + G), reason: 't' }] }))).toEqual([ow, { fromSec: T, toSec: T + G, granularitySec: G, reason: 't', sinceSec: NOW - 5000 }]);
    expect(after(progress({ failed: [{ window: w(T + 600, T + 1800), reason: 't' }] }))).toEqual([ow, { fromSec: T + 600, toSec: T + 1800, granularitySec: G, reason: 't', sinceSec: NOW - 5000 }]);
  });

  it('a bucket owed by a domain without any state is owed since now', () => {
    const k = tailKey(M, G, NOW - 3600);
    const out = step({ plan: plan(NOW - 3600, NOW), progress: progress({ owed: new Map([[k, 'refused']]) }) });
    expect(out.state?.owed.get(k)).toEqual({ reason: 'refused', sinceSec: NOW });
  });

  it('a fresh progress holds nothing', () => {
    expect(newProgress()).toEqual({ doneInOrder: 0, blocked: false, written: new TailBuilder(), fetched: [], owed: new Map(), failed: [] });
  });
});
