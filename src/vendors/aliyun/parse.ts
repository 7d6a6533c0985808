/**
 * Reading Alibaba answers: an answer is trusted only when it proves itself (issue 8): JSON, no error
 * object, the row container present and a list, `DomainName` the one asked, `DataInterval` the one
 * asked (real-time APIs silently switch to 300/3600 s for longer or older spans), every `TimeStamp`
 * a real UTC time with its zone. Values are passed on as they are (NaN + raw when not a number): the
 * core decides what is usable. Pure: no clock, no I/O.
 */
import type { VendorError } from '../../kernel/errors.js';
import type { HttpResponse } from '../../kernel/http.js';
import { statusMetric, type Sample } from '../../kernel/schema.js';
import type { CallOutcome, PageOutcome } from '../../kernel/vendor.js';
import type { Window } from '../../kernel/time.js';
import { API_INFO, STATUS_CLASSES, type AliyunApi } from './apis.js';

const MAX_MESSAGE = 200;

/** Alibaba error messages may quote the server's string to sign or our request: cut those off. */
export function scrub(text: string): string {
  const one = text
    .replace(/server string to sign is:?.*$/is, '')
    .replace(/\b(Signature|SecurityToken|AccessKeyId|AccessKeySecret|Credential|x-acs-security-token|authorization)\s*[=:]\s*[^\s,&;]+/gi, '$1=***')
    .replace(/ACS3-HMAC-SHA256\s+\S+/g, 'ACS3-HMAC-SHA256 ***')
    .replace(/\s+/g, ' ')
    .trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 1)}…` : one;
}

const UNAVAILABLE = /^(ServiceUnavailable|InternalError|ServiceBusy|InvalidDomain\.Configure_failed)/;
const AUTH = /^(SignatureDoesNotMatch|IncompleteSignature|InvalidAccessKeyId|InvalidSecurityToken|MissingSecurityToken|InvalidAccessKeySecret)/;
const CLOCK = /^(InvalidTimeStamp|SignatureNonceUsed)/;
const INVALID = /^(Invalid|Missing|Forbidden|OperationDenied|IllegalOperation|UnsupportedOperation|Unsupported)/;

/**
 * The kind of an Alibaba error answer, by `Code` first (throttling arrives as 400 or 503), HTTP
 * status second. `known` is false when neither says anything definite.
 */
export function classifyAliyun(status: number, body: unknown, headers: Readonly<Record<string, string>>): VendorError & { readonly known: boolean } {
  const b = (body !== null && typeof body === 'object' ? body : {}) as { Code?: unknown; Message?: unknown; RequestId?: unknown };
  const code = typeof b.Code === 'string' && b.Code !== '' ? b.Code : undefined;
  const requestId = typeof b.RequestId === 'string' ? b.RequestId : headers['x-acs-request-id'];
  const message = scrub(typeof b.Message === 'string' ? b.Message : code ? '' : `HTTP ${status}`);
  const base = { vendorCode: code ?? `HTTP${status}`, message, ...(requestId ? { requestId } : {}) };
  const k = (kind: VendorError['kind'], known = true) => ({ kind, ...base, known });
  if (code?.startsWith('Throttling') || status === 429) return k('throttled');
  if (code && CLOCK.test(code)) return k('clock');
  if (code && AUTH.test(code)) return k('auth');
  if (code?.startsWith('InvalidDomain.NotFound') || code?.startsWith('InvalidDomain.Offline')) return k('not_found');
  if (code && UNAVAILABLE.test(code)) return k('unavailable');
  if (status === 504) return k('timeout');
  if (status >= 500) return k('unavailable');
  if (code && INVALID.test(code)) return k('invalid');
  if (status === 401) return k('auth');
  return k('invalid', false);
}

function malformed(message: string, requestId?: string): CallOutcome & { ok: false } {
  return { ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: scrub(message), ...(requestId ? { requestId } : {}) } };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Epoch seconds of an Alibaba time, or a reason. The docs give UTC with `Z`; a time without a zone
 * must not be read in this machine's zone, and a date that does not exist (Feb 30) is refused.
 */
export function parseVendorTime(v: unknown): number | string {
  if (typeof v === 'string' && v.length === 20) {
    const fast = utcSecondsZ(v);
    if (fast !== undefined) return fast;
  }
  if (typeof v !== 'string') return `TimeStamp ${JSON.stringify(v) ?? 'undefined'} is not a time`;
  const m = TIME.exec(v);
  if (!m) return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v) ? `TimeStamp ${v} has no zone` : `TimeStamp ${JSON.stringify(v)} is not a time`;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return `TimeStamp ${v} is not a calendar time`;
  const zone = m[7]!;
  const offsetMin = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return utc / 1000 - offsetMin * 60;
}

/** The two decimal digits at `i`, or -1. */
function d2(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The documented form `YYYY-MM-DDThh:mm:ssZ` read digit by digit (one per row of every answer: the
 * regular expression and Date round trip of the general path cost more than the rest of the row);
 * undefined for anything else, which the general path then reads or refuses with its reason.
 */
function utcSecondsZ(v: string): number | undefined {
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 90) return undefined;
  const c = d2(v, 0);
  const yy = d2(v, 2);
  const mo = d2(v, 5);
  const d = d2(v, 8);
  const h = d2(v, 11);
  const mi = d2(v, 14);
  const s = d2(v, 17);
  if (c < 0 || yy < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined;
  const y = c * 100 + yy;
  // Date.UTC reads years 0-99 as 1900-1999: the general path refuses those.
  if (y < 100) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : DAYS[mo - 1]!)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

/** A value as sent: JSON numbers and numeric strings are numbers (negative and fractional too); anything else NaN. */
const NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

export function readValue(v: unknown): { value: number; raw?: string } {
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v } : { value: Number.NaN, raw: String(v) };
  if (typeof v === 'string' && NUMERIC.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return { value: n };
  }
  return { value: Number.NaN, raw: v === undefined ? '(absent)' : JSON.stringify(v) };
}

interface Asked {
  readonly api: AliyunApi;
  readonly domain: string;
  readonly window: Window;
}

/**
 * The samples of one data answer for one domain, or why the answer cannot be trusted.
 * A one-bucket window was asked with EndTime = its end (the vendor refuses EndTime = StartTime), and
 * the inclusive end brings the bucket at `toSec` along: only then are rows at or after `toSec` dropped.
 */
export function parseAliyunData(asked: Asked, res: HttpResponse): CallOutcome {
  const { api, domain, window: w } = asked;
  const info = API_INFO[api];
  const body = parseJson(res.body);
  if (res.status !== 200) {
    const { known: _known, ...error } = classifyAliyun(res.status, body, res.headers);
    return { ok: false, error };
  }
  if (body === undefined) return malformed(`${api}: the answer is not JSON`, res.headers['x-acs-request-id']);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return malformed(`${api}: the answer is not a JSON object`, res.headers['x-acs-request-id']);
  const b = body as Record<string, unknown>;
  const requestId = typeof b.RequestId === 'string' ? b.RequestId : res.headers['x-acs-request-id'];
  if (b.Code !== undefined && b.Code !== null) {
    // An error object with HTTP 200: a real vendor code is classified as such; anything else is not an answer.
    const c = classifyAliyun(res.status, b, res.headers);
    if (c.known) {
      const { known: _known, ...error } = c;
      return { ok: false, error };
    }
    return malformed(`${api}: error object ${JSON.stringify(b.Code)} in a 200 answer`, requestId);
  }
  if (b.DomainName !== undefined && b.DomainName !== null && (typeof b.DomainName !== 'string' || b.DomainName.toLowerCase() !== domain.toLowerCase())) {
    return malformed(`${api}: the answer is about ${JSON.stringify(b.DomainName)}, not ${domain}`, requestId);
  }
  const interval = readValue(b.DataInterval);
  if (interval.value !== w.granularitySec) {
    return malformed(`${api}: DataInterval ${b.DataInterval === undefined ? '(absent)' : JSON.stringify(b.DataInterval)} where ${w.granularitySec} s was asked for`, requestId);
  }
  const key = info.containers.find((k) => k in b) ?? info.containers[0]!;
  const container = b[key];
  const rowsKey = info.shape.kind === 'series' ? 'DataModule' : 'UsageData';
  if (container === undefined) return malformed(`${api}: ${key} is missing`, requestId);
  if (container === null || typeof container !== 'object' || Array.isArray(container)) return malformed(`${api}: ${key} is ${container === null ? 'null' : 'not an object'}`, requestId);
  const rows = (container as Record<string, unknown>)[rowsKey];
  if (!Array.isArray(rows)) return malformed(`${api}: ${key}.${rowsKey} is ${rows === undefined ? 'missing' : rows === null ? 'null' : 'not a list'}`, requestId);

  const dropFrom = w.toSec - w.fromSec === w.granularitySec ? w.toSec : Number.POSITIVE_INFINITY;
  const samples: Sample[] = [];
  const seen = new Set<number>();
  for (const row of rows as unknown[]) {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) return malformed(`${api}: a row of ${key}.${rowsKey} is not an object`, requestId);
    const r = row as Record<string, unknown>;
    const ts = parseVendorTime(r.TimeStamp);
    if (typeof ts === 'string') return malformed(`${api}: ${ts}`, requestId);
    if (ts >= dropFrom) continue;
    if (seen.has(ts)) return malformed(`${api}: TimeStamp ${String(r.TimeStamp)} appears twice`, requestId);
    seen.add(ts);
    // One object literal of one shape per sample (no spreads): the hot loop of a pass.
    if (info.shape.kind === 'series') {
      for (const [field, metric] of info.shape.fields) {
        const v = readValue(r[field]);
        samples.push({ domain, metric, intervalSec: w.granularitySec, tsSec: ts, value: v.value, raw: v.raw });
      }
      continue;
    }
    const codes = readCodes(r.Value, info.shape.list);
    if (typeof codes === 'string') return malformed(`${api}: ${String(r.TimeStamp)} ${codes}`, requestId);
    for (const c of codes) samples.push({ domain, metric: c.metric, intervalSec: w.granularitySec, tsSec: ts, value: c.value, raw: c.raw });
  }
  return { ok: true, samples };
}

/**
 * One bucket of a status-code answer: `Value.<list>[] = {Code, Count, Proportion}`. Count is the
 * number of responses with that code in the bucket (the counts we write); Proportion is its share
 * (percent in DescribeDomainSrcHttpCodeData's example, a fraction in the real-time one's) and is not
 * written. Class metrics are the sum of their codes, 0 when no code of the class was returned (an
 * empty list is the documented "no traffic"); a code whose Count is not a number makes it and its
 * class NaN, so the bucket stays owed.
 */
function readCodes(value: unknown, list: string): { metric: string; value: number; raw?: string }[] | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `Value is ${value === undefined ? 'missing' : value === null ? 'null' : 'not an object'}`;
  const entries = (value as Record<string, unknown>)[list];
  if (!Array.isArray(entries)) return `Value.${list} is ${entries === undefined ? 'missing' : entries === null ? 'null' : 'not a list'}`;
  const out: { metric: string; value: number; raw?: string }[] = [];
  const classes = new Map<string, { value: number; raws: string[] }>(STATUS_CLASSES.map((c) => [c, { value: 0, raws: [] }]));
  const seen = new Set<string>();
  for (const e of entries as unknown[]) {
    if (e === null || typeof e !== 'object') return `a ${list} entry is not an object`;
    const { Code: code, Count: count } = e as Record<string, unknown>;
    const c = typeof code === 'number' ? String(code) : code;
    if (typeof c !== 'string' || !/^[1-5]\d\d$/.test(c)) return `status code ${JSON.stringify(code) ?? 'undefined'} is not an HTTP status code`;
    if (seen.has(c)) return `status code ${c} is listed twice`;
    seen.add(c);
    const v = readValue(count);
    out.push({ metric: statusMetric(c), ...v });
    // A 1xx code is written as itself, but there is no 1xx class metric (CONTRACT.md: status_2xx … status_5xx).
    const acc = classes.get(`${c[0]}xx`);
    if (!acc) continue;
    acc.value += v.value;
    if (v.raw !== undefined) acc.raws.push(`${c}=${v.raw}`);
  }
  for (const [cls, acc] of classes) out.push({ metric: statusMetric(cls), value: acc.value, ...(acc.raws.length ? { raw: acc.raws.join(',') } : {}) });
  return out;
}

export function parseUserDomainsPage(cursor: number, pageSize: number, res: HttpResponse): PageOutcome {
  const body = parseJson(res.body) as Record<string, unknown> | undefined | null;
  if (res.status !== 200) {
    const { known: _known, ...error } = classifyAliyun(res.status, body, res.headers);
    return { ok: false, error };
  }
  const requestId = body && typeof body.RequestId === 'string' ? body.RequestId : undefined;
  const bad = (message: string): PageOutcome => ({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message, ...(requestId ? { requestId } : {}) } });
  if (!body || typeof body !== 'object') return bad('DescribeUserDomains: the answer is not a JSON object');
  if (body.Code !== undefined && body.Code !== null) {
    const c = classifyAliyun(res.status, body, res.headers);
    if (c.known) {
      const { known: _known, ...error } = c;
      return { ok: false, error };
    }
    return bad(`DescribeUserDomains: error object ${JSON.stringify(body.Code)} in a 200 answer`);
  }
  const page = (body.Domains as { PageData?: unknown } | undefined | null)?.PageData;
  if (!Array.isArray(page)) return bad('DescribeUserDomains: Domains.PageData is missing or not a list');
  const domains: string[] = [];
  for (const d of page as unknown[]) {
    const name = (d as { DomainName?: unknown } | null)?.DomainName;
    if (typeof name !== 'string' || name === '') return bad('DescribeUserDomains: a domain without DomainName');
    domains.push(name);
  }
  const total = readValue(body.TotalCount).value;
  if (!Number.isInteger(total) || total < 0) return bad(`DescribeUserDomains: TotalCount ${JSON.stringify(body.TotalCount)} is not a count`);
  const more = page.length === pageSize && (cursor + 1) * pageSize < total;
  return { ok: true, domains, ...(more ? { next: cursor + 1 } : {}) };
}
