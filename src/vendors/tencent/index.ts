/**
 * Tencent Cloud CDN DescribeOriginData, ten metrics (VENDORS.md part B,
 * https://cloud.tencent.com/document/api/228/30986):
 * - times are strings in the request's TimeZone (default UTC+08:00) with no zone in the text; the
 *   interval [StartTime, EndTime] is closed and floored to the granularity; Time labels a bucket's start;
 * - Interval `min` only for spans ≤ 24 h (and not overseas), `5min`/`hour` ≤ 31 days, `day` beyond, 90 days at most;
 * - up to 30 domains per call, with Detail=true for one series per domain, except the status-code
 *   metrics, which do not take Detail: those need a call per domain;
 * - errors come back as HTTP 200 with Response.Error; 20 calls/s.
 */
import { Metrics, statusMetric } from '../../metrics/schema.js';
import { hashAccount } from '../../state/store.js';
import { parseNumber, safeJson } from '../encode.js';
import type { CallOutcome, CallSpec, Discovery, HttpRequest, HttpResponse, PageOutcome, Sample, SignContext, StreamSpec, VendorAdapter, VendorError } from '../types.js';
import { tc3Authorization } from './sign.js';

export const TENCENT_METRIC_IDS = ['flux', 'bandwidth', 'request', 'failRequest', 'failRate', 'statusCode', '2xx', '3xx', '4xx', '5xx'] as const;
export type TencentMetric = (typeof TENCENT_METRIC_IDS)[number];
export type TencentInterval = 'min' | '5min' | 'hour' | 'day';

const VERSION = '2018-06-06';
const SERVICE = 'cdn';
const API = 'DescribeOriginData';
const DISCOVERY_API = 'DescribeDomains';
const DAY = 86_400;
/** The offset the collector always sends as TimeZone, and formats and parses times in. */
export const TZ = 'UTC+08:00';
const TZ_OFFSET_SEC = 8 * 3600;

const NO_DETAIL: ReadonlySet<string> = new Set(['statusCode', '2xx', '3xx', '4xx', '5xx']);
const METRIC_NAME: Record<string, string> = {
  flux: Metrics.TRAFFIC_BYTES,
  bandwidth: Metrics.BANDWIDTH_BPS,
  request: Metrics.REQUESTS,
  failRequest: Metrics.FAILED_REQUESTS,
  failRate: Metrics.FAIL_RATE_PCT,
};

const INTERVAL: Record<TencentInterval, { g: number; maxSpanSec: number; cadence: string; cadenceSec: number }> = {
  min: { g: 60, maxSpanSec: DAY, cadence: '* * * * *', cadenceSec: 60 },
  '5min': { g: 300, maxSpanSec: 31 * DAY, cadence: '*/5 * * * *', cadenceSec: 300 },
  hour: { g: 3600, maxSpanSec: 31 * DAY, cadence: '2 * * * *', cadenceSec: 3600 },
  day: { g: DAY, maxSpanSec: 90 * DAY, cadence: '7 * * * *', cadenceSec: 3600 },
};

export interface TencentConfig {
  readonly endpoint: string;
  readonly secretId: string;
  readonly domains: readonly string[];
  readonly metrics: readonly TencentMetric[];
  readonly interval: TencentInterval;
  readonly area: 'mainland' | 'overseas';
  readonly ratePerSec: number;
  readonly settleMs: number;
}

/** `2026-11-20 08:00:00` in UTC+8 for an epoch second. */
export function toBeijing(sec: number): string {
  return new Date((sec + TZ_OFFSET_SEC) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The epoch second of a UTC+8 `YYYY-MM-DD hh:mm:ss`; NaN when it is not one. */
export function fromBeijing(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return NaN;
  return Date.parse(`${s.replace(' ', 'T')}+08:00`) / 1000;
}

/** Maps a metric of the answer (`flux`, `2xx`, `404`) to the contract's metric name. */
export function contractMetric(name: string): string | undefined {
  if (METRIC_NAME[name]) return METRIC_NAME[name];
  if (/^[1-5]xx$/i.test(name) || /^[1-5]\d\d$/.test(name)) return statusMetric(name);
  return undefined;
}

function streamsFor(cfg: TencentConfig): StreamSpec[] {
  const iv = INTERVAL[cfg.interval];
  return cfg.metrics.map((m) => ({
    id: `${m}-${cfg.interval}-${cfg.area}`,
    api: `${API} ${m}`,
    rateKey: API,
    cadence: iv.cadence,
    cadenceSec: iv.cadenceSec,
    rules: {
      // Retention of this API is not documented; its span limit is 90 days, so that is what is asked.
      tiers: [{ granularitySec: iv.g, maxSpanSec: iv.maxSpanSec, retentionSec: 90 * DAY, ...(iv.g === DAY ? { alignOffsetSec: -TZ_OFFSET_SEC } : {}) }],
      settleSec: cfg.settleMs / 1000,
    },
    maxDomainsPerCall: NO_DETAIL.has(m) ? 1 : 30,
  }));
}

function sign(cfg: TencentConfig, action: string, body: string, ctx: SignContext): HttpRequest {
  const url = new URL('/', cfg.endpoint);
  const ts = Math.floor(ctx.nowMs / 1000);
  const { secretId = '', secretKey = '', sessionToken } = ctx.credentials;
  const contentType = 'application/json';
  const authorization = tc3Authorization(
    { method: 'POST', host: url.hostname, path: '/', query: '', contentType, payload: body, timestampSec: ts, service: SERVICE },
    secretId,
    secretKey,
  );
  return {
    method: 'POST',
    url: url.toString(),
    headers: {
      // The official signer signs the host name without a port; sending exactly that as Host keeps
      // the signature valid for a server that checks against the Host header too (proxies, tests).
      host: url.hostname,
      'content-type': contentType,
      'x-tc-action': action,
      'x-tc-version': VERSION,
      'x-tc-timestamp': String(ts),
      ...(sessionToken ? { 'x-tc-token': sessionToken } : {}),
      authorization,
    },
    body,
  };
}

const RETRY_UNAVAILABLE = /^(InternalError|ServiceUnavailable|ResourceUnavailable)/;

export function classifyTencent(status: number, body: unknown): VendorError | undefined {
  const r = (body as { Response?: { Error?: { Code?: string; Message?: string }; RequestId?: string } } | undefined)?.Response;
  if (status !== 200 && !r?.Error) {
    return { kind: status >= 500 || status === 429 ? (status === 429 ? 'throttled' : 'unavailable') : 'invalid', vendorCode: `HTTP${status}`, message: '' };
  }
  if (!r) return { kind: 'response', vendorCode: 'MalformedResponse', message: 'no Response object' };
  if (!r.Error) return undefined;
  const code = r.Error.Code ?? 'UnknownError';
  const base = { vendorCode: code, message: r.Error.Message ?? '', ...(r.RequestId ? { requestId: r.RequestId } : {}) };
  if (code.startsWith('RequestLimitExceeded')) return { kind: 'throttled', ...base };
  if (RETRY_UNAVAILABLE.test(code)) return { kind: 'unavailable', ...base };
  if (code === 'AuthFailure.SignatureExpire') return { kind: 'clock', ...base };
  if (code.startsWith('AuthFailure')) return { kind: 'auth', ...base };
  if (code.startsWith('ResourceNotFound')) return { kind: 'not_found', ...base };
  return { kind: 'invalid', ...base };
}

export function parseOriginData(call: CallSpec, res: HttpResponse): CallOutcome {
  const body = safeJson(res.body);
  const err = classifyTencent(res.status, body);
  if (err) return { ok: false, error: err };
  const r = (body as { Response: { Data?: unknown; RequestId?: string } }).Response;
  const requestId = r.RequestId;
  const bad = (message: string): CallOutcome => ({ ok: false, error: { kind: 'response', vendorCode: 'MalformedResponse', message, ...(requestId ? { requestId } : {}) } });
  if (!Array.isArray(r.Data)) return bad('Response.Data is not a list');
  const g = call.window.granularitySec;
  // Interval comes as a name (`5min`) or, in the doc's example, as minutes (5).
  const served = (r as { Interval?: unknown }).Interval;
  const servedSec = typeof served === 'number' ? served * 60 : typeof served === 'string' ? INTERVAL[served as TencentInterval]?.g : undefined;
  if (servedSec !== undefined && servedSec !== g) return bad(`Interval ${String(served)} where ${g} s was asked for`);
  const samples: Sample[] = [];
  const badBuckets: string[] = [];
  const single = call.domains.length === 1 ? call.domains[0] : undefined;
  for (const item of r.Data as { Resource?: unknown; OriginData?: unknown }[]) {
    const resource = typeof item?.Resource === 'string' ? item.Resource : '';
    // One domain asked without Detail comes back under its own name, or merged names; it is that domain's series.
    const domain = call.domains.includes(resource) ? resource : single;
    if (!domain) continue;
    if (!Array.isArray(item.OriginData)) return bad('OriginData is not a list');
    for (const od of item.OriginData as { Metric?: unknown; DetailData?: unknown }[]) {
      const metric = typeof od?.Metric === 'string' ? contractMetric(od.Metric) : undefined;
      if (!metric) continue;
      if (!Array.isArray(od.DetailData)) return bad(`DetailData of ${String(od.Metric)} is not a list`);
      for (const p of od.DetailData as { Time?: unknown; Value?: unknown }[]) {
        const ts = typeof p?.Time === 'string' ? fromBeijing(p.Time) : NaN;
        if (!Number.isFinite(ts)) {
          badBuckets.push(`${String(od.Metric)} Time ${JSON.stringify(p?.Time)} is not a time`);
          continue;
        }
        const v = parseNumber(p.Value);
        if (v === undefined) badBuckets.push(`${String(od.Metric)} ${p.Time} Value ${JSON.stringify(p.Value)} is not a number`);
        else samples.push({ domain, metric, intervalSec: g, tsSec: ts, value: v });
      }
    }
  }
  return { ok: true, samples, badBuckets };
}

export function createTencentAdapter(cfg: TencentConfig): VendorAdapter {
  const limit = 1000;
  const discovery: Discovery = {
    api: DISCOVERY_API,
    rateKey: DISCOVERY_API,
    buildPage: (cursor, ctx) => sign(cfg, DISCOVERY_API, JSON.stringify({ Offset: cursor, Limit: limit, Filters: [{ Name: 'status', Value: ['online'] }] }), ctx),
    parsePage(cursor, res): PageOutcome {
      const body = safeJson(res.body);
      const err = classifyTencent(res.status, body);
      if (err) return { ok: false, error: err };
      const r = (body as { Response: { Domains?: unknown; TotalNumber?: unknown } }).Response;
      if (!Array.isArray(r.Domains)) return { ok: false, error: { kind: 'response', vendorCode: 'MalformedResponse', message: 'Response.Domains is not a list' } };
      // A global domain serves both areas; a mainland-only one has no overseas data and vice versa.
      const domains = (r.Domains as { Domain?: unknown; Status?: unknown; Area?: unknown }[])
        .filter((d) => typeof d.Domain === 'string' && (d.Status === undefined || d.Status === 'online'))
        .filter((d) => d.Area === undefined || d.Area === 'global' || d.Area === cfg.area)
        .map((d) => d.Domain as string);
      const total = parseNumber(r.TotalNumber) ?? 0;
      const next = cursor + limit;
      return { ok: true, domains, ...((r.Domains as unknown[]).length > 0 && next < total ? { next } : {}) };
    },
  };
  return {
    vendor: 'tencent',
    accountKey: hashAccount('tencent', cfg.secretId, cfg.endpoint, cfg.area),
    streams: streamsFor(cfg),
    configuredDomains: cfg.domains,
    discovery,
    rateLimit: (key) => (key === API ? cfg.ratePerSec : 20),
    buildCall(call: CallSpec, ctx: SignContext): HttpRequest {
      const metric = call.stream.id.split('-')[0]!;
      const { fromSec, toSec, granularitySec: g } = call.window;
      // Closed interval, floored to the granularity: the last bucket's start is the end.
      const body: Record<string, unknown> = {
        StartTime: toBeijing(fromSec),
        EndTime: toBeijing(toSec - g),
        Metric: metric,
        Domains: call.domains,
        Interval: cfg.interval,
        Area: cfg.area,
        TimeZone: TZ,
      };
      if (!NO_DETAIL.has(metric)) body.Detail = true;
      return sign(cfg, API, JSON.stringify(body), ctx);
    },
    parseCall: parseOriginData,
  };
}
