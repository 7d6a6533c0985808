/**
 * A stall on the collector's side between the slot and the socket: the pacer granted a call, then
 * its request was written late (a new connection's connect callback waited behind a long parse), so
 * the vendor saw it close to the calls of the next slots. `reserve` counts a call from when its
 * request was written; `acquire` (the start counted at the slot) lets the vendor see more than the
 * limit in one second.
 */
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/core/pacer.js';
import type { Clock } from '../../src/ports.js';

/** Virtual time: timers fire in due order; every due timer of a step fires together. */
class VClock implements Clock {
  t = 0;
  #timers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.push({ at: this.t + ms, resolve }));
  }
  /** The event loop was blocked until `t`: every timer due by then fires at `t`. */
  async stallTo(t: number): Promise<void> {
    this.t = t;
    for (;;) {
      const due = this.#timers.filter((x) => x.at <= t);
      if (!due.length) return;
      this.#timers = this.#timers.filter((x) => x.at > t);
      for (const d of due) d.resolve();
      await new Promise((r) => setImmediate(r));
    }
  }
  async run(until = Number.POSITIVE_INFINITY): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (;;) {
      const next = Math.min(...this.#timers.map((x) => x.at));
      if (!Number.isFinite(next) || next > until) break;
      this.t = Math.max(this.t, next);
      const due = this.#timers.filter((x) => x.at <= this.t);
      this.#timers = this.#timers.filter((x) => x.at > this.t);
      for (const d of due) d.resolve();
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Most times in any window of `ms` that the vendor counts: (t - ms, t]. */
function mostInWindow(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[j]! <= t[i]! - ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/**
 * `n` callers in a row; call k's request reaches the socket `writeDelay(k)` ms after its slot. With
 * `reserve` the sender reports the write; with `acquire` the pacer never hears of it.
 */
async function sendTimes(pacer: Pacer, clock: VClock, n: number, writeDelay: (k: number) => number, mode: 'reserve' | 'acquire'): Promise<number[]> {
  const written: number[] = [];
  const all = Array.from({ length: n }, async (_, k) => {
    const sent = mode === 'reserve' ? await pacer.reserve() : (await pacer.acquire(), () => undefined);
    const d = writeDelay(k);
    if (d > 0) await clock.sleep(d);
    written.push(clock.now());
    sent();
  });
  await clock.run();
  await Promise.all(all);
  return written;
}

describe('Pacer: a stall between the slot and the socket', () => {
  it('a request written 100 ms after its slot: counted from its slot, the vendor sees 11 calls in one second at a limit of 10', async () => {
    // 10/s at 95%: slots every 105.3 ms, window 1,026 ms. Call 0 is written at 100 ms, call 10's
    // slot is 1,052.6 ms: one window after call 0's slot, but within a second of its write.
    const clock = new VClock();
    const written = await sendTimes(new Pacer(clock, 10), clock, 11, (k) => (k === 0 ? 100 : 0), 'acquire');
    expect(mostInWindow(written, 1000)).toBe(11);
  });

  it('reserve: the same call counted from its write keeps the limit, and the next one waits only as long as needed', async () => {
    const clock = new VClock();
    const written = await sendTimes(new Pacer(clock, 10), clock, 11, (k) => (k === 0 ? 100 : 0), 'reserve');
    expect(mostInWindow(written, 1000)).toBe(10);
    const windowMs = (10 * 1000) / 9.5 - 1;
    expect(written.at(-1)).toBeCloseTo(100 + windowMs, 6);
  });

  it('reserve: write delays of up to 400 ms on every third call never put more than the limit into a second', async () => {
    const delay = (k: number) => (k % 3 === 0 ? 50 + ((k * 137) % 350) : 0);
    const clock = new VClock();
    expect(mostInWindow(await sendTimes(new Pacer(clock, 10), clock, 80, delay, 'reserve'), 1000)).toBeLessThanOrEqual(10);
    // Counted from the slot, the same delays break the limit.
    const c2 = new VClock();
    expect(mostInWindow(await sendTimes(new Pacer(c2, 10), c2, 80, delay, 'acquire'), 1000)).toBeGreaterThan(10);
  });

  it('reserve: a request not yet written (a connect taking 1.5 s) counts as starting now, not at its slot', async () => {
    const clock = new VClock();
    const written = await sendTimes(new Pacer(clock, 10), clock, 30, (k) => (k === 0 ? 1500 : 0), 'reserve');
    expect(mostInWindow(written, 1000)).toBeLessThanOrEqual(10);
    const c2 = new VClock();
    expect(mostInWindow(await sendTimes(new Pacer(c2, 10), c2, 30, (k) => (k === 0 ? 1500 : 0), 'acquire'), 1000)).toBeGreaterThan(10);
  });

  it('reserve with every request written at once keeps the even spacing of acquire', async () => {
    const clock = new VClock();
    const written = await sendTimes(new Pacer(clock, 10), clock, 25, () => 0, 'reserve');
    written.forEach((s, k) => expect(s).toBeCloseTo((k * 1000) / 9.5, 6));
  });

  it('reporting the write twice counts the call once', async () => {
    // 2/s at headroom 1: spacing 500 ms, limit 2, window 1,000 ms.
    const clock = new VClock();
    const pacer = new Pacer(clock, 2, 1);
    const a = await pacer.reserve();
    a();
    a();
    const starts: number[] = [];
    const all = [0, 1, 2].map(() => pacer.acquire().then(() => starts.push(clock.now())));
    await clock.stallTo(3000);
    await clock.run();
    await Promise.all(all);
    expect(starts).toEqual([3000, 3000, 4000]);
  });
});
