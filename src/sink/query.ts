/**
 * `verify`: the points InfluxDB holds for one vendor account, area and interval in a range, over
 * InfluxQL `/query` (1.x, and the v1-compatible endpoint of 2.x/3.x), bounded like every exchange.
 */
import { CollectorError, type ErrorKind } from '../kernel/errors.js';
import { FIELD_VALUE, TAG_ACCOUNT, TAG_AREA, TAG_DOMAIN, TAG_INTERVAL, TAG_METRIC, TAG_VENDOR } from '../kernel/schema.js';
import type { PointSource } from '../ports.js';
import { exchange, ExchangeError, oneLine } from './http.js';
import { exactAlternation, quoteIdent, quoteString } from './recovery.js';
import { connect, type Connection, type InfluxTarget } from './target.js';

interface Answer {
  results?: { error?: string; series?: { tags?: Record<string, string>; values?: unknown[][] }[] }[];
  error?: string;
}

export class InfluxPoints implements PointSource {
  readonly #conn: Connection;
  readonly #measurement: string;
  readonly #deadlineMs: number;

  constructor(target: InfluxTarget, o: { measurement: string; requestDeadlineMs: number }) {
    this.#conn = connect(target);
    this.#measurement = o.measurement;
    this.#deadlineMs = o.requestDeadlineMs;
  }

  async pointsIn(q: Parameters<PointSource['pointsIn']>[0]): Promise<Map<string, number>> {
    const label = this.#conn.label;
    const fail = (kind: ErrorKind, what: string) => new CollectorError(kind, `${label}: cannot read ${q.vendor}/${q.account} points: ${what}`);
    const where = [
      `${quoteIdent(TAG_VENDOR)} = ${quoteString(q.vendor)}`,
      `${quoteIdent(TAG_ACCOUNT)} = ${quoteString(q.account)}`,
      `${quoteIdent(TAG_INTERVAL)} = ${quoteString(String(q.intervalSec))}`,
      q.area !== undefined ? `${quoteIdent(TAG_AREA)} = ${quoteString(q.area)}` : `${quoteIdent(TAG_AREA)} = ''`,
      `${quoteIdent(TAG_METRIC)} =~ ${exactAlternation(q.metrics)}`,
      `${quoteIdent(TAG_DOMAIN)} =~ ${exactAlternation(q.domains)}`,
      `time >= ${q.fromSec}s AND time < ${q.toSec}s`,
    ];
    const statement = `SELECT ${quoteIdent(FIELD_VALUE)} FROM ${quoteIdent(this.#measurement)} WHERE ${where.join(' AND ')} GROUP BY ${quoteIdent(TAG_DOMAIN)}, ${quoteIdent(TAG_METRIC)}`;
    let ex;
    try {
      ex = await exchange(this.#conn.endpoint, this.#conn.queryUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(this.#conn.authorization ? { authorization: this.#conn.authorization } : {}) },
        body: new URLSearchParams({ q: statement, epoch: 's' }).toString(),
        deadlineMs: this.#deadlineMs,
        maxBodyBytes: 256 * 1024 * 1024,
      });
    } catch (err) {
      if (err instanceof ExchangeError) throw fail(err.code === 'Timeout' ? 'sink_timeout' : 'sink_unreachable', err.message);
      throw err;
    }
    const said = oneLine(ex.body, this.#conn.secrets) || '(no body)';
    if (ex.status === 401 || ex.status === 403) throw fail('sink_auth', `credentials refused (HTTP ${ex.status}): ${said}`);
    if (ex.status < 200 || ex.status >= 300) throw fail(ex.status === 404 ? 'sink_not_found' : 'sink_server', `HTTP ${ex.status}: ${said}`);
    let j: Answer;
    try {
      j = JSON.parse(ex.body) as Answer;
    } catch {
      throw fail('sink_server', `the answer is not JSON: ${said}`);
    }
    const err = j.error ?? j.results?.[0]?.error;
    if (err !== undefined) throw fail('sink_server', oneLine(err, this.#conn.secrets));
    const out = new Map<string, number>();
    for (const s of j.results?.[0]?.series ?? []) {
      const domain = s.tags?.[TAG_DOMAIN] ?? '';
      const metric = s.tags?.[TAG_METRIC] ?? '';
      for (const row of s.values ?? []) {
        const t = typeof row[0] === 'number' ? row[0] : Date.parse(String(row[0])) / 1000;
        out.set(`${domain}|${metric}|${Math.floor(t)}`, Number(row[1]));
      }
    }
    return out;
  }
}
