/**
 * state.recoverFromInflux: the newest bucket InfluxDB holds per domain of a stream, so that a domain
 * without a checkpoint starts after it instead of `collect.initialLookbackMs` back. One InfluxQL query
 * per stream over `/query`: InfluxDB 1.x (db, rp, Basic auth), and the v1-compatible endpoint of 2.x
 * (needs a DBRP mapping) and 3.x (db = bucket, `Authorization: Token`). Same deadline, body cap and
 * scrubbing as the writes; any failure is a CollectorError of a sink kind in one line (the core then
 * falls back to the initial look-back).
 */
import { CollectorError, type ErrorKind } from '../kernel/errors.js';
import { TAG_ACCOUNT, TAG_AREA, TAG_DOMAIN, TAG_INTERVAL, TAG_METRIC, TAG_VENDOR, FIELD_VALUE } from '../kernel/schema.js';
import type { RecoverySource } from '../ports.js';
import { exchange, ExchangeError, oneLine } from './http.js';
import { connect, type Connection, type InfluxTarget } from './target.js';

export interface RecoveryOptions {
  readonly measurement: string;
  /** How far back to look when the query does not say (the vendor's retention). Default 90 days. */
  readonly retentionSec?: number;
  /** Default 30 s. */
  readonly requestDeadlineMs?: number;
  /** A stream of 10,000 domains answers ~1 MB. Default 16 MiB. */
  readonly maxResponseBytes?: number;
}

export type RecoveryQuery = Parameters<RecoverySource['newestBuckets']>[0] & {
  /** Look no further back than this (the tier's retention); default RecoveryOptions.retentionSec. */
  readonly retentionSec?: number;
};

/** `"name"`: an InfluxQL identifier. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `'text'`: an InfluxQL string literal. */
export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A regex literal matching exactly one of `values`. */
export function exactAlternation(values: readonly string[]): string {
  const alt = values.map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  return `/^(${alt})$/`;
}

export function newestBucketsQuery(measurement: string, q: RecoveryQuery, retentionSec: number): string {
  const where = [
    `${quoteIdent(TAG_VENDOR)} = ${quoteString(q.vendor)}`,
    `${quoteIdent(TAG_ACCOUNT)} = ${quoteString(q.account)}`,
    `${quoteIdent(TAG_INTERVAL)} = ${quoteString(String(q.intervalSec))}`,
  ];
  if (q.area !== undefined) where.push(`${quoteIdent(TAG_AREA)} = ${quoteString(q.area)}`);
  if (q.metrics?.length) where.push(`${quoteIdent(TAG_METRIC)} =~ ${exactAlternation(q.metrics)}`);
  where.push(`time > now() - ${Math.max(1, Math.floor(retentionSec))}s`);
  return `SELECT last(${quoteIdent(FIELD_VALUE)}) FROM ${quoteIdent(measurement)} WHERE ${where.join(' AND ')} GROUP BY ${quoteIdent(TAG_DOMAIN)}`;
}

interface QueryAnswer {
  results?: { error?: string; series?: { tags?: Record<string, string>; columns?: string[]; values?: unknown[][] }[] }[];
  error?: string;
}

export class InfluxRecovery implements RecoverySource {
  readonly #conn: Connection;
  readonly #o: Required<RecoveryOptions>;

  constructor(target: InfluxTarget, opts: RecoveryOptions) {
    this.#conn = connect(target);
    this.#o = { retentionSec: 90 * 86_400, requestDeadlineMs: 30_000, maxResponseBytes: 16 * 1024 * 1024, ...opts };
  }

  async newestBuckets(q: RecoveryQuery): Promise<Map<string, number>> {
    const label = this.#conn.label;
    const secrets = this.#conn.secrets;
    const fail = (kind: ErrorKind, what: string) => new CollectorError(kind, `${label}: cannot read the newest buckets of ${q.vendor}/${q.account}: ${what}`);
    const statement = newestBucketsQuery(this.#o.measurement, q, q.retentionSec ?? this.#o.retentionSec);
    const body = new URLSearchParams({ q: statement }).toString();
    let ex;
    try {
      ex = await exchange(this.#conn.endpoint, this.#conn.queryUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(this.#conn.authorization ? { authorization: this.#conn.authorization } : {}) },
        body,
        deadlineMs: this.#o.requestDeadlineMs,
        maxBodyBytes: this.#o.maxResponseBytes,
      });
    } catch (err) {
      // Worded as the writes word it: one line for InfluxDB being away, whichever part of the collector saw it.
      if (err instanceof ExchangeError) throw err.code === 'Timeout' ? new CollectorError('sink_timeout', `${label} timed out: ${err.message}`) : new CollectorError('sink_unreachable', `${label} unreachable: ${err.message}`);
      throw err;
    }
    const said = oneLine(ex.body, secrets) || '(no body)';
    if (ex.status === 401 || ex.status === 403) throw fail('sink_auth', `credentials refused (HTTP ${ex.status}): ${said}`);
    if (ex.status === 404) throw fail('sink_not_found', `HTTP 404: ${said}`);
    if (ex.status < 200 || ex.status >= 300) throw fail('sink_server', `HTTP ${ex.status}: ${said}`);
    if (ex.truncated) throw fail('sink_server', `the answer is larger than ${this.#o.maxResponseBytes} bytes`);
    let j: QueryAnswer;
    try {
      j = JSON.parse(ex.body) as QueryAnswer;
    } catch {
      throw fail('sink_server', `the answer is not JSON: ${said}`);
    }
    const err = j.error ?? j.results?.[0]?.error;
    if (err !== undefined) throw fail(/database not found|bucket.*not found/i.test(err) ? 'sink_not_found' : 'sink_server', oneLine(err, secrets));
    const wanted = new Set(q.domains);
    const out = new Map<string, number>();
    for (const s of j.results?.[0]?.series ?? []) {
      const domain = s.tags?.[TAG_DOMAIN];
      const t = s.values?.[0]?.[0];
      if (domain === undefined || !wanted.has(domain)) continue;
      // epoch=s: seconds; an RFC 3339 string when a server ignores it.
      const sec = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) / 1000 : NaN;
      if (!Number.isFinite(sec)) throw fail('sink_server', `a time that is not a time for ${domain}: ${oneLine(String(t), secrets)}`);
      out.set(domain, Math.floor(sec));
    }
    return out;
  }

  close(): void {
    this.#conn.endpoint.agent.destroy();
  }
}
