import { describe, expect, it } from 'vitest';
import { LineBudget } from '../../src/core/budget.js';

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('LineBudget', () => {
  it('takes at once below the maximum; at it, waits for a release that brings it below', async () => {
    const b = new LineBudget(10);
    await b.take(6);
    await b.take(6);
    expect(b.held).toBe(12);
    let got = false;
    void b.take(3).then(() => (got = true));
    await settle();
    expect(got).toBe(false);
    b.release(1);
    await settle();
    // 11 still held: not yet.
    expect(got).toBe(false);
    b.release(2);
    await settle();
    expect(got).toBe(true);
    expect(b.held).toBe(12);
  });

  it('waiters look again one after the other: the first takes the room, the next waits for the next release', async () => {
    const b = new LineBudget(10);
    await b.take(10);
    const order: string[] = [];
    const a = b.take(8).then(() => order.push('a'));
    const c = b.take(8).then(() => order.push('c'));
    await settle();
    b.release(5);
    await settle();
    expect(order).toEqual(['a']);
    expect(b.held).toBe(13);
    b.release(8);
    await Promise.all([a, c]);
    expect(order).toEqual(['a', 'c']);
    expect(b.held).toBe(13);
  });

  it('adjust corrects an estimate, and a correction down wakes a waiter', async () => {
    const b = new LineBudget(10);
    await b.take(12);
    let got = false;
    void b.take(1).then(() => (got = true));
    b.adjust(+3);
    await settle();
    expect([got, b.held]).toEqual([false, 15]);
    b.adjust(-8);
    await settle();
    expect([got, b.held]).toEqual([true, 8]);
  });

  it('a stop ends the wait', async () => {
    const b = new LineBudget(1);
    await b.take(1);
    const ac = new AbortController();
    let got = false;
    void b.take(0, ac.signal).then(() => (got = true));
    await settle();
    expect(got).toBe(false);
    ac.abort();
    await settle();
    expect(got).toBe(true);
    await b.take(0, ac.signal);
  });
});
