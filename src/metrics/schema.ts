/**
 * The one place for what is written to InfluxDB (CONTRACT.md "What is written"): measurement,
 * tag keys, the field, metric names and their units, and the line protocol.
 */
import type { Sample, VendorId } from '../vendors/types.js';

export const TAG_VENDOR = 'vendor';
export const TAG_DOMAIN = 'domain';
export const TAG_METRIC = 'metric';
export const TAG_INTERVAL = 'interval';
export const FIELD_VALUE = 'value';

/** Metric tag values and their units. Vendors map their own names onto these. */
export const Metrics = {
  TRAFFIC_BYTES: 'traffic_bytes', // bytes per bucket
  HTTPS_TRAFFIC_BYTES: 'https_traffic_bytes', // bytes per bucket
  BANDWIDTH_BPS: 'bandwidth_bps', // bit/s
  REQUESTS: 'requests', // count per bucket
  FAILED_REQUESTS: 'failed_requests', // count per bucket
  FAIL_RATE_PCT: 'fail_rate_pct', // percent
} as const;

/** `status_2xx` for a class, `status_404` for one code; count per bucket. */
export function statusMetric(codeOrClass: string): string {
  return `status_${codeOrClass.toLowerCase()}`;
}

export interface Point extends Sample {
  readonly vendor: VendorId;
}

/** Point identity: the vendor bucket, never the fetch time. */
export function pointKey(p: Point): string {
  return `${p.vendor}\u0000${p.domain}\u0000${p.metric}\u0000${p.intervalSec}\u0000${p.tsSec}`;
}

function escapeTag(v: string): string {
  return /[,= \\\n]/.test(v) ? v.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : v;
}

function escapeMeasurement(v: string): string {
  return /[, \\\n]/.test(v) ? v.replace(/[\\, ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n') : v;
}

/** Always a float literal: InfluxDB rejects an integer written into a float field. */
export function formatFloat(v: number): string {
  return String(v);
}

/** One line of line protocol, second precision, tags in key order (as InfluxDB sorts them). */
export function toLine(measurement: string, p: Point): string {
  return new LineEncoder(measurement).line(p);
}

/**
 * Encodes points to line protocol with the series part (measurement and tags) built once per series:
 * a pass writes many buckets of few series, so this is most of the formatting work saved.
 */
export class LineEncoder {
  readonly #measurement: string;
  readonly #series = new Map<string, string>();
  // A pass yields the buckets of one series together: the previous point's series is the usual hit.
  #last: Point | undefined;
  #lastPrefix = '';

  constructor(measurement: string) {
    this.#measurement = escapeMeasurement(measurement);
  }

  #prefix(p: Point): string {
    const l = this.#last;
    if (l !== undefined && l.domain === p.domain && l.metric === p.metric && l.vendor === p.vendor && l.intervalSec === p.intervalSec) return this.#lastPrefix;
    const key = `${p.vendor}|${p.domain}|${p.metric}|${p.intervalSec}`;
    let prefix = this.#series.get(key);
    if (prefix === undefined) {
      if (this.#series.size >= 100_000) this.#series.clear();
      prefix = `${this.#measurement},${TAG_DOMAIN}=${escapeTag(p.domain)},${TAG_INTERVAL}=${p.intervalSec},${TAG_METRIC}=${escapeTag(p.metric)},${TAG_VENDOR}=${p.vendor} ${FIELD_VALUE}=`;
      this.#series.set(key, prefix);
    }
    this.#last = p;
    this.#lastPrefix = prefix;
    return prefix;
  }

  line(p: Point): string {
    return `${this.#prefix(p)}${formatFloat(p.value)} ${p.tsSec}`;
  }

  /** One request body. */
  body(points: readonly Point[], from: number, to: number): string {
    let out = '';
    for (let i = from; i < to; i++) {
      const p = points[i]!;
      out += `${i === from ? '' : '\n'}${this.#prefix(p)}${formatFloat(p.value)} ${p.tsSec}`;
    }
    return out;
  }
}
