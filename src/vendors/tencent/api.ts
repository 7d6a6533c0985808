/**
 * Tencent Cloud CDN API 2018-06-06 as this collector speaks it: DescribeOriginData
 * (https://cloud.tencent.com/document/api/228/30986, seed 003) and DescribeDomains
 * (https://cloud.tencent.com/document/api/228/41118). Requests, error classes and the rules an
 * answer must meet before it is trusted. Pure: time and credentials come in as arguments.
 */
import { Metrics, statusMetric, type Sample } from '../../kernel/schema.js';
import type { CallOutcome, CallSpec, HttpRequest, HttpResponse, PageOutcome, SignContext, VendorError } from '../../kernel/vendor.js';
import { parseNumber, safeJson, vendorMessage } from '../encode.js';
import { tc3Authorization, type Tc3KeyCache } from './sign.js';

export const TENCENT_METRIC_IDS = ['flux', 'bandwidth', 'request', 'failRequest', 'failRate', 'statusCode', '2xx', '3xx', '4xx', '5xx'] as const;
export type TencentMetric = (typeof TENCENT_METRIC_IDS)[number];
export const TENCENT_INTERVALS = ['min', '5min', 'hour', 'day'] as const;
export type TencentInterval = (typeof TENCENT_INTERVALS)[number];
export const TENCENT_AREAS = ['mainland', 'overseas'] as const;
export type TencentArea = (typeof TENCENT_AREAS)[number];

export const ORIGIN_API = 'DescribeOriginData';
export const DOMAINS_API = 'DescribeDomains';
const VERSION = '2018-06-06';
const SERVICE = 'cdn';
/** The offset the collector always sends as TimeZone, and formats and parses times in. */
export const TZ = 'UTC+08:00';
export const TZ_OFFSET_SEC = 8 * 3600;
export const INTERVAL_SEC: Readonly<Record<TencentInterval, number>> = { min: 60, '5min': 300, hour: 3600, day: 86_400 };

/** Status-code metrics do not take Detail (doc: "statusCode 指标暂不支持"): one domain per call. */
export const NO_DETAIL: ReadonlySet<TencentMetric> = new Set(['statusCode', '2xx', '3xx', '4xx', '5xx']);

const PLAIN: Readonly<Partial<Record<TencentMetric, string>>> = {
  flux: Metrics.TRAFFIC_BYTES,
  bandwidth: Metrics.BANDWIDTH_BPS,
  request: Metrics.REQUESTS,
  failRequest: Metrics.FAILED_REQUESTS,
  failRate: Metrics.FAIL_RATE_PCT,
};

/** The contract metrics a stream of this Tencent metric always holds (concrete codes vary, so only classes). */
export function declaredMetrics(m: TencentMetric): string[] {
  if (m === 'statusCode') return ['2xx', '3xx', '4xx', '5xx'].map(statusMetric);
  return [PLAIN[m] ?? statusMetric(m)];
}

/**
 * The contract metric for a `Metric` label of an answer to a call for `asked`, or undefined when the
 * label does not belong to that call: `flux` answers `flux`; `4xx` answers `4xx` and codes `4dd`;
 * `statusCode` answers the four classes.
 */
export function answerMetric(asked: TencentMetric, label: string): string | undefined {
  if (PLAIN[asked]) return label === asked ? PLAIN[asked] : undefined;
  if (asked === 'statusCode') return /^[2-5]xx$/.test(label) ? statusMetric(label) : undefined;
  const cls = asked[0]!;
  return label === asked || new RegExp(`^${cls}\\d\\d$`).test(label) ? statusMetric(label) : undefined;
}

/** `2026-11-20 08:00:00` in UTC+8 for an epoch second. */
export function toBeijing(sec: number): string {
  return new Date((sec + TZ_OFFSET_SEC) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The epoch second of a UTC+8 `YYYY-MM-DD hh:mm:ss` that names a real calendar time; NaN otherwise. */
export function fromBeijing(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return NaN;
  const sec = Date.parse(`${s.replace(' ', 'T')}+08:00`) / 1000;
  // Date.parse rolls 2026-02-30 over to March; the round trip refuses it.
  return Number.isFinite(sec) && toBeijing(sec) === s ? sec : NaN;
}

/** The endpoint as requests need it, parsed once per adapter rather than on every call. */
export interface TencentEndpoint {
  /** Host name without port: what the official signer signs. */
  readonly hostname: string;
  /** `scheme://host[:port]/`: every action is a POST to `/`. */
  readonly href: string;
}

export function tencentEndpoint(endpoint: string): TencentEndpoint {
  const u = new URL('/', endpoint);
  return { hostname: u.hostname, href: u.href };
}

/** Signs a POST of `action` with TC3-HMAC-SHA256; the credentials come from the call's context. */
export function signedPost(endpoint: string | TencentEndpoint, action: string, body: string, ctx: SignContext, keys?: Tc3KeyCache): HttpRequest {
  const url = typeof endpoint === 'string' ? tencentEndpoint(endpoint) : endpoint;
  const ts = Math.floor(ctx.nowMs / 1000);
  const { secretId = '', secretKey = '', sessionToken } = ctx.credentials;
  const contentType = 'application/json';
  const authorization = tc3Authorization({ method: 'POST', host: url.hostname, path: '/', query: '', contentType, payload: body, timestampSec: ts, service: SERVICE }, secretId, secretKey, keys);
  return {
    method: 'POST',
    url: url.href,
    headers: {
      // The official signer signs the host name without a port; sending exactly that as Host keeps
      // the signature valid for a server that checks against the Host header too (proxies, tests).
      host: url.hostname,
      'content-type': contentType,
      'x-tc-action': action,
      'x-tc-version': VERSION,
      'x-tc-timestamp': String(ts),
      // Sent unsigned, as the SDK sends it (https://cloud.tencent.com/document/api/228/30977).
      ...(sessionToken ? { 'x-tc-token': sessionToken } : {}),
      authorization,
    },
    body,
  };
}

/** The request body of one DescribeOriginData call: the closed interval of the window's bucket starts. */
export function originDataBody(metric: TencentMetric, interval: TencentInterval, area: TencentArea, call: CallSpec): string {
  const { fromSec, toSec, granularitySec: g } = call.window;
  return JSON.stringify({
    StartTime: toBeijing(fromSec),
    // EndTime is inclusive and floored to the granularity: the last bucket's start ends the window.
    EndTime: toBeijing(toSec - g),
    Metric: metric,
    Domains: call.domains,
    Interval: interval,
    ...(NO_DETAIL.has(metric) ? {} : { Detail: true }),
    Area: area,
    TimeZone: TZ,
  });
}

const malformed = (message: string, requestId?: string): VendorError => ({ kind: 'malformed', vendorCode: 'Malformed', message, ...(requestId ? { requestId } : {}) });

/**
 * Error classes by Tencent code first (https://cloud.tencent.com/document/api/228/15694 and the
 * codes of DescribeOriginData), HTTP status second. Codes answer with HTTP 200 and Response.Error.
 */
export function classifyCode(code: string): VendorError['kind'] {
  if (code.startsWith('RequestLimitExceeded') || code === 'LimitExceeded.CdnHostOpTooOften') return 'throttled';
  if (/^(InternalError|ServiceUnavailable|ResourceUnavailable|InvalidParameter\.CdnInterfaceError)/.test(code)) return 'unavailable';
  if (code === 'AuthFailure.SignatureExpire') return 'clock';
  // Unknown key, bad signature or token, a sub-account without rights, a suspended or missing CDN service: the account's problem.
  if (code.startsWith('AuthFailure') || code.startsWith('UnauthorizedOperation') || code === 'ResourceNotFound.CdnUserNotExists') return 'auth';
  if (code.startsWith('ResourceNotFound')) return 'not_found';
  return 'invalid';
}

function httpKind(status: number): VendorError['kind'] {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  return 'invalid';
}

type TencentBody = { Response?: { Error?: { Code?: unknown; Message?: unknown }; RequestId?: unknown; [k: string]: unknown } };

/** The `Response` of a trusted answer, or the error the answer is. */
export function responseOf(res: HttpResponse): { ok: true; r: Record<string, unknown>; requestId?: string } | { ok: false; error: VendorError } {
  const body = safeJson(res.body) as TencentBody | undefined;
  const r = body !== null && typeof body === 'object' && !Array.isArray(body) ? body.Response : undefined;
  const requestId = typeof r?.RequestId === 'string' ? r.RequestId : undefined;
  const rid = requestId ? { requestId } : {};
  const e = r?.Error;
  if (e !== undefined) {
    const code = typeof e?.Code === 'string' && e.Code ? e.Code : undefined;
    if (!code) return { ok: false, error: malformed('Response.Error carries no Code', requestId) };
    return { ok: false, error: { kind: classifyCode(code), vendorCode: code, message: vendorMessage(e.Message), ...rid } };
  }
  if (res.status !== 200) return { ok: false, error: { kind: httpKind(res.status), vendorCode: `HTTP${res.status}`, message: vendorMessage(res.body), ...rid } };
  if (body === undefined) return { ok: false, error: malformed('the answer is not JSON') };
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return { ok: false, error: malformed('the answer has no Response object') };
  return { ok: true, r: r as Record<string, unknown>, ...rid };
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return `not a list (${typeof v})`;
}

/** The interval an answer says it is in: a name (`5min`, as the output table documents) or minutes (5, as seed 003 shows). */
function servedIntervalSec(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v * 60;
  if (typeof v === 'string') return (INTERVAL_SEC as Record<string, number>)[v];
  return undefined;
}

/**
 * A DescribeOriginData answer, trusted only when it proves itself: Response.Data a list; every item
 * labelled (`Resource`) with a domain that was asked, once; Interval the asked one; every Time a
 * real UTC+8 time string; Metric labels belonging to the asked metric. Values that are not numbers
 * come back as NaN with their raw text (the core reports them); nothing is dropped or aligned here.
 */
export function parseOriginData(metric: TencentMetric, call: CallSpec, res: HttpResponse): CallOutcome {
  const head = responseOf(res);
  if (!head.ok) return head;
  const { r, requestId } = head;
  const bad = (message: string): CallOutcome => ({ ok: false, error: malformed(message, requestId) });
  if (!Array.isArray(r.Data)) return bad(`Response.Data is ${describe(r.Data)}`);
  const g = call.window.granularitySec;
  const served = servedIntervalSec(r.Interval);
  if (served !== g) return bad(`Interval ${JSON.stringify(r.Interval) ?? 'missing'} where ${g} s was asked for`);
  const samples: Sample[] = [];
  const seen = new Set<string>();
  // Every series of an answer repeats the same times (10,800 points, 360 times in a Detail call of
  // 1-minute data): each is parsed once, not once per point (issue 12: 31 % of a backfill's CPU).
  const times = new Map<string, number>();
  for (const item of r.Data as unknown[]) {
    const it = (item ?? {}) as { Resource?: unknown; OriginData?: unknown };
    const resource = it.Resource;
    // With one domain and no Detail the series comes back under that domain's own name (seed 003);
    // a merged label (several names, "all", "multiDomains") is not one domain's series.
    if (typeof resource !== 'string' || !call.domains.includes(resource)) return bad(`Resource ${JSON.stringify(resource) ?? 'missing'} was not asked for`);
    if (seen.has(resource)) return bad(`Resource ${resource} appears twice`);
    seen.add(resource);
    if (!Array.isArray(it.OriginData)) return bad(`OriginData of ${resource} is ${describe(it.OriginData)}`);
    for (const od of it.OriginData as unknown[]) {
      const o = (od ?? {}) as { Metric?: unknown; DetailData?: unknown };
      const name = typeof o.Metric === 'string' ? answerMetric(metric, o.Metric) : undefined;
      if (!name) return bad(`Metric ${JSON.stringify(o.Metric) ?? 'missing'} in an answer for ${metric}`);
      if (!Array.isArray(o.DetailData)) return bad(`DetailData of ${resource} ${String(o.Metric)} is ${describe(o.DetailData)}`);
      for (const p of o.DetailData as unknown[]) {
        const pt = (p ?? {}) as { Time?: unknown; Value?: unknown };
        let ts = NaN;
        if (typeof pt.Time === 'string') {
          const known = times.get(pt.Time);
          ts = known ?? fromBeijing(pt.Time);
          if (known === undefined) times.set(pt.Time, ts);
        }
        if (!Number.isFinite(ts)) return bad(`Time ${JSON.stringify(pt.Time) ?? 'missing'} is not a ${TZ} time`);
        const v = parseNumber(pt.Value);
        samples.push(v === undefined ? { domain: resource, metric: name, intervalSec: g, tsSec: ts, value: NaN, raw: JSON.stringify(pt.Value) ?? 'missing' } : { domain: resource, metric: name, intervalSec: g, tsSec: ts, value: v });
      }
    }
  }
  return { ok: true, samples };
}

/** Page size of DescribeDomains (Limit: 1 to 1000). */
export const DOMAINS_PAGE = 1000;

export function domainsBody(offset: number): string {
  return JSON.stringify({ Offset: offset, Limit: DOMAINS_PAGE, Filters: [{ Name: 'status', Value: ['online'] }] });
}

/**
 * One DescribeDomains page: every online domain of the account, whatever its Area. A domain not
 * accelerated in an area is still collected there: the vendor answers zero traffic for it (README).
 */
export function parseDomainsPage(cursor: number, res: HttpResponse): PageOutcome {
  const head = responseOf(res);
  if (!head.ok) return head;
  const { r, requestId } = head;
  if (!Array.isArray(r.Domains)) return { ok: false, error: malformed(`Response.Domains is ${describe(r.Domains)}`, requestId) };
  const total = parseNumber(r.TotalNumber);
  if (total === undefined) return { ok: false, error: malformed('Response.TotalNumber is not a number', requestId) };
  const domains: string[] = [];
  for (const d of r.Domains as unknown[]) {
    const x = (d ?? {}) as { Domain?: unknown; Status?: unknown };
    if (typeof x.Domain !== 'string' || !x.Domain) return { ok: false, error: malformed('a domain without its Domain name', requestId) };
    if (x.Status === undefined || x.Status === 'online') domains.push(x.Domain);
  }
  const next = cursor + DOMAINS_PAGE;
  return { ok: true, domains, ...((r.Domains as unknown[]).length > 0 && next < total ? { next } : {}) };
}
