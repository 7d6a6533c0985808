import { describe, expect, it } from 'vitest';
import { NO_ENTRIES, NO_ITEMS, Tail, TailBuilder, TailLayouts } from '../../src/kernel/tail.js';

const T = 1_800_000_000;
const k = (m: string, g: number, ts: number) => `${m}|${g}|${ts}`;

describe('Tail', () => {
  it('reads back every bucket it was built from, by key and by valueAt; nothing else', () => {
    const entries: [string, number][] = [
      [k('traffic_bytes', 300, T), 1.5],
      [k('traffic_bytes', 300, T + 300), 0],
      [k('traffic_bytes', 60, T), 7],
      [k('status_404', 300, T + 600), 3],
    ];
    const t = Tail.from(entries);
    expect(t.size).toBe(4);
    for (const [key, v] of entries) {
      expect(t.get(key)).toBe(v);
      expect(t.has(key)).toBe(true);
    }
    expect(t.valueAt('traffic_bytes', 300, T + 300)).toBe(0);
    expect(t.valueAt('traffic_bytes', 60, T)).toBe(7);
    // other interval, other metric, off the grid, before and after the run
    expect(t.valueAt('traffic_bytes', 60, T + 60)).toBeUndefined();
    expect(t.valueAt('requests', 300, T)).toBeUndefined();
    expect(t.valueAt('traffic_bytes', 300, T + 150)).toBeUndefined();
    expect(t.valueAt('traffic_bytes', 300, T - 300)).toBeUndefined();
    expect(t.valueAt('traffic_bytes', 300, T + 600)).toBeUndefined();
    expect(t.get('not a key')).toBeUndefined();
    expect(t.has(k('status_404', 300, T))).toBe(false);
    expect(new Map(t)).toEqual(new Map(entries));
    expect([...t.keys()].sort()).toEqual(entries.map(([x]) => x).sort());
    expect([...t.values()].sort()).toEqual([0, 1.5, 3, 7]);
    const seen: [string, number][] = [];
    t.forEach((v, key, map) => {
      expect(map).toBe(t);
      seen.push([key, v]);
    });
    expect(new Map(seen)).toEqual(new Map(entries));
  });

  it('short holes stay inside a run (NaN, not a value); a long hole starts a new run', () => {
    const t = Tail.from([
      [k('m', 60, T), 1],
      [k('m', 60, T + 4 * 60), 2], // 3 missing buckets: same run
      [k('m', 60, T + 9 * 60), 3], // 4 missing: new run
    ]);
    expect([...t.runs()]).toEqual([
      { metric: 'm', intervalSec: 60, firstSec: T, values: [1, NaN, NaN, NaN, 2] },
      { metric: 'm', intervalSec: 60, firstSec: T + 9 * 60, values: [3] },
    ]);
    expect(t.size).toBe(3);
    expect(t.valueAt('m', 60, T + 60)).toBeUndefined();
    expect(t.valueAt('m', 60, T + 5 * 60)).toBeUndefined();
    expect(t.valueAt('m', 60, T + 9 * 60)).toBe(3);
    expect(Tail.fromRuns([...t.runs()])).toEqual(t);
  });

  it('since() keeps buckets at or after the time, and is the same tail when nothing is older', () => {
    const t = Tail.from([
      [k('m', 300, T), 1],
      [k('m', 300, T + 300), 2],
      [k('n', 300, T + 600), 3],
    ]);
    expect(t.since(T)).toBe(t);
    expect(new Map(t.since(T + 300))).toEqual(new Map([[k('m', 300, T + 300), 2], [k('n', 300, T + 600), 3]]));
    expect(t.since(T + 900).size).toBe(0);
    expect(t.since(T + 900)).toBe(Tail.EMPTY);
  });

  it('EMPTY is empty and the shared empties hold nothing', () => {
    expect(Tail.EMPTY.size).toBe(0);
    expect([...Tail.EMPTY]).toEqual([]);
    expect(NO_ENTRIES.size).toBe(0);
    expect(NO_ITEMS).toHaveLength(0);
    expect(Object.isFrozen(NO_ITEMS)).toBe(true);
  });
});

describe('TailBuilder', () => {
  it('the last value set for a bucket wins, whatever the order of buckets', () => {
    const b = new TailBuilder();
    b.set('m', 300, T + 600, 3);
    b.set('m', 300, T, 1);
    b.set('m', 300, T + 600, 4);
    b.set('m', 300, T + 300, 2);
    expect(b.size).toBe(4);
    const t = b.build();
    expect([...t.runs()]).toEqual([{ metric: 'm', intervalSec: 300, firstSec: T, values: [1, 2, 4] }]);
    expect(t.size).toBe(3);
  });

  it('build(from) drops buckets before it; nothing left is EMPTY', () => {
    const b = new TailBuilder();
    b.set('m', 60, T, 1);
    b.set('m', 60, T + 60, 2);
    expect(new Map(b.build(T + 60))).toEqual(new Map([[k('m', 60, T + 60), 2]]));
    expect(b.build(T + 120)).toBe(Tail.EMPTY);
    expect(new TailBuilder().build()).toBe(Tail.EMPTY);
  });

  it('addAll takes a Tail, a Map or another builder; what is set after wins', () => {
    const prev = Tail.from([[k('m', 60, T), 1], [k('m', 60, T + 60), 2]]);
    const other = new TailBuilder();
    other.set('n', 60, T, 5);
    const b = new TailBuilder();
    b.addAll(prev);
    b.addAll(new Map([[k('m', 60, T + 120), 3]]));
    b.addAll(other);
    b.set('m', 60, T, 9);
    expect(new Map(b.build())).toEqual(new Map([[k('m', 60, T), 9], [k('m', 60, T + 60), 2], [k('m', 60, T + 120), 3], [k('n', 60, T), 5]]));
    expect(() => b.addAll(new Map([['bad', 1]]))).toThrow(/not metric\|intervalSec\|bucketSec/);
    const each: string[] = [];
    other.each((m, g, ts, v) => each.push(`${m} ${g} ${ts} ${v}`));
    expect(each).toEqual([`n 60 ${T} 5`]);
    expect([...other.entries()]).toEqual([[k('n', 60, T), 5]]);
  });

  it('a metric name with | in it still round-trips through keys', () => {
    const t = Tail.from([[k('a|b', 60, T), 1]]);
    expect(t.valueAt('a|b', 60, T)).toBe(1);
    expect([...t.keys()]).toEqual([k('a|b', 60, T)]);
  });
});

describe('Tail (strength)', () => {
  it('Tail.from refuses a key without metric, interval and bucket, naming it', () => {
    for (const bad of ['bad', 'm|300', '|5', '|60|5']) {
      expect(() => Tail.from([[bad, 1]]), bad).toThrow(`tail key ${JSON.stringify(bad)} is not metric|intervalSec|bucketSec`);
      expect(Tail.from([[k('m', 60, T), 1]]).get(bad), bad).toBeUndefined();
    }
    const b = new TailBuilder();
    expect(() => b.addAll(new Map([['|5', 1]]))).toThrow(/"\|5" is not metric/);
    expect(b.size).toBe(0);
  });

  it('fromRuns skips NaN values: a leading hole moves the run start, a long hole splits the run', () => {
    const t = Tail.fromRuns([{ metric: 'm', intervalSec: 60, firstSec: T, values: [NaN, 1, NaN, NaN, NaN, NaN, 2] }]);
    expect([...t.runs()]).toEqual([
      { metric: 'm', intervalSec: 60, firstSec: T + 60, values: [1] },
      { metric: 'm', intervalSec: 60, firstSec: T + 6 * 60, values: [2] },
    ]);
    expect(t.size).toBe(2);
    expect(Tail.fromRuns([{ metric: 'm', intervalSec: 60, firstSec: T, values: [NaN, NaN] }])).toBe(Tail.EMPTY);
  });

  it('addAll of a tail takes its buckets only, not the holes inside a run', () => {
    const t = Tail.from([[k('m', 60, T), 1], [k('m', 60, T + 120), 2]]);
    expect([...t.runs()]).toEqual([{ metric: 'm', intervalSec: 60, firstSec: T, values: [1, NaN, 2] }]);
    const b = new TailBuilder();
    b.addAll(t);
    expect(b.size).toBe(2);
    expect([...b.entries()]).toEqual([[k('m', 60, T), 1], [k('m', 60, T + 120), 2]]);
    // cut at the hole: the kept run starts at the next value, not at the hole
    expect([...b.build(T + 60).runs()]).toEqual([{ metric: 'm', intervalSec: 60, firstSec: T + 120, values: [2] }]);
    expect([...t.since(T + 60).runs()]).toEqual([{ metric: 'm', intervalSec: 60, firstSec: T + 120, values: [2] }]);
  });

  it('addAll of a builder copies each bucket once', () => {
    const other = new TailBuilder();
    other.set('n', 60, T, 5);
    other.set('n', 60, T + 60, 6);
    const b = new TailBuilder();
    b.addAll(other);
    expect(b.size).toBe(2);
    const each: number[] = [];
    b.each((_m, _g, ts, v) => each.push(ts, v));
    expect(each).toEqual([T, 5, T + 60, 6]);
  });

  it('valueAt in a run followed by another does not read into the next run', () => {
    const t = Tail.from([[k('m', 60, T), 1], [k('n', 60, T), 2], [k('m', 60, T + 600), 3]]);
    expect(t.valueAt('m', 60, T + 60)).toBeUndefined();
    expect(t.valueAt('m', 60, T + 600)).toBe(3);
    expect(t.valueAt('n', 60, T + 60)).toBeUndefined();
    expect(t.valueAt('n', 60, T)).toBe(2);
  });
});

describe('TailLayouts', () => {
  const build = (layouts: TailLayouts | undefined, rows: [string, number, number, number][], fromSec?: number) => {
    const b = new TailBuilder();
    for (const [m, g, ts, v] of rows) b.set(m, g, ts, v);
    return b.build(fromSec, layouts);
  };

  it('tails of equal layout share one, each keeps its own values; other layouts get their own', () => {
    const layouts = new TailLayouts();
    const a = build(layouts, [['traffic_bytes', 60, 600, 1], ['traffic_bytes', 60, 660, 2], ['requests', 60, 600, 3]]);
    const b = build(layouts, [['requests', 60, 600, 30], ['traffic_bytes', 60, 600, 10], ['traffic_bytes', 60, 660, 20]]);
    expect(layouts.size).toBe(2);
    const c = build(layouts, [['traffic_bytes', 60, 600, 7], ['traffic_bytes', 60, 660, 8], ['requests', 60, 600, 9]]);
    expect(layouts.size).toBe(2);
    const d = build(layouts, [['traffic_bytes', 60, 660, 5]]);
    expect(layouts.size).toBe(3);
    expect(Object.fromEntries(a)).toEqual({ 'traffic_bytes|60|600': 1, 'traffic_bytes|60|660': 2, 'requests|60|600': 3 });
    expect(Object.fromEntries(b)).toEqual({ 'requests|60|600': 30, 'traffic_bytes|60|600': 10, 'traffic_bytes|60|660': 20 });
    expect(Object.fromEntries(c)).toEqual({ 'traffic_bytes|60|600': 7, 'traffic_bytes|60|660': 8, 'requests|60|600': 9 });
    expect(Object.fromEntries(d)).toEqual({ 'traffic_bytes|60|660': 5 });
    expect([c.valueAt('requests', 60, 600), d.valueAt('traffic_bytes', 60, 600), d.valueAt('traffic_bytes', 60, 660)]).toEqual([9, undefined, 5]);
  });

  it('a layout differs by interval, first bucket and runs, not only by metric', () => {
    const layouts = new TailLayouts();
    build(layouts, [['m', 60, 600, 1]]);
    build(layouts, [['m', 300, 600, 1]]);
    build(layouts, [['m', 60, 660, 1]]);
    build(layouts, [['m', 60, 600, 1], ['m', 60, 900, 2]]);
    expect(layouts.size).toBe(4);
    // One run of two values has the layout of one run of one: where the last run ends is the values' length.
    const two = build(layouts, [['m', 60, 600, 1], ['m', 60, 660, 2]]);
    expect(layouts.size).toBe(4);
    expect([two.valueAt('m', 60, 660), two.size]).toEqual([2, 2]);
    expect(build(layouts, [['m', 60, 600, 1], ['m', 60, 900, 2]], 700).valueAt('m', 60, 900)).toBe(2);
    expect(layouts.size).toBe(5);
  });

  it('an empty tail is the shared empty one, not a layout', () => {
    const layouts = new TailLayouts();
    expect(build(layouts, [['m', 60, 600, 1]], 1000)).toBe(Tail.EMPTY);
    expect(layouts.size).toBe(0);
  });
});
