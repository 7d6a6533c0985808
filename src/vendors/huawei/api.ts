/**
 * Huawei Cloud Live traffic as this collector speaks it (README.md has the facts and links):
 * ListDomainTrafficDetail `GET /v2/{project_id}/stats/traffic/detail` (current platform) and the
 * legacy ShowTraffic `GET /v1/{project_id}/stream/traffic` (seed 004), ShowDomain for discovery.
 * Pure: time and credentials come in as arguments.
 */
import { Metrics, type Sample } from '../../kernel/schema.js';
import type { CallOutcome, CallSpec, HttpRequest, HttpResponse, PageOutcome, SignContext, VendorError } from '../../kernel/vendor.js';
import { isoSeconds, parseNumber, safeJson, vendorMessage } from '../encode.js';
import { apigAuthorization, apigEncode, sdkDate } from './sign.js';

export const HUAWEI_API_IDS = ['stats/traffic/detail', 'stream/traffic'] as const;
export type HuaweiApi = (typeof HUAWEI_API_IDS)[number];
export const API_NAME: Readonly<Record<HuaweiApi, string>> = { 'stats/traffic/detail': 'ListDomainTrafficDetail', 'stream/traffic': 'ShowTraffic' };
export const DOMAIN_API = 'ShowDomain';
/** Both APIs are read at 5-minute buckets (v2 `interval=300`; v1 only has 5 minutes). */
export const G = 300;

/** A signed APIG GET; the project id is a credential and comes from the call's context. */
export function signedGet(endpoint: string, path: string, query: Readonly<Record<string, string>>, ctx: SignContext): HttpRequest {
  const base = new URL(endpoint);
  const { ak = '', sk = '', securityToken, projectId = '' } = ctx.credentials;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: base.host,
    'x-project-id': projectId,
    'x-sdk-date': sdkDate(ctx.nowMs),
    ...(securityToken ? { 'x-security-token': securityToken } : {}),
  };
  const authorization = apigAuthorization({ method: 'GET', path, query, headers, body: '' }, ak, sk);
  const url = new URL(path, base);
  // The query is sent exactly as it was signed (the canonical query encodes as apigEncode does).
  url.search = Object.keys(query)
    .sort()
    .map((k) => `${apigEncode(k)}=${apigEncode(query[k]!)}`)
    .join('&');
  return { method: 'GET', url: url.toString(), headers: { ...headers, authorization } };
}

export function projectPath(version: 'v1' | 'v2', projectId: string, rest: string): string {
  return `/${version}/${encodeURIComponent(projectId)}/${rest}`;
}

/** The request of one traffic call: one domain (several come back merged), start on a boundary, end one second before the next. */
export function trafficRequest(api: HuaweiApi, endpoint: string, call: CallSpec, ctx: SignContext): HttpRequest {
  const { fromSec, toSec } = call.window;
  const times = { start_time: isoSeconds(fromSec), end_time: isoSeconds(toSec - 1) };
  const projectId = ctx.credentials.projectId ?? '';
  return api === 'stats/traffic/detail'
    ? signedGet(endpoint, projectPath('v2', projectId, api), { play_domains: call.domains.join(','), interval: String(G), ...times }, ctx)
    : signedGet(endpoint, projectPath('v1', projectId, api), { domain: call.domains.join(','), ...times }, ctx);
}

const malformed = (message: string, requestId?: string): VendorError => ({ kind: 'malformed', vendorCode: 'Malformed', message, ...(requestId ? { requestId } : {}) });

/**
 * Error classes by code first (APIG: https://support.huaweicloud.com/devg-apisign/api-sign-errorcode.html;
 * Live: https://support.huaweicloud.com/api-live/ErrorCode.html), HTTP status second.
 */
export function classifyHuawei(status: number, code: string | undefined): VendorError['kind'] {
  if (code === 'APIGW.0308' || code === 'APIG.0308' || status === 429) return 'throttled';
  // APIGW.0301–0307 (IAM/app authentication, access denied, token to be renewed), 0310 project
  // unavailable, 0311 project id refused: the account's credentials or rights, not this call.
  if (code && /^APIGW?\.03(0[1-7]|1[01])$/.test(code)) return 'auth';
  if (status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 && code !== 'APIGW.0101') return 'not_found';
  return 'invalid';
}

type ErrorBody = { error_code?: unknown; error_msg?: unknown; error?: { code?: unknown; message?: unknown; error_code?: unknown; error_msg?: unknown }; request_id?: unknown };

/** The error an answer carries (any status, HTTP 200 included), if it carries one. */
function errorOf(res: HttpResponse, body: unknown): VendorError | undefined {
  const b = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as ErrorBody;
  const codeRaw = b.error_code ?? b.error?.code ?? b.error?.error_code;
  const code = typeof codeRaw === 'string' && codeRaw ? codeRaw : undefined;
  const requestId = res.headers['x-request-id'] ?? (typeof b.request_id === 'string' ? b.request_id : undefined);
  const rid = requestId ? { requestId } : {};
  if (code) {
    const kind = classifyHuawei(res.status, code);
    // An error object inside an HTTP 200 is an answer that cannot be trusted: retried like a server
    // error, unless its code says throttling or refused credentials.
    return { kind: res.status === 200 && kind === 'invalid' ? 'malformed' : kind, vendorCode: code, message: vendorMessage(b.error_msg ?? b.error?.message ?? b.error?.error_msg), ...rid };
  }
  if (res.status !== 200) return { kind: classifyHuawei(res.status, undefined), vendorCode: `HTTP${res.status}`, message: vendorMessage(res.body), ...rid };
  return undefined;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return `not a list (${typeof v})`;
}

const ZONED = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch seconds of an ISO time that carries its zone and names a real calendar time; NaN otherwise. */
export function zonedSeconds(s: string): number {
  const m = ZONED.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const day = new Date(Date.UTC(y!, mo! - 1, d!));
  // Date.parse rolls 2026-02-30 over to March; a calendar check refuses it.
  if (day.getUTCMonth() !== mo! - 1 || day.getUTCDate() !== d! || h! > 23 || mi! > 59 || se! > 59) return NaN;
  return Date.parse(s) / 1000;
}

/**
 * One traffic answer, trusted only when it proves itself: no error object (HTTP 200 ones included),
 * the list (`data_list` v2, `traffic_info` v1) present and a list, every time a zoned
 * (`yyyy-MM-ddTHH:mm:ssZ`) calendar time. Times are returned as they are: an off-grid time (60 s
 * rows in a 300 s answer) is refused by the core, never aligned here. Values that are not numbers
 * come back as NaN with their raw text.
 */
export function parseTraffic(api: HuaweiApi, call: CallSpec, res: HttpResponse): CallOutcome {
  const body = safeJson(res.body);
  const err = errorOf(res, body);
  if (err) return { ok: false, error: err };
  const requestId = res.headers['x-request-id'];
  const bad = (message: string): CallOutcome => ({ ok: false, error: malformed(message, requestId) });
  if (body === undefined) return bad('the answer is not JSON');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('the answer is not a JSON object');
  const [listKey, valueKey, timeKey] = api === 'stats/traffic/detail' ? ['data_list', 'value', 'time'] : ['traffic_info', 'traffic', 'timestamp'];
  const rows = (body as Record<string, unknown>)[listKey];
  if (!Array.isArray(rows)) return bad(`${listKey} is ${describe(rows)}`);
  // One domain per call: the rows carry no domain label, so the asked domain is the only one they can be.
  if (call.domains.length !== 1) return bad(`${call.domains.length} domains in one call; their series would be merged`);
  const domain = call.domains[0]!;
  const samples: Sample[] = [];
  for (const row of rows as unknown[]) {
    const p = (row ?? {}) as Record<string, unknown>;
    const t = p[timeKey];
    const ts = typeof t === 'string' ? zonedSeconds(t) : NaN;
    if (!Number.isFinite(ts)) return bad(`${timeKey} ${JSON.stringify(t) ?? 'missing'} is not a time with its zone`);
    const v = parseNumber(p[valueKey]);
    samples.push(v === undefined ? { domain, metric: Metrics.PLAY_TRAFFIC_BYTES, intervalSec: G, tsSec: ts, value: NaN, raw: JSON.stringify(p[valueKey]) ?? 'missing' } : { domain, metric: Metrics.PLAY_TRAFFIC_BYTES, intervalSec: G, tsSec: ts, value: v });
  }
  return { ok: true, samples };
}

/** ShowDomain: pull (play) domains of the project that are on; one page holds them all. */
export function parseDomains(res: HttpResponse): PageOutcome {
  const body = safeJson(res.body);
  const err = errorOf(res, body);
  if (err) return { ok: false, error: err };
  const requestId = res.headers['x-request-id'];
  if (body === undefined) return { ok: false, error: malformed('the answer is not JSON', requestId) };
  const list = (body as { domain_info?: unknown } | null)?.domain_info;
  if (!Array.isArray(list)) return { ok: false, error: malformed(`domain_info is ${describe(list)}`, requestId) };
  const domains: string[] = [];
  for (const d of list as unknown[]) {
    const x = (d ?? {}) as { domain?: unknown; domain_type?: unknown; status?: unknown };
    if (typeof x.domain !== 'string' || !x.domain) return { ok: false, error: malformed('a domain without its name', requestId) };
    if (x.domain_type === 'pull' && x.status === 'on') domains.push(x.domain);
  }
  return { ok: true, domains };
}
