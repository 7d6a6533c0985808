/**
 * The collector's own metrics (Prometheus text format via prom-client, on a registry of its own),
 * and the state readiness reads: when each source last completed a pass, whether InfluxDB accepts writes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PassSummary, StreamRef, Telemetry } from '../ports.js';

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly #calls: Counter<'vendor' | 'account' | 'api' | 'outcome'>;
  readonly #throttled: Counter<'vendor' | 'account' | 'api'>;
  readonly #retries: Counter<'vendor' | 'account' | 'api'>;
  readonly #points: Counter<'vendor' | 'account' | 'stream' | 'result'>;
  readonly #writeLatency: Histogram;
  readonly #passDuration: Histogram<'vendor' | 'account' | 'stream'>;
  readonly #lag: Gauge<'vendor' | 'account' | 'stream'>;
  readonly #owed: Gauge<'vendor' | 'account' | 'stream'>;
  readonly #gaps: Counter<'vendor' | 'account' | 'stream'>;
  readonly #gapBuckets: Gauge<'vendor' | 'account'>;
  readonly #freshness: Gauge<'vendor' | 'account' | 'rate_key'>;
  readonly #finalEnd = new Map<string, { labels: { vendor: string; account: string; stream: string }; sec: number }>();
  /** Set by main: the clock used for the lag gauge. */
  now: () => number = () => 0;
  sinkOk = true;
  sinkError: string | undefined;
  /** Streams whose last pass had points InfluxDB refused: readiness reports them until a pass without. */
  readonly refusing = new Map<string, number>();
  onPlanned: ((module: string, stream: string, windows: number) => void) | undefined;
  onWindowsDone: ((module: string, stream: string, windows: number) => void) | undefined;

  constructor(build: { version: string; node: string }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'cdn_collector_' });
    new Gauge({ name: 'cdn_collector_build_info', help: 'Version of the collector and of Node.js; always 1', labelNames: ['version', 'node'], registers }).set({ version: build.version, node: build.node }, 1);
    this.#calls = new Counter({ name: 'cdn_collector_api_calls_total', help: 'Vendor API calls by outcome (ok, throttled, retried, failed)', labelNames: ['vendor', 'account', 'api', 'outcome'], registers });
    this.#throttled = new Counter({ name: 'cdn_collector_throttled_calls_total', help: 'Vendor API calls answered with a throttling error', labelNames: ['vendor', 'account', 'api'], registers });
    this.#retries = new Counter({ name: 'cdn_collector_retries_total', help: 'Vendor API calls retried', labelNames: ['vendor', 'account', 'api'], registers });
    this.#points = new Counter({ name: 'cdn_collector_points_total', help: 'Points by result: written (acknowledged), unchanged (not rewritten), refused (by InfluxDB), unusable (bad vendor value)', labelNames: ['vendor', 'account', 'stream', 'result'], registers });
    this.#writeLatency = new Histogram({ name: 'cdn_collector_write_duration_seconds', help: 'Latency of one InfluxDB write request', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.#passDuration = new Histogram({ name: 'cdn_collector_pass_duration_seconds', help: 'Duration of one pass of one source', labelNames: ['vendor', 'account', 'stream'], buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900], registers });
    this.#owed = new Gauge({ name: 'cdn_collector_owed_buckets', help: 'Buckets and windows not yet written that later passes fetch again', labelNames: ['vendor', 'account', 'stream'], registers });
    this.#gaps = new Counter({ name: 'cdn_collector_gaps_recorded_total', help: 'Bucket ranges given up on and recorded in the gap ledger by this process', labelNames: ['vendor', 'account', 'stream'], registers });
    this.#gapBuckets = new Gauge({ name: 'cdn_collector_gap_buckets', help: 'Entries in the gap ledger of state.dir per vendor and account (0: nothing is missing)', labelNames: ['vendor', 'account'], registers });
    this.#freshness = new Gauge({ name: 'cdn_collector_expected_freshness_seconds', help: 'How late data is expected to arrive given the calls needed per cadence and the vendor limit', labelNames: ['vendor', 'account', 'rate_key'], registers });
    const self = this;
    this.#lag = new Gauge({
      name: 'cdn_collector_checkpoint_lag_seconds',
      help: 'Now minus the newest final bucket end of a source',
      labelNames: ['vendor', 'account', 'stream'],
      registers,
      collect() {
        const now = self.now() / 1000;
        for (const e of self.#finalEnd.values()) this.set(e.labels, Math.max(0, now - e.sec));
      },
    });
  }

  /** The ledger as found at start: entries per vendor module and account. */
  setGapEntries(counts: ReadonlyMap<string, { vendor: string; account: string; n: number }>): void {
    for (const c of counts.values()) this.#gapBuckets.set({ vendor: c.vendor, account: c.account }, c.n);
  }

  setExpectedFreshness(vendor: string, account: string, rateKey: string, sec: number): void {
    this.#freshness.set({ vendor, account, rate_key: rateKey }, sec);
  }

  telemetry(): Telemetry {
    return {
      onCall: (vendor, account, api, outcome) => {
        this.#calls.inc({ vendor, account, api, outcome });
        if (outcome === 'throttled') this.#throttled.inc({ vendor, account, api });
        if (outcome === 'throttled' || outcome === 'retried') this.#retries.inc({ vendor, account, api });
      },
      onPlanned: (module, stream, n) => this.onPlanned?.(module, stream, n),
      onWindowsDone: (module, stream, n) => this.onWindowsDone?.(module, stream, n),
      onPass: (ref: StreamRef, _vendor, s: PassSummary, durationMs) => {
        const l = { vendor: ref.module, account: ref.account, stream: ref.stream };
        this.#points.inc({ ...l, result: 'written' }, s.written);
        this.#points.inc({ ...l, result: 'unchanged' }, s.unchanged);
        this.#points.inc({ ...l, result: 'refused' }, s.refused);
        this.#points.inc({ ...l, result: 'unusable' }, s.unusable);
        this.#owed.set(l, s.owed);
        const key = `${ref.module} ${ref.stream} (account ${ref.account})`;
        if (s.refused > 0) this.refusing.set(key, s.refused);
        else this.refusing.delete(key);
        if (s.gaps) {
          this.#gaps.inc(l, s.gaps);
          this.#gapBuckets.inc({ vendor: ref.module, account: ref.account }, s.gaps);
        }
        this.#passDuration.observe(l, durationMs / 1000);
        if (s.finalEndSec !== undefined) this.#finalEnd.set(`${ref.module}\u0000${ref.account}\u0000${ref.stream}`, { labels: l, sec: s.finalEndSec });
      },
      onWrite: (_points, latencyMs) => this.#writeLatency.observe(latencyMs / 1000),
      onSinkState: (ok, error) => {
        this.sinkOk = ok;
        this.sinkError = ok ? undefined : error;
      },
    };
  }
}
