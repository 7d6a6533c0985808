/**
 * Alibaba Cloud CDN (API 2018-05-10), three back-to-origin APIs. Facts: VENDORS.md part A.
 * - DescribeDomainSrcTrafficData: 300/3600/86400 s, spans < 3/31/366 days, kept 93/186/366 days, 100 calls/s.
 *   https://help.aliyun.com/zh/cdn/developer-reference/api-cdn-2018-05-10-describedomainsrctrafficdata
 * - DescribeDomainRealTimeSrcTrafficData / ...SrcBpsData: 1-minute data only for spans ≤ 1 h inside
 *   the last 7 days (longer spans silently switch to 300/3600 s), 10 calls/s each.
 * Several domains in one call come back merged into one series, so every call carries one domain.
 * EndTime is inclusive (20:00–20:01 returns 20:00 and 20:01) and must be later than StartTime. A call
 * for [from, to) sends EndTime = to and the core drops the bucket at `to`: that needs no special case
 * for one-bucket windows and loses nothing should the end ever be exclusive. So that the inclusive
 * span still fits the limits (1 h for 60 s data; under 3/31/366 days for 300/3600/86400 s), windows are
 * one bucket shorter than the limit.
 */
import { createHash } from 'node:crypto';
import { Metrics } from '../../metrics/schema.js';
import { hashAccount } from '../../state/store.js';
import { isoSeconds, parseNumber, safeJson } from '../encode.js';
import type {
  CallOutcome,
  CallSpec,
  Discovery,
  HttpRequest,
  HttpResponse,
  PageOutcome,
  Sample,
  SignContext,
  StreamSpec,
  VendorAdapter,
  VendorError,
} from '../types.js';
import { EMPTY_SHA256, acs3Authorization, rpcSignature } from './sign.js';

export const ALIYUN_APIS = ['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'] as const;
export type AliyunApi = (typeof ALIYUN_APIS)[number];
const VERSION = '2018-05-10';
const DISCOVERY_API = 'DescribeUserDomains';
const DAY = 86_400;

export interface AliyunConfig {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly domains: readonly string[];
  readonly apis: readonly AliyunApi[];
  readonly signatureVersion: 'acs3' | 'rpc';
  /** Calls per second per account, by API name (DescribeUserDomains included). */
  readonly ratePerSec: Readonly<Record<string, number>>;
  readonly realTimeSettleMs: number;
  readonly srcTrafficSettleMs: number;
}

function streamsFor(cfg: AliyunConfig): StreamSpec[] {
  const realTime = (api: AliyunApi): StreamSpec => ({
    id: api,
    api,
    rateKey: api,
    cadence: '* * * * *',
    cadenceSec: 60,
    rules: { tiers: [{ granularitySec: 60, maxSpanSec: 3600 - 60, retentionSec: 7 * DAY }], settleSec: cfg.realTimeSettleMs / 1000 },
    maxDomainsPerCall: 1,
  });
  const all: Record<AliyunApi, StreamSpec> = {
    DescribeDomainSrcTrafficData: {
      id: 'DescribeDomainSrcTrafficData',
      api: 'DescribeDomainSrcTrafficData',
      rateKey: 'DescribeDomainSrcTrafficData',
      cadence: '*/5 * * * *',
      cadenceSec: 300,
      rules: {
        tiers: [
          { granularitySec: 300, maxSpanSec: 3 * DAY - 600, retentionSec: 93 * DAY },
          { granularitySec: 3600, maxSpanSec: 31 * DAY - 2 * 3600, retentionSec: 186 * DAY },
          // Daily slices are Beijing days (data "available 04:00 the next day"); UNCONFIRMED, see README.
          { granularitySec: DAY, maxSpanSec: 366 * DAY - 2 * DAY, retentionSec: 366 * DAY, alignOffsetSec: -8 * 3600 },
        ],
        settleSec: cfg.srcTrafficSettleMs / 1000,
      },
      maxDomainsPerCall: 1,
    },
    DescribeDomainRealTimeSrcTrafficData: realTime('DescribeDomainRealTimeSrcTrafficData'),
    DescribeDomainRealTimeSrcBpsData: realTime('DescribeDomainRealTimeSrcBpsData'),
  };
  return cfg.apis.map((a) => all[a]);
}

/** Signs a request to an RPC-style action in the configured style. */
export function buildAliyunRequest(
  cfg: Pick<AliyunConfig, 'endpoint' | 'signatureVersion'>,
  action: string,
  params: Readonly<Record<string, string>>,
  ctx: SignContext,
): HttpRequest {
  const { accessKeyId = '', accessKeySecret = '', securityToken } = ctx.credentials;
  const base = new URL(cfg.endpoint);
  const date = isoSeconds(Math.floor(ctx.nowMs / 1000));
  if (cfg.signatureVersion === 'rpc') {
    const all: Record<string, string> = {
      ...params,
      Action: action,
      Version: VERSION,
      Format: 'JSON',
      AccessKeyId: accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: ctx.nonce,
      Timestamp: date,
      ...(securityToken ? { SecurityToken: securityToken } : {}),
    };
    const signature = rpcSignature('GET', all, accessKeySecret);
    const url = new URL('/', base);
    url.search = new URLSearchParams({ ...all, Signature: signature }).toString().replace(/\+/g, '%20');
    return { method: 'GET', url: url.toString(), headers: { accept: 'application/json' } };
  }
  const query = { ...params, Format: 'JSON' };
  const headers: Record<string, string> = {
    host: base.host,
    'x-acs-action': action,
    'x-acs-version': VERSION,
    'x-acs-date': date,
    'x-acs-signature-nonce': ctx.nonce,
    'x-acs-content-sha256': EMPTY_SHA256,
    ...(securityToken ? { 'x-acs-security-token': securityToken } : {}),
  };
  const authorization = acs3Authorization({ method: 'POST', pathname: '/', query, headers, payloadSha256: EMPTY_SHA256 }, accessKeyId, accessKeySecret);
  const url = new URL('/', base);
  url.search = new URLSearchParams(query).toString().replace(/\+/g, '%20');
  return { method: 'POST', url: url.toString(), headers: { ...headers, accept: 'application/json', authorization } };
}

const RETRY_UNAVAILABLE = /^(ServiceUnavailable|InternalError|ServiceBusy|InvalidDomain\.Configure_failed)/;
const AUTH = /^(SignatureDoesNotMatch|IncompleteSignature|InvalidAccessKeyId|InvalidSecurityToken|MissingSecurityToken)/;
const CLOCK = /^(InvalidTimeStamp|SignatureNonceUsed)/;

/** Maps an Alibaba error answer to a kind, by code first (throttling comes with 400 or 503). */
export function classifyAliyun(status: number, body: unknown, headers: Readonly<Record<string, string>>): VendorError {
  const b = (body ?? {}) as { Code?: string; Message?: string; RequestId?: string };
  const code = typeof b.Code === 'string' ? b.Code : `HTTP${status}`;
  const requestId = b.RequestId ?? headers['x-acs-request-id'];
  const base = { vendorCode: code, message: '', ...(requestId ? { requestId } : {}) };
  if (code.startsWith('Throttling') || status === 429) return { kind: 'throttled', ...base };
  if (RETRY_UNAVAILABLE.test(code) || status >= 500) return { kind: 'unavailable', ...base };
  if (CLOCK.test(code)) return { kind: 'clock', ...base };
  if (AUTH.test(code)) return { kind: 'auth', ...base };
  if (code.startsWith('InvalidDomain.NotFound') || code.startsWith('InvalidDomain.Offline')) return { kind: 'not_found', ...base };
  return { kind: 'invalid', ...base, message: typeof b.Message === 'string' ? b.Message : '' };
}

/** Where the slices are: the current models say SrcTrafficDataPerInterval; the older doc (seed 000) SrcFlowDataPerInterval. */
const DATA_KEYS: Record<AliyunApi, string[]> = {
  DescribeDomainSrcTrafficData: ['SrcTrafficDataPerInterval', 'SrcFlowDataPerInterval'],
  DescribeDomainRealTimeSrcTrafficData: ['RealTimeSrcTrafficDataPerInterval'],
  DescribeDomainRealTimeSrcBpsData: ['RealTimeSrcBpsDataPerInterval'],
};

const FIELDS: Record<AliyunApi, [string, string][]> = {
  DescribeDomainSrcTrafficData: [
    ['Value', Metrics.TRAFFIC_BYTES],
    ['HttpsValue', Metrics.HTTPS_TRAFFIC_BYTES],
  ],
  DescribeDomainRealTimeSrcTrafficData: [['Value', Metrics.TRAFFIC_BYTES]],
  DescribeDomainRealTimeSrcBpsData: [['Value', Metrics.BANDWIDTH_BPS]],
};

export function parseAliyunData(api: AliyunApi, domain: string, expectedIntervalSec: number, res: HttpResponse): CallOutcome {
  const body = safeJson(res.body) as Record<string, unknown> | undefined;
  if (res.status !== 200) return { ok: false, error: classifyAliyun(res.status, body, res.headers) };
  const requestId = typeof body?.RequestId === 'string' ? body.RequestId : undefined;
  const bad = (message: string): CallOutcome => ({ ok: false, error: { kind: 'response', vendorCode: 'MalformedResponse', message, ...(requestId ? { requestId } : {}) } });
  if (!body || typeof body !== 'object') return bad('the answer is not JSON');
  const interval = parseNumber(body.DataInterval);
  if (interval !== undefined && interval !== expectedIntervalSec) {
    return bad(`DataInterval ${interval} s where ${expectedIntervalSec} s was asked for`);
  }
  const key = DATA_KEYS[api].find((k) => k in body) ?? DATA_KEYS[api][0]!;
  const container = body[key] as { DataModule?: unknown } | undefined;
  const modules = container?.DataModule ?? [];
  if (!Array.isArray(modules)) return bad(`${key}.DataModule is not a list`);
  const samples: Sample[] = [];
  const badBuckets: string[] = [];
  for (const m of modules as Record<string, unknown>[]) {
    const ts = typeof m?.TimeStamp === 'string' ? Date.parse(m.TimeStamp) : NaN;
    if (!Number.isFinite(ts)) {
      badBuckets.push(`TimeStamp ${JSON.stringify(m?.TimeStamp)} is not a time`);
      continue;
    }
    const tsSec = Math.floor(ts / 1000);
    for (const [field, metric] of FIELDS[api]) {
      if (!(field in m) && field === 'HttpsValue') continue; // older answers carry Value only
      const v = parseNumber(m[field]);
      if (v === undefined) badBuckets.push(`${m.TimeStamp} ${field} ${JSON.stringify(m[field])} is not a number`);
      else samples.push({ domain, metric, intervalSec: expectedIntervalSec, tsSec, value: v });
    }
  }
  return { ok: true, samples, badBuckets };
}

export function parseUserDomainsPage(cursor: number, pageSize: number, res: HttpResponse): PageOutcome {
  const body = safeJson(res.body) as Record<string, unknown> | undefined;
  if (res.status !== 200) return { ok: false, error: classifyAliyun(res.status, body, res.headers) };
  const page = (body?.Domains as { PageData?: unknown } | undefined)?.PageData;
  if (!Array.isArray(page)) return { ok: false, error: { kind: 'response', vendorCode: 'MalformedResponse', message: 'Domains.PageData is missing' } };
  const domains = page.map((d) => (d as { DomainName?: unknown }).DomainName).filter((d): d is string => typeof d === 'string');
  const total = parseNumber(body?.TotalCount) ?? 0;
  const more = page.length === pageSize && (cursor + 1) * pageSize < total;
  return { ok: true, domains, ...(more ? { next: cursor + 1 } : {}) };
}

export function createAliyunAdapter(cfg: AliyunConfig): VendorAdapter {
  const pageSize = 500;
  const discovery: Discovery = {
    api: DISCOVERY_API,
    rateKey: DISCOVERY_API,
    buildPage: (cursor, ctx) =>
      buildAliyunRequest(cfg, DISCOVERY_API, { PageNumber: String(cursor + 1), PageSize: String(pageSize), DomainStatus: 'online' }, ctx),
    parsePage: (cursor, res) => parseUserDomainsPage(cursor, pageSize, res),
  };
  return {
    vendor: 'aliyun',
    accountKey: hashAccount('aliyun', cfg.accessKeyId, createHash('sha256').update(cfg.endpoint).digest('hex')),
    streams: streamsFor(cfg),
    configuredDomains: cfg.domains,
    discovery,
    rateLimit: (key) => cfg.ratePerSec[key] ?? 10,
    buildCall(call: CallSpec, ctx: SignContext): HttpRequest {
      const api = call.stream.api as AliyunApi;
      const { fromSec, toSec, granularitySec: g } = call.window;
      // EndTime = to: see the note at the top of this file.
      const params: Record<string, string> = {
        DomainName: call.domains.join(','),
        StartTime: isoSeconds(fromSec),
        EndTime: isoSeconds(toSec),
      };
      if (api === 'DescribeDomainSrcTrafficData') params.Interval = String(g);
      return buildAliyunRequest(cfg, api, params, ctx);
    },
    parseCall(call: CallSpec, res: HttpResponse): CallOutcome {
      return parseAliyunData(call.stream.api as AliyunApi, call.domains[0]!, call.window.granularitySec, res);
    },
  };
}
