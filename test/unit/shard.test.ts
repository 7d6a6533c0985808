import { describe, expect, it } from 'vitest';
import { Pacer, PacerRegistry } from '../../src/core/pacer.js';
import { shardIndexFromHostname, shardOf } from '../../src/core/shard.js';
import { ManualClock } from '../support/fakes.js';

const triples = Array.from({ length: 600 }, (_, i) => ['aliyun', 'tencent', 'huaweicdn'][i % 3]!).map((m, i) => [m, i % 5 === 0 ? 'second' : 'default', `d${i}.example.com`] as const);

describe('shards', () => {
  it('every triple lands on exactly one shard, and the shards share the work', () => {
    for (const count of [1, 2, 3, 4, 7]) {
      const sizes = new Array<number>(count).fill(0);
      for (const [m, a, d] of triples) {
        const s = shardOf(count, m, a, d);
        expect(Number.isInteger(s) && s >= 0 && s < count).toBe(true);
        expect(shardOf(count, m, a, d)).toBe(s);
        sizes[s]!++;
      }
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(triples.length);
      for (const n of sizes) expect(n).toBeGreaterThan((triples.length / count) * 0.6);
    }
  });

  it('going from 3 to 4 shards moves only the triples the new shard wins', () => {
    let moved = 0;
    for (const [m, a, d] of triples) {
      const before = shardOf(3, m, a, d);
      const after = shardOf(4, m, a, d);
      if (before !== after) {
        moved++;
        expect(after).toBe(3);
      }
    }
    expect(moved).toBeGreaterThan(triples.length * 0.15);
    expect(moved).toBeLessThan(triples.length * 0.35);
  });

  it('the account and the vendor are part of the identity', () => {
    const differs = triples.some(([m, , d]) => shardOf(4, m, 'default', d) !== shardOf(4, m, 'other', d));
    expect(differs).toBe(true);
  });

  it.each([
    ['collector-2', 2],
    ['collector-0', 0],
    ['cdn-collector-12', 12],
    ['collector', undefined],
    ['collector-2a', undefined],
  ])('hostname %s → index %s', (h, want) => expect(shardIndexFromHostname(h)).toBe(want));
});

/** Most calls in any one-second window [t, t + 1000). */
function busiest(times: number[]): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) best = Math.max(best, times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length);
  return best;
}

describe('the pacer', () => {
  it.each([1, 5, 10, 15, 100])('never more than %i calls in any one second', async (rate) => {
    const clock = new ManualClock(1_000_000);
    const pacer = new Pacer(clock, rate);
    const times: number[] = [];
    for (let i = 0; i < rate * 4; i++) {
      await pacer.acquire();
      times.push(clock.now());
    }
    expect(busiest(times)).toBeLessThanOrEqual(rate);
    // …and not much slower than the limit either (headroom only).
    expect(times.at(-1)! - times[0]!).toBeLessThan(((rate * 4) / rate) * 1000 * 1.1);
  });

  it('after an event-loop stall there is no burst to catch up', async () => {
    const clock = new ManualClock(1_000_000);
    const pacer = new Pacer(clock, 10);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      await pacer.acquire();
      times.push(clock.now());
    }
    clock.advance(15_000);
    for (let i = 0; i < 30; i++) {
      await pacer.acquire();
      times.push(clock.now());
    }
    expect(busiest(times)).toBeLessThanOrEqual(10);
  });

  it('concurrent callers get slots in call order, spaced by 1/rate', async () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer(clock, 4, 1);
    await Promise.all([0, 1, 2, 3].map(() => pacer.acquire()));
    expect(clock.sleeps).toEqual([250, 250, 250]);
    expect(clock.now()).toBe(750);
  });

  it('pause holds every caller back, and an abort rejects the wait', async () => {
    const clock = new ManualClock(1_000_000);
    const pacer = new Pacer(clock, 10);
    await pacer.acquire();
    pacer.pause(5000);
    await pacer.acquire();
    expect(clock.now()).toBeGreaterThanOrEqual(1_005_000);
    pacer.pause(5000);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(pacer.acquire(ac.signal)).rejects.toThrow('stop');
  });

  it('the registry shares one pacer per key', () => {
    const r = new PacerRegistry(new ManualClock(0));
    expect(r.get('aliyun:default:X', 10)).toBe(r.get('aliyun:default:X', 10));
    expect(r.get('aliyun:default:X', 10)).not.toBe(r.get('aliyun:other:X', 10));
  });
});
