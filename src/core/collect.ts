/**
 * One pass of one stream: plan windows from the checkpoints, call the vendor through the pacer
 * with retries, drop what InfluxDB already holds, write, and only then move the checkpoints.
 */
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { CollectorError, VENDOR_ERROR_POLICY, describeError } from './errors.js';
import { backoffDelay, type BackoffPolicy, type PacerRegistry } from './pacer.js';
import { planCollect, planRange, finalHorizon, type Window } from './window.js';
import { pointKey, type Point } from '../metrics/schema.js';
import type { Sink } from '../sink/sink.js';
import type { StateStore } from '../state/store.js';
import type {
  CallOutcome,
  CallSpec,
  Credentials,
  HttpRequest,
  HttpResponse,
  Sample,
  StreamSpec,
  VendorAdapter,
  VendorError,
} from '../vendors/types.js';

export interface HttpClient {
  send(req: HttpRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<HttpResponse>;
}

export interface CredentialProvider {
  get(vendor: string): Credentials;
  /** Reads `*_FILE` secrets again (rotated keys, refreshed STS tokens). */
  reload(vendor: string): void;
}

export interface CollectObserver {
  onCall?(vendor: string, api: string, outcome: 'ok' | 'throttled' | 'retried' | 'failed'): void;
  /** A pass planned this many windows (calls before retries). */
  onPlanned?(vendor: string, stream: string, windows: number): void;
  /** A wave of windows of a pass was fetched and written (or failed). */
  onWindowsDone?(vendor: string, stream: string, windows: number): void;
  onPass?(vendor: string, stream: string, r: PassSummary, durationMs: number): void;
}

export interface CollectDeps {
  readonly clock: Clock;
  readonly http: HttpClient;
  readonly sink: Sink;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly pacers: PacerRegistry;
  readonly credentials: CredentialProvider;
  readonly nonce: () => string;
  readonly random: () => number;
  readonly observer?: CollectObserver;
  /** Called once per problem that retrying cannot fix, as one plain line (stderr). */
  readonly report: (line: string) => void;
  /** Called between chunks of a pass: lets main keep the process inside its memory budget. */
  readonly relieveMemory?: () => void;
  /** Problems already reported (by vendor, API, domains, code): each is reported once per process. */
  readonly reported: Set<string>;
}

export interface CollectSettings {
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
  readonly retry: BackoffPolicy;
  readonly initialLookbackMs: number;
}

export type PassMode = { kind: 'collect' } | { kind: 'range'; fromSec: number; toSec: number };

export interface PassSummary {
  windows: number;
  calls: number;
  written: number;
  unchanged: number;
  rejected: number;
  retries: number;
  failedCalls: number;
  badBuckets: number;
  domains: number;
  /** Newest final bucket end over the stream's domains after the pass (epoch s), for lag metrics. */
  finalEndSec?: number;
}

export class PassFailed extends Error {
  constructor(
    message: string,
    readonly summary: PassSummary,
  ) {
    super(message);
  }
}

const tailKey = (s: Sample): string => `${s.metric}|${s.intervalSec}|${s.tsSec}`;
const tailTs = (key: string): number => Number(key.slice(key.lastIndexOf('|') + 1));

interface Job {
  domains: string[];
  windows: Window[];
}

/**
 * Runs one pass. Resolves with a summary when every planned window was fetched and written; throws
 * PassFailed (after committing what did succeed) when some window failed or the sink gave up.
 */
export async function runPass(
  deps: CollectDeps,
  settings: CollectSettings,
  adapter: VendorAdapter,
  stream: StreamSpec,
  domains: readonly string[],
  mode: PassMode,
  signal?: AbortSignal,
): Promise<PassSummary> {
  const log = deps.logger.child({ vendor: adapter.vendor, stream: stream.id });
  const nowSec = Math.floor(deps.clock.now() / 1000);
  const state = await deps.store.load(adapter.vendor, adapter.accountKey, stream.id);
  const horizon = finalHorizon(nowSec, stream.rules);
  const summary: PassSummary = { windows: 0, calls: 0, written: 0, unchanged: 0, rejected: 0, retries: 0, failedCalls: 0, badBuckets: 0, domains: domains.length };

  // Plan per domain; domains with the same windows share calls, as many per call as the API allows.
  const byPlan = new Map<string, Job>();
  const plannedFrom = new Map<string, number>(); // where each domain's windows start
  const windowCount = new Map<string, number>();
  // The same note for many domains is one line.
  const notes = new Map<string, string[]>();
  const note = (text: string, d: string) => notes.set(text, [...(notes.get(text) ?? []), d]);
  for (const d of domains) {
    let windows: Window[];
    if (mode.kind === 'collect') {
      const plan = planCollect({
        nowSec,
        checkpointSec: state.get(d)?.finalEndSec,
        initialLookbackSec: Math.floor(settings.initialLookbackMs / 1000),
        rules: stream.rules,
      });
      if (plan.lost) note(`buckets from ${iso(plan.lost.fromSec)} to ${iso(plan.lost.toSec)} are older than the vendor keeps; they cannot be collected any more`, d);
      windows = plan.windows;
    } else {
      const plan = planRange({ nowSec, fromSec: mode.fromSec, toSec: mode.toSec, rules: stream.rules });
      if (plan.unserved) note(`${iso(plan.unserved.fromSec)} to ${iso(plan.unserved.toSec)} is older than the vendor serves for this API; skipped`, d);
      windows = plan.windows;
    }
    if (windows[0]) plannedFrom.set(d, windows[0].fromSec);
    windowCount.set(d, windows.length);
    const key = windows.map((w) => `${w.fromSec}-${w.toSec}-${w.granularitySec}`).join(',');
    const job = byPlan.get(key) ?? { domains: [], windows };
    job.domains.push(d);
    byPlan.set(key, job);
  }

  for (const [text, ds] of notes) deps.report(`${adapter.vendor} ${stream.api} ${ds.length <= 3 ? ds.join(',') : `${ds.length} domains`}: ${text}`);

  const batches: { domains: string[]; windows: Window[] }[] = [];
  for (const job of byPlan.values()) {
    for (let i = 0; i < job.domains.length; i += stream.maxDomainsPerCall) {
      batches.push({ domains: job.domains.slice(i, i + stream.maxDomainsPerCall), windows: job.windows });
    }
  }

  deps.observer?.onPlanned?.(adapter.vendor, stream.id, batches.reduce((n, b) => n + b.windows.length, 0));
  const limit = pLimit(settings.concurrency);
  const failed = new Set<string>();
  const progress = new Map<string, number>(); // domain -> end of its windows fetched and written so far
  let sinkError: unknown;
  const waves = Math.max(0, ...batches.map((b) => b.windows.length));

  // Calls of a wave go in chunks: each chunk is fetched, written and committed before the next, so
  // memory holds one chunk's answers however many domains there are.
  const chunkSize = Math.max(32, settings.concurrency * 4);
  for (let wave = 0; wave < waves && !sinkError; wave++) {
    const calls: CallSpec[] = [];
    for (const b of batches) {
      const w = b.windows[wave];
      if (!w) continue;
      const live = b.domains.filter((d) => !failed.has(d));
      if (live.length) calls.push({ stream, domains: live, window: w });
    }
    for (let c = 0; c < calls.length && !sinkError; c += chunkSize) {
      if (signal?.aborted) break;
      const chunk = calls.slice(c, c + chunkSize);
      summary.windows += chunk.length;
      const outcomes = await Promise.all(chunk.map((call) => limit(() => callWithRetry(deps, settings, adapter, call, summary, log, signal))));

      const fresh = new Map<string, Point>();
      const fetchedOk: CallSpec[] = [];
      outcomes.forEach((o, i) => {
        const call = chunk[i]!;
        if (!o.ok) {
          summary.failedCalls++;
          for (const d of call.domains) failed.add(d);
          return;
        }
        fetchedOk.push(call);
        summary.badBuckets += o.badBuckets.length;
        for (const b of o.badBuckets) reportOnce(deps, log, `${adapter.vendor} ${stream.api} ${call.domains.join(',')}: ${b}`);
        const wanted = new Set(call.domains);
        for (const smp of o.samples) {
          if (!wanted.has(smp.domain) || smp.tsSec < call.window.fromSec || smp.tsSec >= call.window.toSec) continue;
          // Duplicates inside one batch collapse to the last one.
          const p: Point = { ...smp, vendor: adapter.vendor };
          fresh.set(pointKey(p), p);
        }
      });

      const toWrite: Point[] = [];
      for (const p of fresh.values()) {
        const prev = state.get(p.domain)?.tail.get(tailKey(p));
        if (prev !== undefined && prev === p.value) summary.unchanged++;
        else toWrite.push(p);
      }
      try {
        const r = await deps.sink.write(toWrite, signal);
        summary.written += r.written;
        summary.rejected += r.rejected;
      } catch (err) {
        sinkError = err;
        break;
      }

      // Acknowledged: now the checkpoints may move.
      const values = new Map<string, Point[]>();
      for (const p of fresh.values()) {
        const list = values.get(p.domain);
        if (list) list.push(p);
        else values.set(p.domain, [p]);
      }
      for (const call of fetchedOk) {
        for (const d of call.domains) {
          progress.set(d, call.window.toSec);
          const prev = state.get(d);
          let finalEnd = prev?.finalEndSec;
          if (mode.kind === 'collect') {
            // Never behind where this pass started: what lies before it was skipped on purpose (initial
            // look-back) or is no longer served; what lies after it and is not final stays in the tail.
            finalEnd = Math.max(prev?.finalEndSec ?? -Infinity, plannedFrom.get(d)!, Math.min(call.window.toSec, horizon));
          } else if (windowCount.get(d) === wave + 1 && (prev === undefined || mode.fromSec <= prev.finalEndSec)) {
            // backfill: with no checkpoint, or a range that starts at or before it, move it to the
            // range's end (never backwards), short of the buckets the vendor may still revise.
            finalEnd = Math.max(prev?.finalEndSec ?? -Infinity, Math.min(alignedEnd(call.window, mode.toSec), horizon));
          }
          const keep = Math.max(finalEnd ?? -Infinity, horizon);
          const tail = new Map<string, number>();
          for (const [k, v] of prev?.tail ?? []) if (tailTs(k) >= keep) tail.set(k, v);
          for (const p of values.get(d) ?? []) if (p.tsSec >= keep) tail.set(tailKey(p), p.value);
          if (finalEnd !== undefined && Number.isFinite(finalEnd)) state.set(d, { finalEndSec: finalEnd, tail });
          else if (tail.size && prev) state.set(d, { ...prev, tail });
        }
      }
      if (fetchedOk.length) await deps.store.save(adapter.vendor, adapter.accountKey, stream.id, state);
      deps.observer?.onWindowsDone?.(adapter.vendor, stream.id, chunk.length);
      deps.relieveMemory?.();
    }
  }

  let newest: number | undefined;
  for (const d of domains) {
    const s = state.get(d);
    if (s && (newest === undefined || s.finalEndSec > newest)) newest = s.finalEndSec;
  }
  if (newest !== undefined) summary.finalEndSec = newest;

  if (sinkError) throw new PassFailed(describeError(sinkError), summary);
  if (signal?.aborted && progress.size < domains.length && waves > 0) throw new PassFailed('stopped before the pass finished', summary);
  if (failed.size) throw new PassFailed(`${failed.size} of ${domains.length} domains had a window that failed`, summary);
  return summary;
}

function alignedEnd(w: Window, toSec: number): number {
  return Math.min(w.toSec, Math.ceil(toSec / w.granularitySec) * w.granularitySec);
}

function iso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** Reports a problem the first time it is seen (by key: vendor, API, domains, code), then only logs it at debug. */
function reportOnce(deps: CollectDeps, log: Logger, line: string, key = line): void {
  const seen = deps.reported;
  if (seen.has(key)) {
    log.debug(line);
    return;
  }
  seen.add(key);
  log.error(line);
  deps.report(line);
}

/** One vendor call: paced, signed afresh on every attempt (signatures embed time), retried by kind. */
export async function callWithRetry(
  deps: CollectDeps,
  settings: CollectSettings,
  adapter: VendorAdapter,
  call: CallSpec,
  summary: PassSummary,
  log: Logger,
  signal?: AbortSignal,
): Promise<CallOutcome> {
  const outcome = await send(deps, settings, adapter, call.stream.api, call.stream.rateKey, summary, log, signal, (ctx) => adapter.buildCall(call, ctx), (res) => adapter.parseCall(call, res));
  if (!outcome.ok) {
    const e = outcome.error;
    reportOnce(
      deps,
      log,
      vendorErrorLine(`${adapter.vendor} ${call.stream.api} ${call.domains.join(',')}`, e),
      `${adapter.vendor}|${call.stream.api}|${call.domains.join(',')}|${e.vendorCode}`,
    );
  }
  return outcome;
}

/** `aliyun DescribeDomainSrcTrafficData a.example.com: SignatureDoesNotMatch … (RequestId …); check the credentials` */
function vendorErrorLine(where: string, e: VendorError): string {
  return `${where}: ${e.vendorCode}${e.message ? ` ${e.message}` : ''}${e.requestId ? ` (RequestId ${e.requestId})` : ''}${VENDOR_ERROR_POLICY[e.kind].hint}`;
}

export async function send<T extends { ok: true } | { ok: false; error: VendorError }>(
  deps: CollectDeps,
  settings: CollectSettings,
  adapter: VendorAdapter,
  api: string,
  rateKey: string,
  summary: { retries: number; calls: number },
  log: Logger,
  signal: AbortSignal | undefined,
  build: (ctx: { nowMs: number; nonce: string; credentials: Credentials }) => HttpRequest,
  parse: (res: HttpResponse) => T,
): Promise<T | { ok: false; error: VendorError }> {
  const pacer = deps.pacers.get(`${adapter.vendor}:${adapter.accountKey}:${rateKey}`, adapter.rateLimit(rateKey));
  let reloaded = false;
  let rebuilt = false;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return { ok: false, error: { kind: 'unavailable', vendorCode: 'Aborted', message: 'stopped' } };
    try {
      await pacer.acquire(signal);
    } catch {
      return { ok: false, error: { kind: 'unavailable', vendorCode: 'Aborted', message: 'stopped' } };
    }
    const req = build({ nowMs: deps.clock.now(), nonce: deps.nonce(), credentials: deps.credentials.get(adapter.vendor) });
    summary.calls++;
    let out: T | { ok: false; error: VendorError };
    try {
      const res = await deps.http.send(req, { timeoutMs: settings.requestTimeoutMs, ...(signal ? { signal } : {}) });
      out = parse(res);
    } catch (err) {
      out = { ok: false, error: { kind: 'unavailable', vendorCode: networkCode(err), message: describeError(err) } };
    }
    if (out.ok) {
      deps.observer?.onCall?.(adapter.vendor, api, 'ok');
      return out;
    }
    const e = out.error;
    const policy = VENDOR_ERROR_POLICY[e.kind];
    let retry = false;
    if (policy.retry === 'backoff') retry = attempt + 1 < settings.retry.maxAttempts && !signal?.aborted;
    else if (policy.retry === 'reload-credentials' && !reloaded) {
      deps.credentials.reload(adapter.vendor);
      reloaded = retry = true;
    } else if (policy.retry === 'rebuild' && !rebuilt) rebuilt = retry = true;
    deps.observer?.onCall?.(adapter.vendor, api, e.kind === 'throttled' ? 'throttled' : retry ? 'retried' : 'failed');
    if (!retry) return out;
    summary.retries++;
    const delay = policy.retry === 'backoff' ? backoffDelay(settings.retry, attempt, deps.random, e.retryAfterMs) : 0;
    if (e.kind === 'throttled') pacer.pause(delay);
    log.debug({ code: policy.code, vendorCode: e.vendorCode, attempt, delayMs: Math.round(delay) }, `${api}: retrying after ${e.vendorCode}`);
    if (delay > 0) {
      try {
        await deps.clock.sleep(delay, signal);
      } catch {
        return out;
      }
    }
  }
}

function networkCode(err: unknown): string {
  const e = err as { code?: string };
  if (e?.code === 'ECONNABORTED' || e?.code === 'ETIMEDOUT') return 'Timeout';
  if (err instanceof CollectorError) return err.code;
  return e?.code ?? 'NetworkError';
}

/** Domains of a vendor account: the configured list, or all of them through the paged discovery API. */
export async function discoverDomains(deps: CollectDeps, settings: CollectSettings, adapter: VendorAdapter, signal?: AbortSignal): Promise<string[]> {
  if (adapter.configuredDomains.length) return [...adapter.configuredDomains];
  const log = deps.logger.child({ vendor: adapter.vendor, component: 'discovery' });
  const found = new Set<string>();
  const counter = { retries: 0, calls: 0 };
  let cursor: number | undefined = 0;
  for (let pages = 0; cursor !== undefined && pages < 10_000; pages++) {
    const c: number = cursor;
    const out = await send(deps, settings, adapter, adapter.discovery.api, adapter.discovery.rateKey, counter, log, signal, (ctx) => adapter.discovery.buildPage(c, ctx), (res) => adapter.discovery.parsePage(c, res));
    if (!out.ok) {
      const e = out.error;
      throw new CollectorError(VENDOR_ERROR_POLICY[e.kind].code, vendorErrorLine(`${adapter.vendor} ${adapter.discovery.api}`, e));
    }
    for (const d of out.domains) found.add(d);
    cursor = out.next;
  }
  return [...found].sort();
}
