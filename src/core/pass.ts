/**
 * One pass of one stream of one account: plan, fetch, check, dedupe, write, and only then move the
 * checkpoints. The pieces are pure (plan.ts, validate.ts, checkpoint.ts); this only orchestrates.
 * Fetching the next chunk of calls overlaps writing the previous one; commits follow acks in order.
 */
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { VENDOR_ERROR_POLICY, describeError, isKind, type VendorError } from '../kernel/errors.js';
import type { Sample } from '../kernel/schema.js';
import { NO_ITEMS, Tail, TailBuilder, TailLayouts } from '../kernel/tail.js';
import { isoSeconds, type Window } from '../kernel/time.js';
import type { CallSpec, StreamSpec, VendorAdapter } from '../kernel/vendor.js';
import type { CheckpointStore, DomainState, EncodedPoints, GapEntry, PassSummary, PointOwner, RecoverySource, Sink, StreamRef, StreamState } from '../ports.js';
import type { LineBudget } from './budget.js';
import { fetchChecked, vendorErrorLine, type CallDeps, type CallSettings } from './call.js';
import { newProgress, nextDomainState, type DomainProgress } from './checkpoint.js';
import { groupJobs, planDomain, windowsKey, type DomainPlan, type Job, type PassMode } from './plan.js';
import { tailKey } from './validate.js';
import { finalHorizon } from './window.js';

export type { PassMode };

export interface PassDeps extends CallDeps {
  readonly sink: Sink;
  readonly store: CheckpointStore;
  readonly recovery?: RecoverySource;
  /** One line on stderr, for the user. */
  readonly report: (line: string) => void;
  /** Lines already reported by this process: each is reported once, then only logged. */
  readonly reported: Set<string>;
  /** Encoded lines every pass of the process holds until written (main builds one; none: unbounded). */
  readonly lines?: LineBudget;
}

export interface PassSettings extends CallSettings {
  readonly concurrency: number;
  readonly initialLookbackMs: number;
  readonly giveUpAfterMs: number;
  readonly recoverFromInflux: boolean;
  /** Also for domains with a checkpoint (several shards: a domain may have moved away and back). */
  readonly recoverAlways?: boolean;
  /** Domains planned and fetched together (default SLAB_DOMAINS). */
  readonly slabDomains?: number;
  /** Lines a chunk of point-heavy calls brings, about (default CHUNK_LINES). */
  readonly chunkLines?: number;
}

export class PassFailed extends Error {
  constructor(
    message: string,
    readonly summary: PassSummary,
    /** Already reported line by line (vendor failures, unusable buckets): nothing more to print. */
    readonly reported: boolean,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * What a call leaves until its points are acknowledged. Memory (issue 12): the samples are encoded
 * and dropped as the answer arrives, so what waits for the write is one string per call and the
 * provisional values, not an object per point that would live across the I/O and be promoted.
 */
interface CallResult {
  readonly call: CallSpec;
  readonly refetch: boolean;
  /** Usable points whose value differs from the one written before. */
  readonly encoded?: EncodedPoints;
  /** Usable points equal to the value written before (not written again). */
  readonly unchanged?: number;
  /** Per domain, the provisional values fetched (written or unchanged): the tail once acknowledged. */
  readonly provisional?: Map<string, TailBuilder>;
  readonly unusable?: { sample: Sample; reason: string }[];
  readonly error?: VendorError;
}

interface LiveDomain {
  readonly plan: DomainPlan;
  /** The checkpoint at the start of the pass: every transition is made from it. */
  readonly prev: DomainState | undefined;
  /** Made on the first result for the domain. */
  progress?: DomainProgress;
  /** Calls planned for the domain whose results are not committed yet. */
  left: number;
}

/** Lines a chunk of calls brings, about, once its calls are known to be point-heavy. */
export const CHUNK_LINES = 5000;
/** Lines every pass of the process holds at once, about (budget.ts): eight chunks of point-heavy calls. */
export const LINES_HELD = 8 * CHUNK_LINES;

/** Domains planned and fetched together by default: ~20 MB of bookkeeping for 20 streams at once. */
export const SLAB_DOMAINS = 1000;

/**
 * Calls never mix slabs, so a slab is a whole number of calls' worth of domains: slabs cost no extra
 * call when the domains share their windows.
 */
export function slabSize(domains: number, maxDomainsPerCall: number): number {
  return Math.max(1, Math.ceil(domains / maxDomainsPerCall)) * maxDomainsPerCall;
}

/** The value written before for a bucket of the provisional tail. */
function tailValue(tail: ReadonlyMap<string, number>, s: Sample): number | undefined {
  if (tail.size === 0) return undefined;
  return tail instanceof Tail ? tail.valueAt(s.metric, s.intervalSec, s.tsSec) : tail.get(tailKey(s.metric, s.intervalSec, s.tsSec));
}

/**
 * Runs one pass. Resolves with a summary when every planned window was written; throws PassFailed
 * (after committing what did succeed) when a window failed, a bucket was unusable or refused, or the
 * sink gave up.
 */
export async function runPass(
  deps: PassDeps,
  settings: PassSettings,
  adapter: VendorAdapter,
  stream: StreamSpec,
  domains: readonly string[],
  mode: PassMode,
  /** Stop: no new calls; calls in flight are abandoned, their windows wait for the next pass. */
  signal?: AbortSignal,
  /** Aborts writes already sent (the end of the stop grace period); without it they are awaited. */
  writeSignal?: AbortSignal,
): Promise<PassSummary> {
  const ref: StreamRef = { module: adapter.module, account: adapter.account, stream: stream.id };
  const log = deps.logger.child({ vendor: adapter.module, account: adapter.account, stream: stream.id });
  const nowSec = Math.floor(deps.clock.now() / 1000);
  await deps.store.prepare(ref);
  /** Checkpoints of the domains of the slabs under way, read a slab at a time; a finished domain's leaves. */
  const state: StreamState = new Map();
  const horizon = finalHorizon(nowSec, stream.rules);
  const summary: PassSummary = { windows: 0, calls: 0, written: 0, unchanged: 0, refused: 0, retries: 0, failedCalls: 0, unusable: 0, owed: 0, gaps: 0, domains: domains.length };
  const g0 = stream.rules.tiers[0].granularitySec;

  // The domains go in slabs (issue 12: memory follows the slab, not the account): a slab is planned,
  // asked about in InfluxDB and fetched; a domain is dropped once its last call is committed.
  const slab = slabSize(settings.slabDomains ?? SLAB_DOMAINS, stream.maxDomainsPerCall);
  const live = new Map<string, LiveDomain>();
  /** Domains InfluxDB could not place (it was away): they wait for a later pass. */
  let waiting = 0;
  /** Per text, how many domains and the first three of them. */
  const notes = new Map<string, { count: number; first: string[] }>();
  const recoverFrom = mode.kind === 'collect' && settings.recoverFromInflux;

  const planSlab = async (slice: readonly string[]): Promise<Job[]> => {
    for (const [d, st] of await deps.store.loadSome(ref, new Set(slice))) state.set(d, st);
    const fresh = slice.filter((d) => !state.has(d));
    // Sharded, a domain may come back to this replica after another wrote it: its checkpoint here is
    // stale, so InfluxDB is asked about every domain, and the later of the two wins.
    const recovered = recoverFrom ? await recover(deps, adapter, stream, settings.recoverAlways ? [...slice] : fresh, log) : new Map<string, number>();
    if (recovered === 'unavailable') {
      // InfluxDB could not say where these domains' data ends: starting them anywhere could leave a gap.
      waiting += fresh.length;
      const wait = new Set(fresh);
      slice = slice.filter((d) => !wait.has(d));
    } else {
      for (const [d, newest] of recovered) {
        const st = state.get(d);
        const from = Math.min(newest + g0, horizon);
        if (st && from > st.finalEndSec) state.set(d, { ...st, finalEndSec: from, tail: Tail.EMPTY });
      }
    }
    // Domains with the same checkpoint plan the same windows: one array of them, not one per domain.
    const sameWindows = new Map<string, readonly Window[]>();
    const shared = (ws: readonly Window[]): readonly Window[] => {
      if (!ws.length) return NO_ITEMS as readonly Window[];
      const key = windowsKey(ws);
      return sameWindows.get(key) ?? (sameWindows.set(key, ws), ws);
    };
    const plans: DomainPlan[] = [];
    for (const d of slice) {
      const r = recovered === 'unavailable' ? undefined : recovered.get(d);
      const prev = state.get(d);
      const p = planDomain({ domain: d, nowSec, mode, state: prev, ...(r !== undefined ? { recoveredFromSec: Math.min(r + g0, horizon) } : {}), initialLookbackSec: Math.floor(settings.initialLookbackMs / 1000), rules: stream.rules });
      const plan: DomainPlan = { ...p, windows: shared(p.windows), refetch: shared(p.refetch) };
      plans.push(plan);
      live.set(d, { plan, prev, left: plan.windows.length + plan.refetch.length });
      if (p.lost) {
        const text = mode.kind === 'collect' ? `buckets from ${isoSeconds(p.lost.fromSec)} to ${isoSeconds(p.lost.toSec)} are older than the vendor keeps; they cannot be collected any more` : `${isoSeconds(p.lost.fromSec)} to ${isoSeconds(p.lost.toSec)} is older than the vendor serves for this API; skipped`;
        const n = notes.get(text) ?? { count: 0, first: [] };
        n.count++;
        if (n.first.length < 3) n.first.push(d);
        notes.set(text, n);
      }
    }
    const jobs = groupJobs(plans, stream.maxDomainsPerCall);
    deps.telemetry?.onPlanned?.(adapter.module, stream.id, jobs.reduce((n, j) => n + j.windows.length, 0));
    return jobs;
  };

  const limit = pLimit(settings.concurrency);
  const blockedDomains = new Set<string>();
  let accountFailure: string | undefined;
  let sinkError: unknown;
  let problems = 0;
  /** A domain dropped before all its windows were done (stopped or failed part-way). */
  let unfinished = false;

  const progressOf = (x: LiveDomain): DomainProgress => (x.progress ??= newProgress());
  const layouts = new TailLayouts();
  const transition = (d: string, x: LiveDomain, giveUp: boolean) => {
    const t = nextDomainState({ prev: x.prev, plan: x.plan, progress: progressOf(x), mode, nowSec, horizonSec: horizon, rules: stream.rules, layouts, ...(giveUp ? { giveUpAfterSec: settings.giveUpAfterMs / 1000 } : {}) });
    if (t.state) state.set(d, t.state);
    return t;
  };
  let newest: number | undefined;
  const tally = (s: DomainState | undefined) => {
    if (!s) return;
    summary.owed += s.owed.size + s.owedWindows.length;
    if (newest === undefined || s.finalEndSec > newest) newest = s.finalEndSec;
  };
  /** The last transition of a domain in this pass: owed buckets past their time become gap entries. */
  const finish = (d: string, x: LiveDomain, gaps: GapEntry[]) => {
    const t = transition(d, x, true);
    if (progressOf(x).doneInOrder < x.plan.windows.length) unfinished = true;
    live.delete(d);
    // Its state is committed with this chunk and no longer needed here: the pass holds the states of
    // the domains still to do, not all of them (issue 12).
    tally(state.get(d));
    state.delete(d);
    for (const g of t.gaps) {
      gaps.push({ module: adapter.module, vendor: adapter.vendor, account: adapter.account, stream: stream.id, domain: d, metric: g.metric, intervalSec: g.intervalSec, fromSec: g.fromSec, toSec: g.toSec, reason: g.reason, recordedAtSec: nowSec });
      deps.report(`${adapter.module} ${stream.api} ${d}: gap ${g.metric} ${isoSeconds(g.fromSec)} to ${isoSeconds(g.toSec)} recorded in the gap ledger after collect.giveUpAfterMs: ${g.reason} (account ${adapter.account})`);
    }
    return t;
  };
  /** The gap ledger first: a checkpoint never moves past a bucket that is neither written nor recorded. */
  const commit = async (changed: Map<string, DomainState>, gaps: GapEntry[]) => {
    if (gaps.length) {
      await deps.store.recordGaps(gaps);
      summary.gaps += gaps.length;
    }
    if (changed.size) await deps.store.commit(ref, changed);
  };

  // Calls go wave by wave (the n-th window of every job), in chunks: a chunk is fetched while the
  // previous one is written and committed, so memory holds two chunks however many domains there are.
  const firstChunk = Math.max(32, settings.concurrency * 4);
  let chunkSize = firstChunk;
  /**
   * Lines the last chunk brought: the estimate of the next one's for the process's budget. A pass's
   * first chunk counts as a full one until its answers say: counted as 0, the first chunks of
   * twenty streams starting together all went past the budget at once.
   */
  let lastLines = settings.chunkLines ?? CHUNK_LINES;
  let writing: Promise<void> = Promise.resolve();

  // One copy of each metric name for the tails of every domain (adapters may build a string per sample).
  const metricNames = new Map<string, string>();
  const metricName = (m: string): string => metricNames.get(m) ?? (metricNames.set(m, m), m);
  const owner: PointOwner = stream.area ? { vendor: adapter.vendor, account: adapter.account, area: stream.area } : { vendor: adapter.vendor, account: adapter.account };

  const writeAndCommit = async (results: CallResult[]): Promise<void> => {
    const parts: EncodedPoints[] = [];
    for (const r of results) if (r.encoded) parts.push(r.encoded);
    const res = await deps.sink.write(parts, writeSignal);
    summary.written += res.written;
    for (const r of results) summary.unchanged += r.unchanged ?? 0;
    summary.refused += res.refused.length;
    const refused = new Map<string, string>();
    for (const rp of res.refused) {
      const k = tailKey(rp.point.metric, rp.point.intervalSec, rp.point.tsSec);
      refused.set(`${rp.point.domain}|${k}`, rp.reason);
      const x = live.get(rp.point.domain);
      if (x) progressOf(x).owed.set(k, `refused by InfluxDB: ${rp.reason}`);
      reportOnce(deps, log, `${adapter.module} ${stream.api} ${rp.point.domain}: InfluxDB refused ${rp.point.metric} at ${isoSeconds(rp.point.tsSec)}: ${rp.reason}; fetched again later (account ${adapter.account})`);
    }
    if (res.refused.length) problems++;
    // Acknowledged: now the checkpoints may move.
    const touched = new Map<string, LiveDomain>();
    for (const r of results) {
      for (const d of r.call.domains) {
        const x = live.get(d)!;
        const pr = progressOf(x);
        x.left--;
        touched.set(d, x);
        if (r.error) {
          const scope = VENDOR_ERROR_POLICY[r.error.kind].scope;
          pr.lastError = vendorErrorLine(adapter.module, stream.api, adapter.account, [d], r.error);
          if (scope === 'window') {
            pr.failed.push({ window: r.call.window, reason: `${r.error.vendorCode} ${r.error.message}`.trim() });
            if (!r.refetch && !pr.blocked) pr.doneInOrder++;
          } else if (!r.refetch) pr.blocked = true;
          continue;
        }
        pr.fetched.push(r.call.window);
        if (!r.refetch && !pr.blocked) pr.doneInOrder++;
      }
      for (const u of r.unusable ?? []) {
        progressOf(live.get(u.sample.domain)!).owed.set(tailKey(u.sample.metric, u.sample.intervalSec, u.sample.tsSec), `unusable value ${u.reason}`);
      }
      // Only the provisional tail is remembered: a bucket before the horizon is final once written.
      // A refused point is owed instead: its value was not written, so it must not look unchanged later.
      for (const [d, b] of r.provisional ?? []) {
        const written = progressOf(live.get(d)!).written;
        if (!refused.size) written.addAll(b);
        else b.each((m, g, ts, v) => refused.has(`${d}|${tailKey(m, g, ts)}`) || written.set(m, g, ts, v));
      }
    }
    const changed = new Map<string, DomainState>();
    const gaps: GapEntry[] = [];
    for (const [d, x] of touched) {
      const t = x.left <= 0 ? finish(d, x, gaps) : transition(d, x, false);
      if (t.state) changed.set(d, t.state);
    }
    await commit(changed, gaps);
    deps.telemetry?.onWindowsDone?.(adapter.module, stream.id, results.length);
  };

  const runJobs = async (jobs: Job[]): Promise<void> => {
    const waves = jobs.reduce((n, j) => Math.max(n, j.windows.length), 0);
    for (let wave = 0; wave < waves && !sinkError && !accountFailure; wave++) {
      // Each chunk's calls are made when it is due (not the whole wave at once), without the domains
      // blocked so far.
      for (let j = 0; j < jobs.length && !sinkError && !accountFailure; ) {
        if (signal?.aborted) break;
        const chunk: { call: CallSpec; refetch: boolean }[] = [];
        for (; j < jobs.length && chunk.length < chunkSize; j++) {
          const job = jobs[j]!;
          const w = job.windows[wave];
          if (!w) continue;
          const open = blockedDomains.size && job.domains.some((d) => blockedDomains.has(d)) ? job.domains.filter((d) => !blockedDomains.has(d)) : job.domains;
          if (open.length) chunk.push({ call: { stream, domains: open, window: w, finalBeforeSec: horizon }, refetch: job.refetch });
        }
        if (!chunk.length) break;
        const estimate = lastLines;
        await deps.lines?.take(estimate, signal);
        // Until its write is under way the chunk holds its estimate; a break or a throw gives it back.
        let handed = false;
        try {
          summary.windows += chunk.length;
          const results = await Promise.all(chunk.map((x) => limit(() => fetchOne(x.call, x.refetch))));
          // Stopping: what was fetched completely is still written; calls cut short are abandoned quietly.
          await writing;
          if (sinkError) break;
          const kept = results.filter((r) => r.error?.vendorCode !== 'Stopped');
          // Point-heavy answers (a day of 1-minute data in one call) make smaller chunks: the two
          // chunks a pass holds stay near CHUNK_LINES lines, never fewer calls than run at once.
          let lines = 0;
          for (const r of kept) lines += r.encoded?.count ?? 0;
          if (lines) chunkSize = Math.min(firstChunk, Math.max(settings.concurrency, Math.ceil(((settings.chunkLines ?? CHUNK_LINES) * kept.length) / lines)));
          deps.lines?.adjust(lines - estimate);
          lastLines = lines;
          handed = true;
          writing = writeAndCommit(kept)
            .catch((err: unknown) => {
              sinkError = err;
            })
            .finally(() => deps.lines?.release(lines));
        } finally {
          if (!handed) deps.lines?.release(estimate);
        }
      }
    }
  };

  let next = 0;
  for (; next < domains.length && !sinkError && !accountFailure && !signal?.aborted; next += slab) await runJobs(await planSlab(domains.slice(next, next + slab)));
  // Stopped (or failed) before every slab was planned: those domains keep their checkpoint.
  if (next < domains.length) unfinished = true;
  await writing;
  for (const [text, n] of notes) reportOnce(deps, log, `${adapter.module} ${stream.api} ${n.count <= 3 ? n.first.join(',') : `${n.count} domains`}: ${text} (account ${adapter.account})`);

  async function fetchOne(call: CallSpec, refetch: boolean): Promise<CallResult> {
    if (accountFailure) return { call, refetch, error: { kind: 'unavailable', vendorCode: 'Stopped', message: 'stopped' } };
    const out = await fetchChecked(deps, settings, adapter, call, summary, signal);
    if (!out.ok) {
      if (out.error.vendorCode === 'Stopped') return { call, refetch, error: out.error };
      const scope = VENDOR_ERROR_POLICY[out.error.kind].scope;
      summary.failedCalls++;
      problems++;
      // A refused key or clock is the account's problem: one line per account, not per stream and domain.
      const key = scope === 'account' ? `${adapter.module}|${adapter.account}|${out.error.kind}|${out.error.vendorCode}` : `${adapter.module}|${adapter.account}|${stream.api}|${call.domains.join(',')}|${out.error.vendorCode}`;
      reportOnce(deps, log, vendorErrorLine(adapter.module, stream.api, adapter.account, call.domains, out.error), key);
      if (scope === 'account') accountFailure = out.error.vendorCode;
      if (scope !== 'window') for (const d of call.domains) blockedDomains.add(d);
      return { call, refetch, error: out.error };
    }
    const { usable, unusable } = out.checked;
    // Against the values written before: a bucket is fetched by one call per pass (a domain's
    // windows are disjoint), so the tail read here is the one its write will update.
    const toWrite: Sample[] = [];
    let unchanged = 0;
    let provisional: Map<string, TailBuilder> | undefined;
    let lastDomain: string | undefined;
    let tail: ReadonlyMap<string, number> = Tail.EMPTY;
    let builder: TailBuilder | undefined;
    for (const s of usable) {
      if (s.domain !== lastDomain) {
        lastDomain = s.domain;
        tail = state.get(s.domain)?.tail ?? Tail.EMPTY;
        builder = provisional?.get(s.domain);
      }
      if (tailValue(tail, s) === s.value) unchanged++;
      else toWrite.push(s);
      if (s.tsSec >= horizon) {
        if (!builder) (provisional ??= new Map()).set(s.domain, (builder = new TailBuilder()));
        builder.set(metricName(s.metric), s.intervalSec, s.tsSec, s.value);
      }
    }
    const encoded = deps.sink.encode(owner, toWrite);
    if (unusable.length) {
      summary.unusable += unusable.length;
      problems++;
      for (const u of unusable) {
        reportOnce(deps, log, `${adapter.module} ${stream.api} ${u.sample.domain}: unusable value at ${isoSeconds(u.sample.tsSec)} ${u.sample.metric}: ${u.reason}; not written, fetched again later (account ${adapter.account})`);
      }
    }
    return { call, refetch, encoded, unchanged, ...(provisional ? { provisional } : {}), unusable };
  }

  // Domains still here were kept from some of their windows (a stop, a sink or account failure, a
  // domain refused): they keep their checkpoint. Their last transition, unless the sink failed.
  if (!sinkError && live.size) {
    const changed = new Map<string, DomainState>();
    const gaps: GapEntry[] = [];
    for (const [d, x] of live) {
      const pr = progressOf(x);
      if (pr.doneInOrder < x.plan.windows.length) pr.blocked = true;
      const t = finish(d, x, gaps);
      // Without gaps the state is the one the last commit wrote.
      if (t.gaps.length && t.state) changed.set(d, t.state);
    }
    await commit(changed, gaps);
  } else if (live.size) unfinished = true;

  // Domains not finished (a stop, a sink failure, InfluxDB away): their state as it stands.
  for (const d of domains) tally(state.get(d));
  if (newest !== undefined) summary.finalEndSec = newest;

  if (sinkError) throw new PassFailed(describeError(sinkError), summary, false, sinkError);
  if (signal?.aborted && unfinished) throw new PassFailed('stopped before the pass finished', summary, true);
  if (problems || waiting) throw new PassFailed(`${adapter.module} ${stream.api}: the pass had failures (each reported above)`, summary, true);
  return summary;
}

/**
 * The newest bucket InfluxDB holds for domains without a checkpoint. InfluxDB away or failing: those
 * domains wait for a later pass (starting them from the look-back could leave a gap). InfluxDB that
 * cannot answer the query (a write-only token, no InfluxQL endpoint): they start from the look-back.
 */
async function recover(deps: PassDeps, adapter: VendorAdapter, stream: StreamSpec, domains: string[], log: Logger): Promise<Map<string, number> | 'unavailable'> {
  if (!domains.length || !deps.recovery) return new Map();
  try {
    return await deps.recovery.newestBuckets({ vendor: adapter.vendor, account: adapter.account, ...(stream.area ? { area: stream.area } : {}), metrics: stream.metrics, intervalSec: stream.rules.tiers[0].granularitySec, domains });
  } catch (err) {
    if (isKind(err, 'sink_auth', 'sink_not_found')) {
      reportOnce(deps, log, `${describeError(err)}; domains without a checkpoint start collect.initialLookbackMs back (give the collector read access to resume them from InfluxDB, or set state.recoverFromInflux to false)`, 'recovery-unreadable');
      return new Map();
    }
    if (isKind(err, 'sink_unreachable', 'sink_timeout', 'sink_server')) {
      deps.telemetry?.onSinkState?.(false, describeError(err));
      reportOnce(deps, log, describeError(err));
      return 'unavailable';
    }
    throw err;
  }
}

/** Reports a problem the first time it is seen (by key), then only logs it at debug. */
export function reportOnce(deps: Pick<PassDeps, 'reported' | 'report'>, log: Logger, line: string, key = line): void {
  if (deps.reported.has(key)) {
    log.debug(line);
    return;
  }
  deps.reported.add(key);
  log.error(line);
  deps.report(line);
}

