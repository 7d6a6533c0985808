/**
 * The collector's own metrics (Prometheus text format via prom-client, on a registry of its own),
 * and the state /healthz reads: when each source last completed a pass, whether the sink accepts writes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CollectObserver } from '../core/collect.js';
import type { Point } from '../metrics/schema.js';
import type { Sink, SinkObserver, WriteResult } from '../sink/sink.js';

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly #calls: Counter<'vendor' | 'api' | 'outcome'>;
  readonly #throttled: Counter<'vendor' | 'api'>;
  readonly #retries: Counter<'vendor' | 'api'>;
  readonly #points: Counter<'vendor' | 'stream' | 'result'>;
  readonly #writeLatency: Histogram;
  readonly #passDuration: Histogram<'vendor' | 'stream'>;
  readonly #lag: Gauge<'vendor' | 'stream'>;
  readonly #finalEnd = new Map<string, { vendor: string; stream: string; sec: number }>();
  /** Set by main: the clock used for the lag gauge. */
  now: () => number = () => 0;
  sinkOk = true;
  sinkError: string | undefined;
  onPlanned: ((vendor: string, stream: string, windows: number) => void) | undefined;
  onWindowsDone: ((vendor: string, stream: string, windows: number) => void) | undefined;
  onFatal: ((line: string) => void) | undefined;

  constructor() {
    const registers = [this.registry];
    this.#calls = new Counter({ name: 'cdn_collector_api_calls_total', help: 'Vendor API calls by outcome (ok, throttled, retried, failed)', labelNames: ['vendor', 'api', 'outcome'], registers });
    this.#throttled = new Counter({ name: 'cdn_collector_throttled_calls_total', help: 'Vendor API calls answered with a throttling error', labelNames: ['vendor', 'api'], registers });
    this.#retries = new Counter({ name: 'cdn_collector_retries_total', help: 'Vendor API calls retried', labelNames: ['vendor', 'api'], registers });
    this.#points = new Counter({ name: 'cdn_collector_points_total', help: 'Points by result: written (acknowledged), unchanged (not rewritten), failed (rejected by InfluxDB)', labelNames: ['vendor', 'stream', 'result'], registers });
    this.#writeLatency = new Histogram({ name: 'cdn_collector_write_duration_seconds', help: 'Latency of one InfluxDB write request', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.#passDuration = new Histogram({ name: 'cdn_collector_pass_duration_seconds', help: 'Duration of one pass of one source', labelNames: ['vendor', 'stream'], buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900], registers });
    const self = this;
    this.#lag = new Gauge({
      name: 'cdn_collector_checkpoint_lag_seconds',
      help: 'Now minus the newest final bucket end of a source',
      labelNames: ['vendor', 'stream'],
      registers,
      collect() {
        const now = self.now() / 1000;
        for (const e of self.#finalEnd.values()) this.set({ vendor: e.vendor, stream: e.stream }, Math.max(0, now - e.sec));
      },
    });
  }

  collectObserver(): CollectObserver {
    return {
      onCall: (vendor, api, outcome) => {
        this.#calls.inc({ vendor, api, outcome });
        if (outcome === 'throttled') this.#throttled.inc({ vendor, api });
        if (outcome === 'throttled' || outcome === 'retried') this.#retries.inc({ vendor, api });
      },
      onPlanned: (vendor, stream, n) => this.onPlanned?.(vendor, stream, n),
      onWindowsDone: (vendor, stream, n) => this.onWindowsDone?.(vendor, stream, n),
      onPass: (vendor, stream, s, durationMs) => {
        this.#points.inc({ vendor, stream, result: 'written' }, s.written);
        this.#points.inc({ vendor, stream, result: 'unchanged' }, s.unchanged);
        this.#points.inc({ vendor, stream, result: 'failed' }, s.rejected + s.badBuckets);
        this.#passDuration.observe({ vendor, stream }, durationMs / 1000);
        if (s.finalEndSec !== undefined) this.#finalEnd.set(`${vendor}\u0000${stream}`, { vendor, stream, sec: s.finalEndSec });
      },
    };
  }

  sinkObserver(): SinkObserver {
    return { onBatch: (_points, latencyMs) => this.#writeLatency.observe(latencyMs / 1000) };
  }

  /** Tracks whether the sink accepts writes, for /healthz. */
  wrapSink(sink: Sink): Sink {
    return {
      write: async (points: readonly Point[], signal?: AbortSignal): Promise<WriteResult> => {
        try {
          const r = await sink.write(points, signal);
          this.sinkOk = true;
          this.sinkError = undefined;
          return r;
        } catch (err) {
          this.sinkOk = false;
          this.sinkError = err instanceof Error ? err.message : String(err);
          if (/not authorized|not found/.test(this.sinkError)) this.onFatal?.(this.sinkError);
          throw err;
        }
      },
    };
  }
}
