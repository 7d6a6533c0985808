/**
 * Drives passes: `once` and `backfill` run every stream one time; `run` triggers passes on each
 * stream's cadence. A cron tick is only a trigger: what a pass fetches comes from the checkpoints,
 * so a late or missed tick loses nothing, and a tick that finds its pass still running is skipped.
 * Accounts are independent: one account's failure (bad key, throttling) holds no other back.
 */
import { setMaxListeners } from 'node:events';
import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { ERROR_POLICY, CollectorError, describeError } from '../kernel/errors.js';
import type { StreamSpec, VendorAdapter } from '../kernel/vendor.js';
import type { PassSummary, SourceHealth } from '../ports.js';
import { discoverDomains } from './discovery.js';
import { shardOf } from './shard.js';
import { PassFailed, reportOnce, runPass, type PassDeps, type PassMode, type PassSettings } from './pass.js';

export interface RunnerOptions {
  readonly discoveryIntervalMs: number;
  /** Restrict to these domains (--domain). */
  readonly onlyDomains?: readonly string[];
  /** With one vendor and no configured list, take --domain as given instead of discovering first. */
  readonly trustOnlyDomains?: boolean;
  /** How long a stop waits for writes already sent before abandoning them. */
  readonly stopGraceMs: number;
  /** This replica's share of the (vendor, account, domain) triples. */
  readonly shard?: { readonly count: number; readonly index: number };
}

interface Source {
  readonly adapter: VendorAdapter;
  readonly stream: StreamSpec;
  running: boolean;
  skipped: number;
  lastOkMs?: number;
  lastError?: string;
}


export interface PassOutcome {
  readonly ok: boolean;
  /** A failure that must stop `run` (refused InfluxDB credentials, a missing database). */
  readonly fatal?: CollectorError;
}

export class Runner {
  readonly #deps: PassDeps;
  #settings: PassSettings;
  readonly #opts: RunnerOptions;
  #sources: Source[];
  readonly #domains = new Map<VendorAdapter, { at: number; list: string[] }>();
  readonly #discovering = new Map<VendorAdapter, Promise<string[]>>();
  readonly #abort = new AbortController();
  readonly #abortWrites = new AbortController();
  readonly #tasks: ScheduledTask[] = [];
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #log: Logger;
  #onFatal: (err: CollectorError) => void = () => {};

  constructor(deps: PassDeps, settings: PassSettings, adapters: readonly VendorAdapter[], opts: RunnerOptions) {
    this.#deps = deps;
    this.#settings = settings;
    this.#opts = opts;
    this.#log = deps.logger.child({ component: 'runner' });
    // Every call and backoff in flight listens on these signals.
    setMaxListeners(0, this.#abort.signal);
    setMaxListeners(0, this.#abortWrites.signal);
    this.#sources = Runner.#sourcesOf(adapters);
  }

  static #sourcesOf(adapters: readonly VendorAdapter[]): Source[] {
    return adapters.flatMap((adapter) => adapter.streams.map((stream) => ({ adapter, stream, running: false, skipped: 0 })));
  }

  /** SIGHUP: new adapters and settings; streams that still exist keep their health records. */
  replace(adapters: readonly VendorAdapter[], settings: PassSettings): void {
    const old = new Map(this.#sources.map((s) => [`${s.adapter.module}|${s.adapter.account}|${s.stream.id}`, s]));
    this.#settings = settings;
    this.#domains.clear();
    this.#sources = Runner.#sourcesOf(adapters).map((s) => {
      const prev = old.get(`${s.adapter.module}|${s.adapter.account}|${s.stream.id}`);
      return prev ? { ...s, ...(prev.lastOkMs !== undefined ? { lastOkMs: prev.lastOkMs } : {}) } : s;
    });
    if (this.#tasks.length) {
      for (const t of this.#tasks.splice(0)) void t.stop();
      this.start(this.#onFatal);
    }
  }

  health(): SourceHealth[] {
    return this.#sources.map((s) => ({
      vendor: s.adapter.module,
      account: s.adapter.account,
      stream: s.stream.id,
      cadenceSec: s.stream.cadenceSec,
      ...(s.lastOkMs !== undefined ? { lastOkMs: s.lastOkMs } : {}),
      ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
    }));
  }

  /** Streams of one account share one discovery, in flight or cached. */
  domainsOf(adapter: VendorAdapter): Promise<string[]> {
    const running = this.#discovering.get(adapter);
    if (running) return running;
    const p = this.#discover(adapter).finally(() => this.#discovering.delete(adapter));
    this.#discovering.set(adapter, p);
    return p;
  }

  async #discover(adapter: VendorAdapter): Promise<string[]> {
    const now = this.#deps.clock.now();
    const cached = this.#domains.get(adapter);
    if (cached && now - cached.at < this.#opts.discoveryIntervalMs) return cached.list;
    try {
      const only = this.#opts.onlyDomains;
      const all = only?.length && !adapter.configuredDomains.length && this.#opts.trustOnlyDomains ? [...only] : await discoverDomains(this.#deps, this.#settings, adapter, this.#abort.signal);
      const shard = this.#opts.shard;
      const list = (only?.length ? all.filter((d) => only.includes(d)) : all).filter((d) => !shard || shardOf(shard.count, adapter.module, adapter.account, d) === shard.index);
      this.#domains.set(adapter, { at: now, list });
      return list;
    } catch (err) {
      if (cached) {
        this.#log.warn({ vendor: adapter.module, account: adapter.account }, `domain discovery failed, keeping the last list: ${describeError(err)}`);
        return cached.list;
      }
      throw err;
    }
  }

  /** One pass of every source; resolves with whether all succeeded and any failure that must stop `run`. */
  async runAll(mode: PassMode): Promise<PassOutcome> {
    const results = await Promise.all(this.#sources.map((s) => this.#pass(s, mode)));
    const fatal = results.find((r) => r.fatal)?.fatal;
    return { ok: results.every((r) => r.ok), ...(fatal ? { fatal } : {}) };
  }

  async #pass(s: Source, mode: PassMode): Promise<PassOutcome> {
    const started = this.#deps.clock.now();
    const log = this.#deps.logger.child({ vendor: s.adapter.module, account: s.adapter.account, stream: s.stream.id });
    s.running = true;
    let summary: PassSummary | undefined;
    let ok = false;
    let fatal: CollectorError | undefined;
    try {
      const domains = await this.domainsOf(s.adapter);
      summary = await runPass(this.#deps, this.#settings, s.adapter, s.stream, domains, mode, this.#abort.signal, this.#abortWrites.signal);
      ok = true;
      s.lastOkMs = this.#deps.clock.now();
      delete s.lastError;
    } catch (err) {
      if (err instanceof PassFailed) summary = err.summary;
      const cause = err instanceof PassFailed ? err.cause : err;
      s.lastError = describeError(err);
      if (cause instanceof CollectorError && ERROR_POLICY[cause.kind].stopsRun) fatal = cause;
      const stopping = this.#abort.signal.aborted;
      const alreadyReported = err instanceof PassFailed && err.reported;
      if (!stopping && !alreadyReported && !(cause instanceof CollectorError && cause.kind === 'stopped')) {
        // One sink line however many sources hit it; a discovery problem once per account.
        const line = describeError(cause ?? err);
        reportOnce(this.#deps, log, line.startsWith('influx:') ? line : line.startsWith(`${s.adapter.module} `) ? line : `${s.adapter.module} ${s.stream.api}: ${line} (account ${s.adapter.account})`);
      }
    } finally {
      s.running = false;
    }
    const durationMs = this.#deps.clock.now() - started;
    if (summary) {
      this.#deps.telemetry?.onPass?.({ module: s.adapter.module, account: s.adapter.account, stream: s.stream.id }, s.adapter.vendor, summary, durationMs);
      log.info({ pass: mode.kind, ok, ...summary, durationMs }, `pass ${ok ? 'done' : 'incomplete'}`);
    }
    return { ok, ...(fatal ? { fatal } : {}) };
  }

  /** Calls needed per cadence against the vendor's limit, per vendor, account and rate key. */
  async budget(onFreshness?: (vendor: string, account: string, rateKey: string, expectedLagSec: number) => void): Promise<string[]> {
    const lines: string[] = [];
    const byKey = new Map<string, { adapter: VendorAdapter; rateKey: string; sources: Source[] }>();
    for (const s of this.#sources) {
      const key = `${s.adapter.module}|${s.adapter.account}|${s.stream.rateKey}`;
      const e = byKey.get(key) ?? { adapter: s.adapter, rateKey: s.stream.rateKey, sources: [] };
      e.sources.push(s);
      byKey.set(key, e);
    }
    for (const e of byKey.values()) {
      const who = `${e.adapter.module} ${e.rateKey} (account ${e.adapter.account})`;
      let domains: number;
      try {
        domains = (await this.domainsOf(e.adapter)).length;
      } catch (err) {
        lines.push(`budget ${who}: unknown, domain discovery failed: ${describeError(err)}`);
        continue;
      }
      const rate = e.adapter.rateLimit(e.rateKey);
      let perSec = 0;
      const parts: string[] = [];
      for (const s of e.sources) {
        const calls = Math.ceil(domains / s.stream.maxDomainsPerCall);
        perSec += calls / s.stream.cadenceSec;
        parts.push(`${s.stream.id} ${calls} calls every ${s.stream.cadenceSec} s`);
      }
      const shortest = Math.min(...e.sources.map((s) => s.stream.cadenceSec));
      const needed = Math.ceil(perSec * shortest);
      const allowed = Math.floor(rate * shortest);
      lines.push(`budget ${who}: ${domains} domains, ${parts.join(', ')}; ${needed} calls per ${shortest} s against a limit of ${allowed} (${rate}/s)`);
      onFreshness?.(e.adapter.module, e.adapter.account, e.rateKey, Math.max(shortest, Math.ceil((perSec / rate) * shortest)));
      if (needed > allowed) {
        // Windows widen when passes stretch: every bucket still arrives, later by about this much.
        const lagSec = Math.ceil((perSec / rate) * shortest);
        lines.push(`warning: ${who} needs more calls than its limit allows; passes will stretch to about ${lagSec} s, so data arrives later (nothing is lost)`);
      }
    }
    return lines;
  }

  /** `run`: a pass now, then on every tick of each stream's cadence, until stop(). */
  start(onFatal: (err: CollectorError) => void): void {
    this.#onFatal = onFatal;
    for (const s of this.#sources) {
      const tick = () => {
        if (this.#abort.signal.aborted) return;
        if (s.running) {
          s.skipped++;
          this.#log.warn({ vendor: s.adapter.module, account: s.adapter.account, stream: s.stream.id, skipped: s.skipped }, 'previous pass still running, tick skipped');
          return;
        }
        const p = this.#pass(s, { kind: 'collect' }).then((r) => {
          if (r.fatal) onFatal(r.fatal);
        });
        this.#inflight.add(p);
        void p.finally(() => this.#inflight.delete(p));
      };
      this.#tasks.push(schedule(s.stream.cadence, tick));
      tick();
    }
  }

  /** No new calls; calls in flight are abandoned; writes already sent are awaited up to the grace period. */
  async stop(): Promise<void> {
    for (const t of this.#tasks.splice(0)) await t.stop();
    this.#abort.abort(new Error('stopping'));
    const grace = setTimeout(() => this.#abortWrites.abort(new Error('stop grace period over')), this.#opts.stopGraceMs);
    await Promise.allSettled([...this.#inflight]);
    clearTimeout(grace);
  }

  get stopSignal(): AbortSignal {
    return this.#abort.signal;
  }
}
