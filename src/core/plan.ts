/**
 * Planning a pass, pure: which windows each domain needs (from its checkpoint, the initial
 * look-back, InfluxDB's newest bucket, or a backfill range), which owed buckets are fetched again,
 * and how domains with the same windows share calls.
 */
import type { DomainState } from '../ports.js';
import { alignDown, type Tier, type Window, type WindowRules } from '../kernel/time.js';
import { tailKeyTs } from './validate.js';
import { chunk, planCollect, planRange } from './window.js';

export type PassMode = { readonly kind: 'collect' } | { readonly kind: 'range'; readonly fromSec: number; readonly toSec: number };

export interface DomainPlan {
  readonly domain: string;
  /** The pass's own windows, oldest first: the checkpoint moves over them as they are done in order. */
  readonly windows: readonly Window[];
  /** Owed buckets behind the checkpoint: one call per affected window. */
  readonly refetch: readonly Window[];
  readonly plannedFromSec?: number;
  /** Part of what was wanted that the vendor no longer serves. */
  readonly lost?: { readonly fromSec: number; readonly toSec: number };
}

export function planDomain(input: {
  domain: string;
  nowSec: number;
  mode: PassMode;
  state: DomainState | undefined;
  /** Where InfluxDB says this domain's data ends (state.recoverFromInflux), when it has no checkpoint. */
  recoveredFromSec?: number;
  initialLookbackSec: number;
  rules: WindowRules;
}): DomainPlan {
  const { domain, nowSec, mode, state, rules } = input;
  if (mode.kind === 'range') {
    const p = planRange({ nowSec, fromSec: mode.fromSec, toSec: mode.toSec, rules });
    return { domain, windows: p.windows, refetch: [], ...(p.windows[0] ? { plannedFromSec: p.windows[0].fromSec } : {}), ...(p.unserved ? { lost: p.unserved } : {}) };
  }
  const checkpoint = state?.finalEndSec ?? input.recoveredFromSec;
  const p = planCollect({ nowSec, checkpointSec: checkpoint, initialLookbackSec: input.initialLookbackSec, rules });
  const from = p.windows[0]?.fromSec ?? checkpoint ?? alignDown(nowSec, rules.tiers[0].granularitySec, rules.tiers[0].alignOffsetSec);
  return {
    domain,
    windows: p.windows,
    refetch: state ? refetchWindows(state, from, rules) : [],
    ...(p.windows[0] ? { plannedFromSec: p.windows[0].fromSec } : {}),
    ...(p.lost ? { lost: p.lost } : {}),
  };
}

function tierOf(rules: WindowRules, g: number): Tier | undefined {
  return rules.tiers.find((t) => t.granularitySec === g);
}

/**
 * Owed windows and buckets that lie before `beforeSec` (later ones are re-read by the pass anyway),
 * as few windows as the span limits allow.
 */
export function refetchWindows(state: DomainState, beforeSec: number, rules: WindowRules): Window[] {
  const out: Window[] = [];
  const covered = (g: number, t: number) => out.some((w) => w.granularitySec === g && t >= w.fromSec && t < w.toSec);
  for (const ow of state.owedWindows) {
    if (ow.fromSec >= beforeSec) continue;
    out.push({ fromSec: ow.fromSec, toSec: Math.min(ow.toSec, beforeSec), granularitySec: ow.granularitySec, ...(ow.alignOffsetSec ? { alignOffsetSec: ow.alignOffsetSec } : {}) });
  }
  const byInterval = new Map<number, number[]>();
  for (const key of state.owed.keys()) {
    const ts = tailKeyTs(key);
    const g = Number(key.split('|')[1]);
    if (ts >= beforeSec || covered(g, ts)) continue;
    byInterval.set(g, [...(byInterval.get(g) ?? []), ts]);
  }
  for (const [g, list] of byInterval) {
    const tier = tierOf(rules, g);
    if (!tier) continue;
    const sorted = [...new Set(list)].sort((a, b) => a - b);
    // Nearby owed buckets share a call: one window from the first to the last that fits a span.
    let start = sorted[0]!;
    let last = start;
    for (const ts of sorted.slice(1)) {
      if (ts + g - start > tier.maxSpanSec) {
        out.push(...chunk(start, last + g, tier));
        start = ts;
      }
      last = ts;
    }
    out.push(...chunk(start, last + g, tier));
  }
  return out.sort((a, b) => a.fromSec - b.fromSec);
}

/** Equal window lists have equal keys. */
export const windowsKey = (ws: readonly Window[]): string => ws.map((w) => `${w.fromSec}-${w.toSec}-${w.granularitySec}-${w.alignOffsetSec ?? 0}`).join(',');

/** Domains whose window lists are equal share calls, as many per call as the API allows. */
export interface Job {
  readonly domains: readonly string[];
  readonly windows: readonly Window[];
  readonly refetch: boolean;
}

export function groupJobs(plans: readonly DomainPlan[], maxDomainsPerCall: number): Job[] {
  const jobs: Job[] = [];
  for (const refetch of [false, true]) {
    const byKey = new Map<string, { domains: string[]; windows: readonly Window[] }>();
    for (const p of plans) {
      const ws = refetch ? p.refetch : p.windows;
      if (!ws.length) continue;
      const key = windowsKey(ws);
      const e = byKey.get(key) ?? { domains: [], windows: ws };
      e.domains.push(p.domain);
      byKey.set(key, e);
    }
    for (const e of byKey.values()) {
      for (let i = 0; i < e.domains.length; i += maxDomainsPerCall) jobs.push({ domains: e.domains.slice(i, i + maxDomainsPerCall), windows: e.windows, refetch });
    }
  }
  return jobs;
}

