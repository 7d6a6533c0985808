/**
 * Window planning. Pure: `now` is an argument, nothing here reads a clock.
 * All times are epoch seconds, windows are half-open [fromSec, toSec) and aligned to buckets.
 */

import { alignDown, alignUp, type Tier, type Window, type WindowRules } from '../kernel/time.js';

export { alignDown, alignUp };
export type { Tier, Window, WindowRules };

/** Splits [from, to) into windows no longer than the tier's span limit, oldest first. */
export function chunk(fromSec: number, toSec: number, tier: Tier): Window[] {
  const out: Window[] = [];
  const span = Math.max(tier.granularitySec, alignDown(tier.maxSpanSec, tier.granularitySec));
  for (let f = fromSec; f < toSec; f += span) {
    out.push({ fromSec: f, toSec: Math.min(f + span, toSec), granularitySec: tier.granularitySec, ...(tier.alignOffsetSec ? { alignOffsetSec: tier.alignOffsetSec } : {}) });
  }
  return out;
}

/** Start of the first bucket that is still provisional: every bucket before it is final. */
export function finalHorizon(nowSec: number, rules: WindowRules): number {
  const t = rules.tiers[0];
  return alignDown(nowSec - rules.settleSec - t.granularitySec, t.granularitySec, t.alignOffsetSec);
}

/** Oldest bucket start the vendor still serves at this tier, with one bucket of margin for clock skew. */
export function oldestServed(nowSec: number, tier: Tier): number {
  return alignUp(nowSec - tier.retentionSec, tier.granularitySec, tier.alignOffsetSec) + tier.granularitySec;
}

export interface CollectPlan {
  readonly windows: Window[];
  /** Where the checkpoint may move once every window is written: min(end of windows, horizon). */
  readonly finalHorizonSec: number;
  /** Set when the checkpoint is older than the vendor's retention: [from, to) can no longer be had. */
  readonly lost?: { fromSec: number; toSec: number };
}

/**
 * What one pass of `run`/`once` fetches: from the checkpoint (or the initial look-back) up to the last
 * complete bucket. Everything from the checkpoint on is either new or still provisional, so the
 * provisional tail is re-read without a separate overlap setting.
 */
export function planCollect(input: {
  nowSec: number;
  checkpointSec: number | undefined;
  initialLookbackSec: number;
  rules: WindowRules;
}): CollectPlan {
  const tier = input.rules.tiers[0];
  const g = tier.granularitySec;
  const off = tier.alignOffsetSec;
  const to = alignDown(input.nowSec, g, off);
  let from = input.checkpointSec ?? alignDown(input.nowSec - input.initialLookbackSec, g, off);
  from = alignDown(from, g, off);
  const oldest = oldestServed(input.nowSec, tier);
  let lost: CollectPlan['lost'];
  if (from < oldest) {
    lost = { fromSec: from, toSec: Math.min(oldest, to) };
    from = oldest;
  }
  const horizon = finalHorizon(input.nowSec, input.rules);
  return { windows: from < to ? chunk(from, to, tier) : [], finalHorizonSec: horizon, ...(lost ? { lost } : {}) };
}

export interface RangePlan {
  readonly windows: Window[];
  /** The part of the range that no tier serves any more (too old), if any. */
  readonly unserved?: { fromSec: number; toSec: number };
}

/**
 * What `backfill --from --to` fetches: every bucket whose start lies in [from, to), at the native
 * granularity where the vendor still keeps it and at the coarser tiers before that. Buckets still
 * in progress are left to `run`/`once`.
 */
export function planRange(input: { nowSec: number; fromSec: number; toSec: number; rules: WindowRules }): RangePlan {
  const windows: Window[] = [];
  let end = input.toSec;
  for (const tier of input.rules.tiers) {
    const g = tier.granularitySec;
    const off = tier.alignOffsetSec;
    const wanted = alignUp(input.fromSec, g, off);
    const oldest = oldestServed(input.nowSec, tier);
    const from = Math.max(wanted, oldest);
    const to = Math.min(alignUp(end, g, off), alignDown(input.nowSec, g, off));
    if (from < to) windows.unshift(...chunk(from, to, tier));
    if (oldest <= wanted) return { windows };
    // This tier no longer keeps [wanted, oldest): the next, coarser one may.
    end = Math.min(end, oldest);
  }
  return end > input.fromSec ? { windows, unserved: { fromSec: input.fromSec, toSec: end } } : { windows };
}
