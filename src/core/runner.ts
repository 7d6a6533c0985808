/**
 * Drives passes: `once` and `backfill` run every stream one time; `run` triggers passes on each
 * stream's cadence. A cron tick is only a trigger: what a pass fetches comes from the checkpoints,
 * so a late or missed tick loses nothing, and a tick that finds its pass still running is skipped.
 */
import { setMaxListeners } from 'node:events';
import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { describeError } from './errors.js';
import { PassFailed, discoverDomains, runPass, type CollectDeps, type CollectSettings, type PassMode, type PassSummary } from './collect.js';
import type { StreamSpec, VendorAdapter } from '../vendors/types.js';

export interface RunnerOptions {
  readonly discoveryIntervalMs: number;
  /** Restrict to these domains (backfill --domain). */
  readonly onlyDomains?: readonly string[];
  /** With one vendor and no configured list, take --domain as given instead of discovering first. */
  readonly trustOnlyDomains?: boolean;
}

interface SourceState {
  readonly adapter: VendorAdapter;
  readonly stream: StreamSpec;
  running: boolean;
  skipped: number;
  lastOkMs?: number;
  lastError?: string;
}

export interface SourceHealth {
  vendor: string;
  stream: string;
  cadenceSec: number;
  lastOkMs?: number;
  lastError?: string;
}

export class Runner {
  readonly #deps: CollectDeps;
  readonly #settings: CollectSettings;
  readonly #opts: RunnerOptions;
  readonly #sources: SourceState[];
  readonly #domains = new Map<VendorAdapter, { at: number; list: string[] }>();
  readonly #discovering = new Map<VendorAdapter, Promise<string[]>>();
  readonly #abort = new AbortController();
  readonly #tasks: ScheduledTask[] = [];
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #log: Logger;

  constructor(deps: CollectDeps, settings: CollectSettings, adapters: readonly VendorAdapter[], opts: RunnerOptions) {
    this.#deps = deps;
    this.#settings = settings;
    this.#opts = opts;
    this.#log = deps.logger.child({ component: 'runner' });
    // Every call and backoff in flight listens on this one signal (to be abandoned on SIGTERM).
    setMaxListeners(0, this.#abort.signal);
    this.#sources = adapters.flatMap((adapter) => adapter.streams.map((stream) => ({ adapter, stream, running: false, skipped: 0 })));
  }

  health(): SourceHealth[] {
    return this.#sources.map((s) => ({
      vendor: s.adapter.vendor,
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
      // backfill --domain narrows each vendor's domains (configured or discovered) to those named.
      const all = only?.length && !adapter.configuredDomains.length && this.#opts.trustOnlyDomains ? [...only] : await discoverDomains(this.#deps, this.#settings, adapter, this.#abort.signal);
      const list = only?.length ? all.filter((d) => only.includes(d)) : all;
      this.#domains.set(adapter, { at: now, list });
      return list;
    } catch (err) {
      if (cached) {
        this.#log.warn({ vendor: adapter.vendor }, `domain discovery failed, keeping the last list: ${describeError(err)}`);
        return cached.list;
      }
      throw err;
    }
  }

  /** One pass of every source; resolves true when all of them succeeded. */
  async runAll(mode: PassMode): Promise<boolean> {
    const results = await Promise.all(this.#sources.map((s) => this.#pass(s, mode)));
    return results.every(Boolean);
  }

  async #pass(s: SourceState, mode: PassMode): Promise<boolean> {
    const started = this.#deps.clock.now();
    const log = this.#deps.logger.child({ vendor: s.adapter.vendor, stream: s.stream.id });
    s.running = true;
    let summary: PassSummary | undefined;
    let ok = false;
    try {
      const domains = await this.domainsOf(s.adapter);
      summary = await runPass(this.#deps, this.#settings, s.adapter, s.stream, domains, mode, this.#abort.signal);
      ok = true;
      s.lastOkMs = this.#deps.clock.now();
      delete s.lastError;
    } catch (err) {
      if (err instanceof PassFailed) summary = err.summary;
      s.lastError = describeError(err);
      const line = describeError(err);
      if (err instanceof PassFailed && /window that failed/.test(line)) {
        // Each failed window was already reported with its vendor code.
      } else {
        // Once per process: one sink line however many sources hit it; a discovery or state problem
        // once, not on every tick of `run`.
        const text = err instanceof PassFailed && !line.startsWith('influx:') ? `${s.adapter.vendor} ${s.stream.api}: ${line}` : line;
        if (!this.#deps.reported.has(text)) this.#deps.report(text);
        else log.warn(text);
        this.#deps.reported.add(text);
      }
    } finally {
      s.running = false;
    }
    const durationMs = this.#deps.clock.now() - started;
    if (summary) {
      this.#deps.observer?.onPass?.(s.adapter.vendor, s.stream.id, summary, durationMs);
      log.info(
        {
          pass: mode.kind,
          ok,
          domains: summary.domains,
          windows: summary.windows,
          calls: summary.calls,
          written: summary.written,
          unchanged: summary.unchanged,
          rejected: summary.rejected,
          retries: summary.retries,
          failedCalls: summary.failedCalls,
          badBuckets: summary.badBuckets,
          durationMs,
        },
        `pass ${ok ? 'done' : 'incomplete'}`,
      );
    }
    return ok;
  }

  /** Prints calls needed per cadence against the vendor's limit, per vendor and rate key. */
  async budget(): Promise<string[]> {
    const lines: string[] = [];
    const byKey = new Map<string, { adapter: VendorAdapter; rateKey: string; streams: SourceState[] }>();
    for (const s of this.#sources) {
      const key = `${s.adapter.vendor}:${s.stream.rateKey}`;
      const e = byKey.get(key) ?? { adapter: s.adapter, rateKey: s.stream.rateKey, streams: [] };
      e.streams.push(s);
      byKey.set(key, e);
    }
    for (const e of byKey.values()) {
      let domains: number;
      try {
        domains = (await this.domainsOf(e.adapter)).length;
      } catch (err) {
        lines.push(`budget ${e.adapter.vendor} ${e.rateKey}: unknown, domain discovery failed: ${describeError(err)}`);
        continue;
      }
      const rate = e.adapter.rateLimit(e.rateKey);
      // Calls per second needed, summed over the streams sharing this limit.
      let perSec = 0;
      const parts: string[] = [];
      for (const s of e.streams) {
        const calls = Math.ceil(domains / s.stream.maxDomainsPerCall);
        perSec += calls / s.stream.cadenceSec;
        parts.push(`${s.stream.id} ${calls} calls every ${s.stream.cadenceSec} s`);
      }
      const shortest = Math.min(...e.streams.map((s) => s.stream.cadenceSec));
      const needed = Math.ceil(perSec * shortest);
      const allowed = Math.floor(rate * shortest);
      const line = `budget ${e.adapter.vendor} ${e.rateKey}: ${domains} domains, ${parts.join(', ')}; ${needed} calls per ${shortest} s against a limit of ${allowed} (${rate}/s)`;
      lines.push(line);
      if (needed > allowed) lines.push(`warning: ${e.adapter.vendor} ${e.rateKey} needs more calls than its limit allows; passes will stretch and ticks be skipped, so data arrives late (nothing is lost)`);
    }
    return lines;
  }

  /** `run`: a pass now, then on every tick of each stream's cadence, until stop(). */
  start(): void {
    for (const s of this.#sources) {
      const tick = () => {
        if (this.#abort.signal.aborted) return;
        if (s.running) {
          s.skipped++;
          this.#log.warn({ vendor: s.adapter.vendor, stream: s.stream.id, skipped: s.skipped }, 'previous pass still running, tick skipped');
          return;
        }
        const p = this.#pass(s, { kind: 'collect' });
        this.#inflight.add(p);
        void p.finally(() => this.#inflight.delete(p));
      };
      this.#tasks.push(schedule(s.stream.cadence, tick));
      tick();
    }
  }

  /** Stops the triggers, abandons retries and waits, finishes what is in flight, commits. */
  async stop(): Promise<void> {
    for (const t of this.#tasks) await t.stop();
    this.#abort.abort(new Error('stopping'));
    await Promise.allSettled([...this.#inflight]);
  }
}
