/**
 * The core's half of "an answer is trusted only when it proves itself" (adapters check what only
 * they can see: containers, foreign domain labels, zones). Pure.
 */
import { unusableReason, type Sample } from '../kernel/schema.js';
import { isoSeconds, onGrid } from '../kernel/time.js';
import type { CallSpec } from '../kernel/vendor.js';

/** A bucket whose value cannot be written: stays owed, reported with its raw value. */
export interface Unusable {
  readonly sample: Sample;
  readonly reason: string;
}

export type Checked =
  | { readonly ok: true; readonly usable: Sample[]; readonly unusable: Unusable[] }
  | { readonly ok: false; readonly message: string };

export function tailKey(metric: string, intervalSec: number, tsSec: number): string {
  return `${metric}|${intervalSec}|${tsSec}`;
}

export function tailKeyTs(key: string): number {
  return Number(key.slice(key.lastIndexOf('|') + 1));
}

/**
 * Checks an adapter's samples against what was asked: the domains, the window, the grid, the
 * granularity, and every declared metric for every final bucket. Duplicates collapse to the last.
 */
export function checkSamples(call: CallSpec, samples: readonly Sample[]): Checked {
  const w = call.window;
  const asked = new Set(call.domains);
  // domain → metric → bucket → sample (the last of duplicates): no string key per sample, and the
  // buckets of a series come out together, the order the line encoder is fastest with.
  const seen = new Map<string, Map<string, Map<number, Sample>>>();
  let lastDomain: string | undefined;
  let lastMetric: string | undefined;
  let series: Map<number, Sample> | undefined;
  for (const s of samples) {
    if (!asked.has(s.domain)) return { ok: false, message: `the answer holds data for ${s.domain}, which was not asked` };
    if (s.intervalSec !== w.granularitySec) return { ok: false, message: `the answer holds ${s.intervalSec} s buckets where ${w.granularitySec} s was asked` };
    if (!Number.isFinite(s.tsSec) || !onGrid(s.tsSec, w.granularitySec, w.alignOffsetSec)) return { ok: false, message: `timestamp ${fmt(s.tsSec)} is off the ${w.granularitySec} s bucket grid` };
    if (s.tsSec < w.fromSec || s.tsSec >= w.toSec) return { ok: false, message: `timestamp ${fmt(s.tsSec)} lies outside the asked window ${fmt(w.fromSec)}–${fmt(w.toSec)}` };
    if (s.domain !== lastDomain || s.metric !== lastMetric || !series) {
      let byMetric = seen.get(s.domain);
      if (!byMetric) seen.set(s.domain, (byMetric = new Map()));
      series = byMetric.get(s.metric);
      if (!series) byMetric.set(s.metric, (series = new Map()));
      lastDomain = s.domain;
      lastMetric = s.metric;
    }
    series.set(s.tsSec, s);
  }
  const finalEnd = Math.min(w.toSec, call.finalBeforeSec);
  for (const d of call.domains) {
    for (const m of call.stream.metrics) {
      const got = seen.get(d)?.get(m);
      for (let t = w.fromSec; t < finalEnd; t += w.granularitySec) {
        if (!got?.has(t)) return { ok: false, message: `the answer lacks ${m} at ${fmt(t)} for ${d}` };
      }
    }
  }
  const usable: Sample[] = [];
  const unusable: Unusable[] = [];
  for (const byMetric of seen.values()) {
    for (const got of byMetric.values()) {
      for (const s of got.values()) {
        const why = unusableReason(s.metric, s.value);
        if (why) unusable.push({ sample: s, reason: `${s.raw ?? String(s.value)} ${why}` });
        else usable.push(s);
      }
    }
  }
  return { ok: true, usable, unusable };
}

function fmt(sec: number): string {
  return Number.isFinite(sec) ? isoSeconds(sec) : String(sec);
}
