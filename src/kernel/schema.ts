/**
 * The one place for what is written to InfluxDB (CONTRACT.md "What is written"): tag keys, the
 * field, metric names and their units, and point identity.
 */

export const TAG_VENDOR = 'vendor';
export const TAG_ACCOUNT = 'account';
export const TAG_AREA = 'area';
export const TAG_DOMAIN = 'domain';
export const TAG_METRIC = 'metric';
export const TAG_INTERVAL = 'interval';
export const FIELD_VALUE = 'value';
/** The account formed by a vendor's top-level credentials. */
export const DEFAULT_ACCOUNT = 'default';

export type Unit = 'bytes per bucket' | 'bit/s' | 'count per bucket' | 'percent' | 'requests per second';

/** Metric tag values and their units. Vendors map their own names onto these. */
export const Metrics = {
  TRAFFIC_BYTES: 'traffic_bytes',
  HTTPS_TRAFFIC_BYTES: 'https_traffic_bytes',
  PLAY_TRAFFIC_BYTES: 'play_traffic_bytes',
  BANDWIDTH_BPS: 'bandwidth_bps',
  REQUESTS: 'requests',
  FAILED_REQUESTS: 'failed_requests',
  FAIL_RATE_PCT: 'fail_rate_pct',
  REQUESTS_PER_SEC: 'requests_per_sec',
} as const;

const UNITS: Readonly<Record<string, Unit>> = {
  traffic_bytes: 'bytes per bucket',
  https_traffic_bytes: 'bytes per bucket',
  play_traffic_bytes: 'bytes per bucket',
  bandwidth_bps: 'bit/s',
  requests: 'count per bucket',
  failed_requests: 'count per bucket',
  fail_rate_pct: 'percent',
  requests_per_sec: 'requests per second',
};

/** `status_2xx` for a class, `status_404` for one code; count per bucket. */
export function statusMetric(codeOrClass: string): string {
  return `status_${codeOrClass.toLowerCase()}`;
}

export function unitOf(metric: string): Unit | undefined {
  if (/^status_([1-5]xx|[1-5]\d\d)$/.test(metric)) return 'count per bucket';
  return UNITS[metric];
}

/**
 * Whether a value can be written: finite and not negative, and a whole number where the vendor
 * counts (requests, status codes). Anything else is unusable: never written, never replaced by 0.
 */
export function unusableReason(metric: string, value: number): string | undefined {
  if (!Number.isFinite(value)) return 'is not a finite number';
  if (value < 0) return 'is negative';
  if (!Number.isInteger(value) && unitOf(metric) === 'count per bucket') return 'is not a whole count';
  return undefined;
}

/** One vendor bucket as an adapter reads it, in the contract's units. */
export interface Sample {
  readonly domain: string;
  readonly metric: string;
  readonly intervalSec: number;
  /** Bucket start, epoch seconds UTC. */
  readonly tsSec: number;
  /** NaN when the answer held no number; `raw` then says what it held. */
  readonly value: number;
  readonly raw?: string;
}

/** A sample with the identity the core gives it: which vendor, account and area it belongs to. */
export interface Point extends Sample {
  readonly vendor: string;
  readonly account: string;
  /** Tencent only: `mainland` | `overseas`. */
  readonly area?: string;
}

/** Point identity: the vendor bucket, never the fetch time. */
export function pointKey(p: Point): string {
  return `${p.vendor}\u0000${p.account}\u0000${p.area ?? ''}\u0000${p.domain}\u0000${p.metric}\u0000${p.intervalSec}\u0000${p.tsSec}`;
}
