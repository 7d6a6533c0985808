/**
 * A provisional tail (src/kernel/tail.ts Tail) equals any map with the same buckets and values:
 * tests write expected tails as plain Maps keyed `metric|intervalSec|bucketSec`.
 */
import { expect } from 'vitest';
import { Tail } from '../../src/kernel/tail.js';

const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

expect.addEqualityTesters([
  function tailEquals(a: unknown, b: unknown, customTesters) {
    if (!(a instanceof Tail || b instanceof Tail)) return undefined;
    if (!(a instanceof Map || a instanceof Tail) || !(b instanceof Map || b instanceof Tail)) return false;
    return this.equals(sorted(a), sorted(b), customTesters);
  },
]);
