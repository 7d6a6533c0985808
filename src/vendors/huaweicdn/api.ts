/**
 * Huawei Cloud CDN ShowDomainStats and ListDomains: request building, answer checking and error
 * classification. Pure: time, nonce and credentials come in as arguments. Facts and links: README.md.
 */
import { Metrics, statusMetric, type Sample } from '../../kernel/schema.js';
import type { CallOutcome, CallSpec, HttpRequest, HttpResponse, PageOutcome, SignContext, VendorError, VendorErrorKind } from '../../kernel/vendor.js';
import { parseNumber, safeJson, vendorMessage } from '../encode.js';
import { apigAuthorization, apigEncode, sdkDate } from '../huawei/sign.js';

export const STATS_PATH = '/v1.0/cdn/statistics/domain-stats';
export const DOMAINS_PATH = '/v1.0/cdn/domains';
export const STATS_API = 'ShowDomainStats';
export const DOMAINS_API = 'ListDomains';
const DAY = 86_400;

/** The back-to-source stat_types and the contract metric each becomes (CONTRACT.md "What is written"). */
export const BS_METRICS = {
  bs_flux: Metrics.TRAFFIC_BYTES,
  bs_bw: Metrics.BANDWIDTH_BPS,
  bs_num: Metrics.REQUESTS,
  bs_fail_num: Metrics.FAILED_REQUESTS,
  bs_http_code_2xx: statusMetric('2xx'),
  bs_http_code_3xx: statusMetric('3xx'),
  bs_http_code_4xx: statusMetric('4xx'),
  bs_http_code_5xx: statusMetric('5xx'),
} as const;
export type BsMetric = keyof typeof BS_METRICS;
export const BS_METRIC_NAMES = Object.keys(BS_METRICS) as BsMetric[];

/** Per call: up to 20 domains and 5 stat_types (ShowDomainStats "功能介绍"). */
export const MAX_DOMAINS_PER_CALL = 20;
export const MAX_METRICS_PER_CALL = 5;
export const RETENTION_SEC = 90 * DAY;
/**
 * Longest [start, end) per interval, from the SDK model of the `interval` parameter
 * (model_show_domain_stats_request.go: "300(5分钟)：最大查询跨度2天 - 3600(1小时)：最大查询跨度7天 -
 * 86400(1天)：最大查询跨度31天"). A reference note says 7 d / 31 d / 31 d; the stricter reading is
 * taken: it is correct under either and only costs backfill a few more calls.
 */
export const MAX_SPAN_SEC: Readonly<Record<number, number>> = { 300: 7 * DAY, 3600: 31 * DAY, 86400: 31 * DAY };
export const INTERVALS = [300, 3600, 86400] as const;
/** Daily buckets start at 00:00 UTC+8 (16:00 UTC the day before). */
export const DAILY_OFFSET_SEC = -8 * 3600;
/** ListDomains allows 1..10000 a page; 1000 keeps one page's body small (each domain carries its origin list). */
export const DOMAINS_PAGE_SIZE = 1000;

export interface RequestTarget {
  readonly endpoint: string;
  /** enterprise_project_id, mandatory for IAM users of accounts with enterprise projects. */
  readonly enterpriseProjectId?: string;
}

/**
 * Signs a GET with APIG SDK-HMAC-SHA256 over every header sent. Global service: no project id;
 * the account (domain) id goes in `X-Domain-Id` when configured (the SDK's GlobalCredentials), and an
 * STS token in `X-Security-Token`, both signed.
 */
export function buildSignedGet(target: RequestTarget, path: string, query: Readonly<Record<string, string>>, ctx: SignContext): HttpRequest {
  const base = new URL(target.endpoint);
  const { ak = '', sk = '', securityToken, domainId } = ctx.credentials;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: base.host,
    'x-sdk-date': sdkDate(ctx.nowMs),
    ...(domainId ? { 'x-domain-id': domainId } : {}),
    ...(securityToken ? { 'x-security-token': securityToken } : {}),
  };
  const authorization = apigAuthorization({ method: 'GET', path, query, headers, body: '' }, ak, sk);
  const basePath = base.pathname.replace(/\/$/, '');
  const search = Object.keys(query)
    .sort()
    .map((k) => `${apigEncode(k)}=${apigEncode(query[k]!)}`)
    .join('&');
  return { method: 'GET', url: `${base.protocol}//${base.host}${basePath}${path}${search ? `?${search}` : ''}`, headers: { ...headers, authorization } };
}

export function statsQuery(call: CallSpec, statTypes: readonly BsMetric[], target: RequestTarget): Record<string, string> {
  const { fromSec, toSec, granularitySec } = call.window;
  return {
    action: 'detail',
    // Epoch milliseconds, half-open [start, end), both on the interval's grid.
    start_time: String(fromSec * 1000),
    end_time: String(toSec * 1000),
    domain_name: call.domains.join(','),
    stat_type: statTypes.join(','),
    interval: String(granularitySec),
    // One series per domain; without it the domains come back summed into one series.
    group_by: 'domain',
    ...(target.enterpriseProjectId ? { enterprise_project_id: target.enterpriseProjectId } : {}),
  };
}

export function domainsQuery(cursor: number, target: RequestTarget): Record<string, string> {
  return {
    page_size: String(DOMAINS_PAGE_SIZE),
    page_number: String(cursor + 1),
    domain_status: 'online',
    ...(target.enterpriseProjectId ? { enterprise_project_id: target.enterpriseProjectId } : {}),
  };
}

/** One short line without credentials: the shared scrubber, and long opaque runs (signatures, tokens) cut out too. */
export function scrub(text: string): string {
  return vendorMessage(text.replace(/[A-Za-z0-9+/_=-]{64,}/g, '***'));
}

function malformed(message: string, requestId: string | undefined): { ok: false; error: VendorError } {
  return { ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: scrub(message), ...(requestId ? { requestId } : {}) } };
}

/** Codes with a meaning of their own; anything else is decided by the HTTP status. */
const CODE_KINDS: Readonly<Record<string, VendorErrorKind>> = {
  // CDN: parameter error (400); time error and interval error, both answered with HTTP 200.
  'CDN.0001': 'invalid',
  'CDN.0202': 'invalid',
  'CDN.0203': 'invalid',
  // CDN internal error.
  'CDN.0000': 'unavailable',
  // API Gateway (https://support.huaweicloud.com/devg-apisign/api-sign-errorcode.html family).
  'APIGW.0308': 'throttled',
  'APIGW.0301': 'auth',
  'APIGW.0302': 'auth',
  'APIGW.0303': 'auth',
  'APIGW.0305': 'auth',
  'APIGW.0306': 'auth',
  'APIGW.0101': 'invalid',
};

function kindOfCode(code: string): VendorErrorKind | undefined {
  // The gateway's codes appear as APIGW.xxxx; some pages spell them APIG.xxxx.
  return CODE_KINDS[code] ?? CODE_KINDS[code.replace(/^APIG\./, 'APIGW.')];
}

function kindOfStatus(status: number): VendorErrorKind {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  return 'invalid';
}

interface ErrorShape {
  readonly code: string;
  readonly message: string;
  readonly requestId?: string;
}

/** `{"error":{"error_code","error_msg"}}` (CDN), `{"error_code","error_msg"}` (API Gateway), or nothing. */
export function errorObject(body: unknown): ErrorShape | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const inner = b.error && typeof b.error === 'object' && !Array.isArray(b.error) ? (b.error as Record<string, unknown>) : undefined;
  const code = inner?.error_code ?? inner?.code ?? b.error_code;
  const msg = inner?.error_msg ?? inner?.message ?? b.error_msg;
  if (typeof code !== 'string' && typeof msg !== 'string' && !inner) return undefined;
  const requestId = typeof b.request_id === 'string' ? b.request_id : undefined;
  return { code: typeof code === 'string' && code ? code : 'Unknown', message: typeof msg === 'string' ? msg : '', ...(requestId ? { requestId } : {}) };
}

/** A failed answer: by the vendor's code first, the HTTP status second. */
export function classify(res: HttpResponse, body: unknown): VendorError {
  const err = errorObject(body);
  const requestId = res.headers['x-request-id'] ?? err?.requestId;
  const code = err?.code ?? `HTTP${res.status}`;
  const kind = kindOfCode(code) ?? kindOfStatus(res.status);
  const message = scrub(err ? err.message : typeof body === 'undefined' ? res.body : '');
  return { kind, vendorCode: code, message, ...(requestId ? { requestId } : {}) };
}

/**
 * Checks one ShowDomainStats answer against the call and turns it into samples.
 * `{"result":{"<domain>":{"<stat_type>":[v0, v1, …]}}}`: value i is the bucket at start_time + i × interval.
 */
export function parseStats(call: CallSpec, statTypes: readonly BsMetric[], res: HttpResponse): CallOutcome {
  const requestId = res.headers['x-request-id'];
  const body = safeJson(res.body);
  if (res.status !== 200) return { ok: false, error: classify(res, body) };
  if (body === undefined) return malformed(`the answer is not JSON (${res.body.length} bytes)`, requestId);
  if (!body || typeof body !== 'object' || Array.isArray(body)) return malformed('the answer is not a JSON object', requestId);
  const err = errorObject(body);
  if (err) {
    // CDN.0202/CDN.0203 come with HTTP 200; an error object with a code we do not know is not trusted either.
    const kind = kindOfCode(err.code);
    if (!kind) return malformed(`an error object in a 200 answer: ${err.code} ${err.message}`, requestId ?? err.requestId);
    const rid = requestId ?? err.requestId;
    return { ok: false, error: { kind, vendorCode: err.code, message: scrub(err.message), ...(rid ? { requestId: rid } : {}) } };
  }
  const b = body as Record<string, unknown>;
  const { fromSec, toSec, granularitySec: g } = call.window;
  // Echoed parameters (ShowDomainStatsResponse start_time/end_time/interval) must be the asked ones.
  if (b.interval !== undefined && Number(b.interval) !== g) return malformed(`interval ${JSON.stringify(b.interval)} in the answer, ${g} asked`, requestId);
  if (b.start_time !== undefined && Number(b.start_time) !== fromSec * 1000) return malformed(`start_time ${JSON.stringify(b.start_time)} in the answer, ${fromSec * 1000} asked`, requestId);
  if (b.end_time !== undefined && Number(b.end_time) !== toSec * 1000) return malformed(`end_time ${JSON.stringify(b.end_time)} in the answer, ${toSec * 1000} asked`, requestId);
  if (!('result' in b)) return malformed('result is missing', requestId);
  const result = b.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return malformed(`result is ${result === null ? 'null' : Array.isArray(result) ? 'a list' : typeof result}, not an object`, requestId);
  const buckets = (toSec - fromSec) / g;
  const asked = new Set(call.domains);
  const samples: Sample[] = [];
  let served = 0;
  const byDomain = result as Record<string, unknown>;
  for (const domain of Object.keys(byDomain)) {
    if (!asked.has(domain)) {
      // Without group_by the result is keyed by stat_type: a merged series must never pass for a domain.
      return malformed(statTypes.includes(domain as BsMetric) ? `result holds a merged series (${domain}), not one per domain` : `result holds the domain ${domain}, which was not asked`, requestId);
    }
    const series = byDomain[domain];
    if (series === null || typeof series !== 'object' || Array.isArray(series)) return malformed(`result.${domain} is not an object`, requestId);
    const s = series as Record<string, unknown>;
    for (const key of Object.keys(s)) if (!statTypes.includes(key as BsMetric)) return malformed(`result.${domain} holds ${key}, which was not asked`, requestId);
    for (const stat of statTypes) {
      const values = s[stat];
      if (!Array.isArray(values)) return malformed(`result.${domain}.${stat} is ${values === undefined ? 'missing' : 'not a list'}`, requestId);
      if (values.length > buckets) return malformed(`result.${domain}.${stat} holds ${values.length} values for ${buckets} buckets`, requestId);
      // Only buckets that may still be missing (not final yet) may be absent at the end of the list.
      const lastAt = fromSec + values.length * g;
      if (values.length < buckets && lastAt < call.finalBeforeSec) {
        return malformed(`result.${domain}.${stat} holds ${values.length} values for ${buckets} buckets; final buckets are missing`, requestId);
      }
      served = Math.max(served, values.length);
      values.forEach((v, i) => {
        const n = parseNumber(v);
        samples.push({
          domain,
          metric: BS_METRICS[stat],
          intervalSec: g,
          tsSec: fromSec + i * g,
          value: n ?? Number.NaN,
          ...(n === undefined ? { raw: v === undefined ? 'undefined' : JSON.stringify(v) } : {}),
        });
      });
    }
  }
  // "如果域名在查询时间段内无数据，结果将不返回该域名的信息" (domain_name, model_show_domain_stats_request.go):
  // a domain without data in the period is left out, which says zero for each of its buckets.
  const zeroBuckets = served > 0 ? served : buckets;
  for (const domain of call.domains) {
    if (domain in byDomain) continue;
    for (const stat of statTypes) for (let i = 0; i < zeroBuckets; i++) samples.push({ domain, metric: BS_METRICS[stat], intervalSec: g, tsSec: fromSec + i * g, value: 0 });
  }
  return { ok: true, samples };
}

/** One ListDomains page: `{total, domains:[{domain_name, domain_status, …}]}`. */
export function parseDomainsPage(cursor: number, res: HttpResponse): PageOutcome {
  const requestId = res.headers['x-request-id'];
  const body = safeJson(res.body);
  if (res.status !== 200) return { ok: false, error: classify(res, body) };
  if (body === undefined) return malformed(`the domain list is not JSON (${res.body.length} bytes)`, requestId);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return malformed('the domain list is not an object', requestId);
  const err = errorObject(body);
  if (err) {
    const kind = kindOfCode(err.code);
    if (!kind) return malformed(`an error object in a 200 answer: ${err.code} ${err.message}`, requestId);
    return { ok: false, error: { kind, vendorCode: err.code, message: scrub(err.message), ...(requestId ? { requestId } : {}) } };
  }
  const b = body as { total?: unknown; domains?: unknown };
  if (!Array.isArray(b.domains)) return malformed(`domains is ${b.domains === null ? 'null' : b.domains === undefined ? 'missing' : 'not a list'}`, requestId);
  if (typeof b.total !== 'number' || !Number.isInteger(b.total) || b.total < 0) return malformed(`total ${JSON.stringify(b.total)} is not a count`, requestId);
  const domains: string[] = [];
  for (const d of b.domains as unknown[]) {
    const item = d as { domain_name?: unknown; domain_status?: unknown } | null;
    if (!item || typeof item.domain_name !== 'string' || !item.domain_name) return malformed('a domain without domain_name', requestId);
    // Asked with domain_status=online; a domain in another state is not collected (it serves nothing).
    if (item.domain_status === 'online') domains.push(item.domain_name);
  }
  const seen = cursor * DOMAINS_PAGE_SIZE + b.domains.length;
  const more = b.domains.length === DOMAINS_PAGE_SIZE && seen < b.total;
  return { ok: true, domains, ...(more ? { next: cursor + 1 } : {}) };
}
