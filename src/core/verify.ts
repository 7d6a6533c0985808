/**
 * `verify --from --to`: reads the range again from the vendors and from InfluxDB and compares them
 * bucket by bucket, writing nothing. Buckets the vendor may still revise are reported as
 * provisional and do not count as differences.
 */
import pLimit from 'p-limit';
import { describeError } from '../kernel/errors.js';
import { isoSeconds } from '../kernel/time.js';
import type { StreamSpec, VendorAdapter } from '../kernel/vendor.js';
import type { PointSource } from '../ports.js';
import { fetchChecked, vendorErrorLine, type CallDeps, type CallSettings } from './call.js';
import { groupJobs, planDomain } from './plan.js';
import { finalHorizon } from './window.js';

export interface VerifyDeps extends CallDeps {
  readonly points: PointSource;
}

export interface VerifyResult {
  /** One line per difference, then one summary line per vendor, account and metric. */
  readonly lines: string[];
  /** Lines for stderr: vendor calls or queries that failed (the range could not be verified). */
  readonly failures: string[];
  readonly differs: boolean;
}

interface Expected {
  value: number;
  provisional: boolean;
  unusable?: string;
}

interface Tally {
  compared: number;
  missing: number;
  wrong: number;
  extra: number;
  provisional: number;
}

export async function verifyRange(
  deps: VerifyDeps,
  settings: CallSettings & { readonly concurrency: number },
  adapters: readonly VendorAdapter[],
  domainsOf: (a: VendorAdapter) => Promise<string[]>,
  range: { fromSec: number; toSec: number },
  signal?: AbortSignal,
): Promise<VerifyResult> {
  const lines: string[] = [];
  const failures: string[] = [];
  const tallies = new Map<string, Tally>();
  const limit = pLimit(settings.concurrency);
  const nowSec = Math.floor(deps.clock.now() / 1000);
  let differs = false;
  for (const adapter of adapters) {
    let domains: string[];
    try {
      domains = await domainsOf(adapter);
    } catch (err) {
      failures.push(`${adapter.module} (account ${adapter.account}): domain discovery failed: ${describeError(err)}`);
      differs = true;
      continue;
    }
    if (!domains.length) continue;
    // By area and interval: the series InfluxDB holds for this account.
    const groups = new Map<string, { area?: string; intervalSec: number; metrics: Set<string>; expected: Map<string, Expected>; failed: boolean }>();
    const group = (stream: StreamSpec, g: number) => {
      const k = `${stream.area ?? ''}|${g}`;
      let e = groups.get(k);
      if (!e) {
        e = { ...(stream.area ? { area: stream.area } : {}), intervalSec: g, metrics: new Set(), expected: new Map(), failed: false };
        groups.set(k, e);
      }
      for (const m of stream.metrics) e.metrics.add(m);
      return e;
    };
    const calls: Promise<void>[] = [];
    for (const stream of adapter.streams) {
      const horizon = finalHorizon(nowSec, stream.rules);
      const plans = domains.map((d) => planDomain({ domain: d, nowSec, mode: { kind: 'range', ...range }, state: undefined, initialLookbackSec: 0, rules: stream.rules }));
      for (const job of groupJobs(plans, stream.maxDomainsPerCall)) {
        for (const w of job.windows) {
          const e = group(stream, w.granularitySec);
          const call = { stream, domains: job.domains, window: w, finalBeforeSec: horizon };
          calls.push(
            limit(async () => {
              const out = await fetchChecked(deps, settings, adapter, call, { retries: 0, calls: 0 }, signal);
              if (!out.ok) {
                e.failed = true;
                failures.push(`verify: ${vendorErrorLine(adapter.module, stream.api, adapter.account, call.domains, out.error)}; ${isoSeconds(w.fromSec)} to ${isoSeconds(w.toSec)} not verified`);
                return;
              }
              for (const s of out.checked.usable) {
                if (s.tsSec < range.fromSec || s.tsSec >= range.toSec) continue;
                e.metrics.add(s.metric);
                e.expected.set(`${s.domain}|${s.metric}|${s.tsSec}`, { value: s.value, provisional: s.tsSec >= horizon });
              }
              for (const u of out.checked.unusable) {
                e.metrics.add(u.sample.metric);
                e.expected.set(`${u.sample.domain}|${u.sample.metric}|${u.sample.tsSec}`, { value: NaN, provisional: u.sample.tsSec >= horizon, unusable: u.reason });
              }
            }),
          );
        }
      }
    }
    await Promise.all(calls);
    for (const e of groups.values()) {
      if (e.failed) differs = true;
      let actual: Map<string, number>;
      try {
        actual = await deps.points.pointsIn({ vendor: adapter.vendor, account: adapter.account, ...(e.area ? { area: e.area } : {}), intervalSec: e.intervalSec, metrics: [...e.metrics], domains, fromSec: range.fromSec, toSec: range.toSec });
      } catch (err) {
        failures.push(`verify: ${describeError(err)}`);
        differs = true;
        continue;
      }
      const where = (key: string) => {
        const [domain, metric, ts] = key.split('|') as [string, string, string];
        return { domain, metric, text: `${adapter.vendor} account=${adapter.account}${e.area ? ` area=${e.area}` : ''} domain=${domain} metric=${metric} interval=${e.intervalSec} ${isoSeconds(Number(ts))}` };
      };
      const tally = (metric: string) => {
        const k = `${adapter.vendor} ${adapter.account} ${metric}`;
        let t = tallies.get(k);
        if (!t) tallies.set(k, (t = { compared: 0, missing: 0, wrong: 0, extra: 0, provisional: 0 }));
        return t;
      };
      for (const [key, exp] of e.expected) {
        const w = where(key);
        const t = tally(w.metric);
        t.compared++;
        const got = actual.get(key);
        const same = got !== undefined && (got === exp.value || Math.abs(got - exp.value) <= 1e-9 * Math.max(1, Math.abs(exp.value)));
        if (same) continue;
        const shown = `vendor ${exp.unusable ? `unusable (${exp.unusable})` : exp.value}, InfluxDB ${got ?? 'none'}`;
        if (exp.provisional) {
          t.provisional++;
          lines.push(`provisional ${w.text}: ${shown} (the vendor may still revise it)`);
        } else if (got === undefined) {
          t.missing++;
          differs = true;
          lines.push(`missing ${w.text}: ${shown}`);
        } else {
          t.wrong++;
          differs = true;
          lines.push(`wrong ${w.text}: ${shown}`);
        }
      }
      for (const [key, v] of actual) {
        if (e.expected.has(key)) continue;
        const w = where(key);
        // A bucket the vendor was not asked for (a failed window) is not an extra.
        if (e.failed) continue;
        const t = tally(w.metric);
        t.extra++;
        differs = true;
        lines.push(`extra ${w.text}: InfluxDB ${v}, the vendor has no such bucket`);
      }
    }
  }
  for (const [k, t] of [...tallies].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`summary ${k}: ${t.compared} buckets compared, ${t.missing} missing, ${t.wrong} wrong, ${t.extra} extra, ${t.provisional} provisional`);
  }
  return { lines, failures, differs };
}
