/**
 * The provisional tail of one domain's stream: the values written for buckets the vendor may still
 * revise, so that an unchanged value is not written again. Every domain of every stream holds one,
 * all at once (issue 12: 10,000 domains), so it is stored as runs rather than as a Map of string keys:
 * a Map entry with its `metric|interval|ts` key took ~139 bytes per bucket; a run takes 8 bytes per
 * bucket plus a few numbers per series.
 *
 * It reads as a ReadonlyMap keyed `metric|intervalSec|bucketSec` (status, the state codec and tests
 * use that view); the pass looks values up with `valueAt` without building a key.
 */

/**
 * Shared empties for the per-domain state: most domains owe nothing, and an empty Map or array per
 * domain and stream costs more than its tail (10,000 domains × 20 streams).
 */
export const NO_ENTRIES: ReadonlyMap<string, never> = new Map<string, never>();
export const NO_ITEMS: readonly never[] = Object.freeze([]);

/** One series on its grid from `firstSec`; NaN marks a bucket without a value. */
export interface TailRun {
  readonly metric: string;
  readonly intervalSec: number;
  readonly firstSec: number;
  readonly values: readonly number[];
}

/** Holes longer than this inside a series start a new run rather than being stored as NaN. */
const MAX_HOLE = 3;

/** A bucket key `metric|intervalSec|bucketSec` (tails and owed buckets), or undefined when it is not one. */
export function splitKey(k: string): { metric: string; intervalSec: number; tsSec: number } | undefined {
  const a = k.lastIndexOf('|');
  const b = k.lastIndexOf('|', a - 1);
  // b is 0 for an empty metric, and for a key '|5' too (a negative start searches from 0): not keys.
  if (b <= 0) return undefined;
  return { metric: k.slice(0, b), intervalSec: Number(k.slice(b + 1, a)), tsSec: Number(k.slice(a + 1)) };
}

/**
 * One copy of each run layout (metrics, intervals, first buckets, offsets) among the tails built with
 * it. The domains of a stream are collected together, so their tails mostly share one layout: shared,
 * it costs nothing per domain (10,000 domains × 20 streams: ~11 MB). Scoped to one load or one pass,
 * so that layouts of the past are not kept.
 */
export class TailLayouts {
  readonly #seen = new Map<string, (string | number)[]>();

  /** Distinct layouts kept. */
  get size(): number {
    return this.#seen.size;
  }

  intern(index: readonly (string | number)[]): (string | number)[] {
    const k = index.join('\n');
    const had = this.#seen.get(k);
    if (had) return had;
    const copy = index.slice();
    this.#seen.set(k, copy);
    return copy;
  }
}

export class Tail implements ReadonlyMap<string, number> {
  static readonly EMPTY = new Tail([], []);

  /** Per run: metric, intervalSec, firstSec, offset of its first value (4 slots, Smis and one string). */
  readonly #index: readonly (string | number)[];
  /** Every run's values, one after another (unboxed doubles). */
  readonly #values: readonly number[];
  readonly #size: number;

  /** Use TailBuilder (or Tail.from / Tail.fromRuns): the index and values must agree. */
  constructor(index: (string | number)[], values: number[]) {
    this.#index = index;
    this.#values = values;
    let n = 0;
    for (const v of values) if (v === v) n++;
    this.#size = n;
  }

  /** Builds from buckets in any order; a later entry for the same bucket wins. */
  static from(entries: Iterable<readonly [string, number]>): Tail {
    const b = new TailBuilder();
    for (const [k, v] of entries) {
      const s = splitKey(k);
      if (!s) throw new Error(`tail key ${JSON.stringify(k)} is not metric|intervalSec|bucketSec`);
      b.set(s.metric, s.intervalSec, s.tsSec, v);
    }
    return b.build();
  }

  static fromRuns(runs: readonly TailRun[]): Tail {
    const b = new TailBuilder();
    for (const r of runs) r.values.forEach((v, i) => v === v && b.set(r.metric, r.intervalSec, r.firstSec + i * r.intervalSec, v));
    return b.build();
  }

  get size(): number {
    return this.#size;
  }

  /** Where run `r`'s values end: the next run's offset, or the end of all values. */
  #end(r: number): number {
    return r + 7 < this.#index.length ? (this.#index[r + 7] as number) : this.#values.length;
  }

  /** The value written for a bucket, or undefined. */
  valueAt(metric: string, intervalSec: number, tsSec: number): number | undefined {
    const ix = this.#index;
    for (let r = 0; r < ix.length; r += 4) {
      if (ix[r + 1] !== intervalSec || ix[r] !== metric) continue;
      const i = (tsSec - (ix[r + 2] as number)) / intervalSec;
      const end = this.#end(r);
      const at = (ix[r + 3] as number) + i;
      if (!Number.isInteger(i) || i < 0 || at >= end) continue;
      const v = this.#values[at]!;
      return v === v ? v : undefined;
    }
    return undefined;
  }

  /** The runs, for the state codec. */
  *runs(): IterableIterator<TailRun> {
    const ix = this.#index;
    for (let r = 0; r < ix.length; r += 4) {
      const end = this.#end(r);
      yield { metric: ix[r] as string, intervalSec: ix[r + 1] as number, firstSec: ix[r + 2] as number, values: this.#values.slice(ix[r + 3] as number, end) };
    }
  }

  /** Buckets starting at or after `fromSec` (the rest are final): this tail itself when nothing is dropped. */
  since(fromSec: number): Tail {
    let oldest = Infinity;
    for (const [, , ts] of this.#buckets()) oldest = Math.min(oldest, ts);
    if (oldest >= fromSec) return this;
    const b = new TailBuilder();
    b.addAll(this);
    return b.build(fromSec);
  }

  *#buckets(): IterableIterator<[string, number, number, number]> {
    const ix = this.#index;
    for (let r = 0; r < ix.length; r += 4) {
      const end = this.#end(r);
      const m = ix[r] as string;
      const g = ix[r + 1] as number;
      const first = ix[r + 2] as number;
      for (let at = ix[r + 3] as number, ts = first; at < end; at++, ts += g) {
        const v = this.#values[at]!;
        if (v === v) yield [m, g, ts, v];
      }
    }
  }

  get(key: string): number | undefined {
    const s = splitKey(key);
    return s ? this.valueAt(s.metric, s.intervalSec, s.tsSec) : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, number]> {
    for (const [m, g, ts, v] of this.#buckets()) yield [`${m}|${g}|${ts}`, v];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<number> {
    for (const [, , , v] of this.#buckets()) yield v;
  }

  forEach(fn: (value: number, key: string, map: ReadonlyMap<string, number>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }
}

/**
 * Collects buckets (any order; the last value set for a bucket wins), then packs them into a Tail.
 * Appends only (two numbers per bucket): a pass keeps one per domain until it ends.
 */
export class TailBuilder {
  /** Made on the first set: a pass holds a builder for every domain of a stream, most stay empty. */
  #map: Map<string, { metric: string; intervalSec: number; ts: number[]; values: number[] }> | undefined;
  #size = 0;

  get #series(): Map<string, { metric: string; intervalSec: number; ts: number[]; values: number[] }> {
    return (this.#map ??= new Map());
  }

  set(metric: string, intervalSec: number, tsSec: number, value: number): void {
    const k = `${metric}|${intervalSec}`;
    let s = this.#series.get(k);
    if (!s) this.#series.set(k, (s = { metric, intervalSec, ts: [], values: [] }));
    s.ts.push(tsSec);
    s.values.push(value);
    this.#size++;
  }

  /** Adds every bucket of a tail or of another builder (later sets win over them). */
  addAll(t: ReadonlyMap<string, number> | TailBuilder): void {
    if (t instanceof TailBuilder) {
      if (!t.#map) return;
      for (const s of t.#series.values()) for (let i = 0; i < s.ts.length; i++) this.set(s.metric, s.intervalSec, s.ts[i]!, s.values[i]!);
      return;
    }
    if (t instanceof Tail) {
      for (const r of t.runs()) r.values.forEach((v, i) => v === v && this.set(r.metric, r.intervalSec, r.firstSec + i * r.intervalSec, v));
      return;
    }
    for (const [k, v] of t) {
      const s = splitKey(k);
      if (!s) throw new Error(`tail key ${JSON.stringify(k)} is not metric|intervalSec|bucketSec`);
      this.set(s.metric, s.intervalSec, s.tsSec, v);
    }
  }

  /** Calls fn for every bucket set, in the order set. */
  each(fn: (metric: string, intervalSec: number, tsSec: number, value: number) => void): void {
    for (const s of this.#series.values()) for (let i = 0; i < s.ts.length; i++) fn(s.metric, s.intervalSec, s.ts[i]!, s.values[i]!);
  }

  /** Buckets set so far (a bucket set twice counts twice). */
  get size(): number {
    return this.#size;
  }

  /** The buckets set, as `metric|intervalSec|bucketSec` → value (the last set wins). */
  *entries(): IterableIterator<[string, number]> {
    for (const s of this.#series.values()) for (let i = 0; i < s.ts.length; i++) yield [`${s.metric}|${s.intervalSec}|${s.ts[i]}`, s.values[i]!];
  }

  /** Packs the buckets starting at or after `fromSec`, sharing the layout with equal tails of `layouts`. */
  build(fromSec = -Infinity, layouts?: TailLayouts): Tail {
    if (!this.#map) return Tail.EMPTY;
    const index: (string | number)[] = [];
    const values: number[] = [];
    for (const s of this.#series.values()) {
      // Stable sort by bucket, then the last of equal buckets wins.
      const order = s.ts.map((_, i) => i).filter((i) => s.ts[i]! >= fromSec);
      order.sort((a, b) => s.ts[a]! - s.ts[b]! || a - b);
      let i = 0;
      const next = () => {
        let j = i;
        while (j + 1 < order.length && s.ts[order[j + 1]!] === s.ts[order[i]!]) j++;
        const at = order[j]!;
        i = j + 1;
        return at;
      };
      let prev = NaN;
      while (i < order.length) {
        const at = next();
        const ts = s.ts[at]!;
        const step = (ts - prev) / s.intervalSec;
        if (!(Number.isInteger(step) && step <= MAX_HOLE + 1)) {
          index.push(s.metric, s.intervalSec, ts, values.length);
        } else {
          for (let h = 1; h < step; h++) values.push(NaN);
        }
        values.push(s.values[at]!);
        prev = ts;
      }
    }
    // Copies of exact length: arrays grown by push keep up to half again as much room.
    if (!values.length) return Tail.EMPTY;
    return new Tail(layouts ? layouts.intern(index) : index.slice(), values.slice());
  }
}
