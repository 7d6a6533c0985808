/**
 * Time windows: the shared vocabulary of planning, adapters and state. Pure, imports nothing.
 * All times are epoch seconds (UTC); windows are half-open [fromSec, toSec) and aligned to buckets.
 */

export interface Tier {
  /** Bucket length the API serves in this tier. */
  readonly granularitySec: number;
  /** Longest [from, to) one call may cover at this granularity. A multiple of granularitySec. */
  readonly maxSpanSec: number;
  /** The vendor serves buckets that start no earlier than now - retentionSec. */
  readonly retentionSec: number;
  /** Buckets start at k * granularity + offset (daily buckets of UTC+8 vendors: -8 h). */
  readonly alignOffsetSec?: number;
}

export interface WindowRules {
  /** tiers[0] is the native granularity that `run`/`once` collect; later tiers serve older history to `backfill`. */
  readonly tiers: readonly [Tier, ...Tier[]];
  /** Documented data delay: a bucket is final once its end is older than settleSec + one bucket. */
  readonly settleSec: number;
}

export interface Window {
  readonly fromSec: number;
  readonly toSec: number;
  readonly granularitySec: number;
  /** Bucket alignment offset of the tier the window belongs to. */
  readonly alignOffsetSec?: number;
}

export function alignDown(t: number, g: number, offset = 0): number {
  return Math.floor((t - offset) / g) * g + offset;
}

export function alignUp(t: number, g: number, offset = 0): number {
  return Math.ceil((t - offset) / g) * g + offset;
}

export function onGrid(t: number, g: number, offset = 0): boolean {
  return alignDown(t, g, offset) === t;
}

/** `2026-11-20T00:00:00Z`: second precision, UTC. */
export function isoSeconds(sec: number): string {
  // toISOString always ends in `.sssZ` (every call signs a time or two: no regular expression).
  return `${new Date(sec * 1000).toISOString().slice(0, -5)}Z`;
}
