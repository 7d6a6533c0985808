/**
 * Pins the pacer (src/core/pacer.ts) on exact virtual times: even spacing at `headroom` of the rate,
 * the sliding window after an event-loop stall (at most `limit` starts in any window of
 * (1000 + limit × spacing) / 2 ms, a start exactly one window old has left it), later slots pushed
 * back by a late start, `pause`, the limit of a fractional rate, and the registry's sharing by key.
 */
import { describe, expect, it } from 'vitest';
import { Pacer, PacerRegistry } from '../../src/core/pacer.js';
import type { Clock } from '../../src/ports.js';

/** Virtual time. `run` fires timers one due time after another; `stallTo` jumps and fires every due timer at once. */
class VClock implements Clock {
  t = 0;
  readonly sleeps: number[] = [];
  #timers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.#timers.push({ at: this.t + ms, resolve }));
  }
  async #settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
  }
  async #fire(upTo: number): Promise<boolean> {
    const due = this.#timers.filter((x) => x.at <= upTo);
    if (!due.length) return false;
    this.#timers = this.#timers.filter((x) => x.at > upTo);
    for (const d of due) d.resolve();
    await this.#settle();
    return true;
  }
  /** Runs timers in due order until none is left before `until`. */
  async run(until = Number.POSITIVE_INFINITY): Promise<void> {
    await this.#settle();
    for (;;) {
      const next = Math.min(...this.#timers.map((x) => x.at));
      if (!Number.isFinite(next) || next > until) break;
      this.t = Math.max(this.t, next);
      await this.#fire(this.t);
    }
    if (Number.isFinite(until)) this.t = Math.max(this.t, until);
  }
  /** The event loop was blocked until `t`: every timer due by then fires at `t`, in the order they were set. */
  async stallTo(t: number): Promise<void> {
    this.t = t;
    while (await this.#fire(t));
  }
  get pending(): number {
    return this.#timers.length;
  }
}

function callers(clock: VClock, pacer: Pacer, n: number, starts: number[]): Promise<unknown>[] {
  return Array.from({ length: n }, () => pacer.acquire().then(() => starts.push(clock.now())));
}

describe('Pacer: spacing', () => {
  it('spaces starts evenly at 95% of the rate by default (10/s: every 1000/9.5 ms)', async () => {
    const clock = new VClock();
    const starts: number[] = [];
    const all = callers(clock, new Pacer(clock, 10), 25, starts);
    await clock.run();
    await Promise.all(all);
    expect(starts).toHaveLength(25);
    // The window (a little over a second) never delays steady pacing: the 11th and later keep the spacing.
    starts.forEach((s, k) => expect(s).toBeCloseTo((k * 1000) / 9.5, 6));
  });

  it('the headroom is a parameter: 1 means exactly the rate', async () => {
    const clock = new VClock();
    const starts: number[] = [];
    const all = callers(clock, new Pacer(clock, 10, 1), 5, starts);
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([0, 100, 200, 300, 400]);
    expect(clock.sleeps).toEqual([100, 200, 300, 400]);
  });

  it('a caller arriving after its slot has passed starts at once, and the next slot follows it', async () => {
    const clock = new VClock();
    const pacer = new Pacer(clock, 10, 1);
    const starts: number[] = [];
    await pacer.acquire();
    starts.push(clock.now());
    clock.t = 5000;
    const all = callers(clock, pacer, 2, starts);
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([0, 5000, 5100]);
  });
});

describe('Pacer: the sliding window after a stall', () => {
  it('at most the limit start together; the next waits one window, limit × spacing − 1 ms', async () => {
    const clock = new VClock();
    const starts: number[] = [];
    const all = callers(clock, new Pacer(clock, 10), 12, starts);
    await clock.run(0);
    await clock.stallTo(3000);
    expect(starts).toEqual([0, ...Array<number>(10).fill(3000)]);
    await clock.run();
    await Promise.all(all);
    const windowMs = (10 * 1000) / 9.5 - 1;
    expect(starts[11]).toBeCloseTo(3000 + windowMs, 6);
  });

  it('a start exactly one window old has left it, and the late caller waits in one sleep', async () => {
    // 10/s at headroom 1: spacing 100 ms, window never under a second: 1000 ms.
    const clock = new VClock();
    const starts: number[] = [];
    const all = callers(clock, new Pacer(clock, 10, 1), 25, starts);
    await clock.run(0);
    await clock.stallTo(3000);
    const sleepsBefore = clock.sleeps.length;
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([0, ...Array<number>(10).fill(3000), ...Array<number>(10).fill(4000), ...Array<number>(4).fill(5000)]);
    // 14 callers late at 3,000 wait 1,000 ms each; 4 of them again at 4,000: one sleep per wait, no polling.
    expect(clock.sleeps.slice(sleepsBefore - 14)).toEqual([...Array<number>(18).fill(1000)]);
  });

  it('a late start pushes later slots back: a new caller gets the slot after it, not an earlier one', async () => {
    // 2/s at headroom 1: spacing 500 ms, limit 2, window (1000 + 2 × 500) / 2 = 1000 ms.
    const clock = new VClock();
    const pacer = new Pacer(clock, 2, 1);
    const starts: Record<string, number> = {};
    const go = (name: string): Promise<void> => pacer.acquire().then(() => void (starts[name] = clock.now()));
    const first = ['a', 'b', 'c', 'd'].map(go);
    await clock.run(0);
    await clock.stallTo(5000);
    // b and c start at 5,000; d waits for 6,000 (5,000 + window) and the next slot is 6,000 + 500.
    expect(starts).toEqual({ a: 0, b: 5000, c: 5000 });
    await clock.run(5200);
    const e = go('e');
    await clock.run();
    await Promise.all([...first, e]);
    expect(starts).toEqual({ a: 0, b: 5000, c: 5000, d: 6000, e: 6500 });
  });

  it('a fractional rate allows floor(rate) in the window (2.5/s: 2)', async () => {
    // headroom 1: spacing 400 ms, limit 2, window 2 ÷ 2.5/s = 800 ms (not under the rate).
    const clock = new VClock();
    const starts: number[] = [];
    const all = callers(clock, new Pacer(clock, 2.5, 1), 5, starts);
    await clock.run(0);
    await clock.stallTo(4000);
    expect(starts).toEqual([0, 4000, 4000]);
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([0, 4000, 4000, 4800, 4800]);
  });

  it('a rate under 1/s still lets one call start per window', async () => {
    // 0.5/s at headroom 1: spacing 2,000 ms, limit 1, window 1 ÷ 0.5/s = 2,000 ms (1,500 ms let 0.67 calls a second start).
    const clock = new VClock();
    const starts: number[] = [];
    const all = callers(clock, new Pacer(clock, 0.5, 1), 4, starts);
    await clock.run(0);
    await clock.stallTo(10_000);
    expect(starts).toEqual([0, 10_000]);
    await clock.run();
    await Promise.all(all);
    // Callers that already hold a passed slot wait for the window only: one window after each other.
    expect(starts).toEqual([0, 10_000, 12_000, 14_000]);
  });

  it('thousands of calls: the window stays exact long after the first ones left it', async () => {
    // 1000/s at headroom 1: spacing 1 ms, limit 1000, window 1000 ms; a stall at 2,500 ms then steady again.
    const clock = new VClock();
    const pacer = new Pacer(clock, 1000, 1);
    const starts: number[] = [];
    const first = callers(clock, pacer, 2000, starts);
    await clock.run(0);
    await clock.run(1500);
    expect(starts).toHaveLength(1501);
    await clock.stallTo(2500);
    // 499 slots passed during the stall; only 499 fit: 1,000 started within (1500, 2500].
    expect(starts.filter((s) => s === 2500)).toHaveLength(499);
    await clock.run();
    await Promise.all(first);
    expect(starts).toHaveLength(2000);
    for (let i = 1000; i < starts.length; i++) expect(starts[i]! - starts[i - 1000]!).toBeGreaterThanOrEqual(1000);
    const later = callers(clock, pacer, 3, starts);
    await clock.run();
    await Promise.all(later);
    expect(clock.pending).toBe(0);
  });
});

describe('Pacer: pause', () => {
  it('holds every caller back for the given time from now', async () => {
    const clock = new VClock();
    clock.t = 1000;
    const pacer = new Pacer(clock, 10, 1);
    pacer.pause(500);
    const starts: number[] = [];
    const all = callers(clock, pacer, 2, starts);
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([1500, 1600]);
  });

  it('a shorter pause never brings slots forward', async () => {
    const clock = new VClock();
    const pacer = new Pacer(clock, 10, 1);
    pacer.pause(800);
    pacer.pause(100);
    const starts: number[] = [];
    const all = callers(clock, pacer, 1, starts);
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([800]);
  });
});

describe('PacerRegistry', () => {
  it('one pacer per key: callers of the same key share the spacing, other keys do not wait', async () => {
    const clock = new VClock();
    const reg = new PacerRegistry(clock);
    expect(reg.get('aliyun/acct/DescribeX', 10)).toBe(reg.get('aliyun/acct/DescribeX', 10));
    expect(reg.get('aliyun/acct/DescribeY', 10)).not.toBe(reg.get('aliyun/acct/DescribeX', 10));
    const starts: Record<string, number[]> = { x: [], y: [] };
    const all = [
      ...callers(clock, reg.get('aliyun/acct/DescribeX', 10), 2, starts.x!),
      ...callers(clock, reg.get('aliyun/acct/DescribeY', 10), 1, starts.y!),
    ];
    await clock.run();
    await Promise.all(all);
    expect(starts.x![0]).toBe(0);
    expect(starts.x![1]).toBeCloseTo(1000 / 9.5, 6);
    expect(starts.y).toEqual([0]);
  });
});
