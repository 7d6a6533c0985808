import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/core/pacer.js';
import type { Clock } from '../../src/ports.js';

/** Virtual time: timers fire only when the test moves time, all the due ones together (a stall). */
class StallClock implements Clock {
  t = 0;
  #timers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.push({ at: this.t + ms, resolve }));
  }
  /** When the earliest timer is due. */
  next(): number | undefined {
    return this.#timers.length ? Math.min(...this.#timers.map((x) => x.at)) : undefined;
  }
  async moveTo(t: number): Promise<void> {
    this.t = t;
    for (;;) {
      const due = this.#timers.filter((x) => x.at <= t);
      if (!due.length) return;
      this.#timers = this.#timers.filter((x) => x.at > t);
      for (const d of due) d.resolve();
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
  }
}

function maxInWindow(starts: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0; i < starts.length; i++) {
    let n = 0;
    for (let j = i; j < starts.length && starts[j]! < starts[i]! + windowMs; j++) n++;
    max = Math.max(max, n);
  }
  return max;
}

describe('Pacer', () => {
  it('spaces starts at 95% of the limit when timers are on time', async () => {
    const clock = new StallClock();
    const pacer = new Pacer(clock, 10);
    const starts: number[] = [];
    const all = Array.from({ length: 40 }, () => pacer.acquire().then(() => starts.push(clock.now())));
    for (let t = 0; t <= 6000; t += 5) await clock.moveTo(t);
    await Promise.all(all);
    expect(starts).toHaveLength(40);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(10);
    // 40 calls at 9.5/s: the last starts about 39 × 105 ms after the first.
    expect(starts[39]! - starts[0]!).toBeLessThan(39 * 106);
  });

  it('the window never delays steady pacing: timers on time, every call starts exactly on its slot (20/s, 95%)', async () => {
    const clock = new StallClock();
    const pacer = new Pacer(clock, 20);
    const starts: number[] = [];
    const all = Array.from({ length: 500 }, () => pacer.acquire().then(() => starts.push(clock.now())));
    await clock.moveTo(0);
    for (let at = clock.next(); at !== undefined; at = clock.next()) await clock.moveTo(at);
    await Promise.all(all);
    const spacing = 1000 / (20 * 0.95);
    expect(starts.map((t, i) => Math.abs(t - i * spacing) < 1e-6)).toEqual(starts.map(() => true));
    // …and 20 starts take 1,053 ms: the window (1,052 ms) holds 20 of them, never 21.
    expect(maxInWindow(starts, 1052)).toBe(20);
  });

  it('never lets more than the limit start in one second after an event-loop stall', async () => {
    const clock = new StallClock();
    const pacer = new Pacer(clock, 10);
    const starts: number[] = [];
    const all = Array.from({ length: 40 }, () => pacer.acquire().then(() => starts.push(clock.now())));
    await clock.moveTo(0);
    // The loop is blocked for 3 s: about 28 slots pass, and their timers fire together at 3,000 ms.
    await clock.moveTo(3000);
    expect(starts.filter((t) => t === 3000).length).toBeLessThanOrEqual(10);
    for (let t = 3000; t <= 12_000; t += 5) await clock.moveTo(t);
    await Promise.all(all);
    expect(starts).toHaveLength(40);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(10);
  });
});
