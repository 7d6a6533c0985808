/**
 * Huawei Cloud Live traffic (VENDORS.md part C):
 * - current platform, ListDomainTrafficDetail `GET /v2/{project_id}/stats/traffic/detail`
 *   (https://support.huaweicloud.com/api-live/ListDomainTrafficDetail.html): start on an interval
 *   boundary, end one second before the next boundary, span ≤ 31 days, one year of history;
 * - legacy platform, ShowTraffic `GET /v1/{project_id}/stream/traffic` (seed 004): 5-minute buckets,
 *   3 months of history, span ≤ 30 days, an end without a start is illegal.
 * Both label a bucket by its start, in UTC, values in bytes. Several domains in one call come back
 * merged, so every call carries one domain. Errors: `{error_code, error_msg}` and APIG.* codes.
 */
import { Metrics } from '../../metrics/schema.js';
import { hashAccount } from '../../state/store.js';
import { alignDown } from '../../core/window.js';
import { isoSeconds, parseNumber, safeJson } from '../encode.js';
import type { CallOutcome, CallSpec, Discovery, HttpRequest, HttpResponse, PageOutcome, Sample, SignContext, StreamSpec, VendorAdapter, VendorError } from '../types.js';
import { apigAuthorization, sdkDate } from './sign.js';

export const HUAWEI_API_IDS = ['stats/traffic/detail', 'stream/traffic'] as const;
export type HuaweiApi = (typeof HUAWEI_API_IDS)[number];
const DAY = 86_400;
const G = 300;

export interface HuaweiConfig {
  readonly endpoint: string;
  readonly ak: string;
  readonly projectId: string;
  readonly domains: readonly string[];
  readonly apis: readonly HuaweiApi[];
  readonly ratePerSec: number;
  readonly settleMs: number;
}

const NAMES: Record<HuaweiApi, string> = { 'stats/traffic/detail': 'ListDomainTrafficDetail', 'stream/traffic': 'ShowTraffic' };

function streamsFor(cfg: HuaweiConfig): StreamSpec[] {
  return cfg.apis.map((api) => ({
    id: api.replace(/\//g, '_'),
    api: NAMES[api],
    rateKey: api,
    cadence: '*/5 * * * *',
    cadenceSec: 300,
    rules: {
      tiers: [api === 'stats/traffic/detail' ? { granularitySec: G, maxSpanSec: 31 * DAY, retentionSec: 365 * DAY } : { granularitySec: G, maxSpanSec: 30 * DAY, retentionSec: 90 * DAY }],
      settleSec: cfg.settleMs / 1000,
    },
    maxDomainsPerCall: 1,
  }));
}

export function buildHuaweiRequest(cfg: Pick<HuaweiConfig, 'endpoint'>, path: string, query: Record<string, string>, ctx: SignContext): HttpRequest {
  const base = new URL(cfg.endpoint);
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
  url.search = Object.keys(query)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k]!)}`)
    .join('&');
  return { method: 'GET', url: url.toString(), headers: { ...headers, authorization } };
}

export function classifyHuawei(status: number, body: unknown, headers: Readonly<Record<string, string>>): VendorError {
  const b = (body ?? {}) as { error_code?: string; error_msg?: string; error?: { code?: string; message?: string }; request_id?: string };
  const code = b.error_code ?? b.error?.code ?? `HTTP${status}`;
  const message = b.error_msg ?? b.error?.message ?? '';
  const requestId = headers['x-request-id'] ?? b.request_id;
  const base = { vendorCode: code, message, ...(requestId ? { requestId } : {}) };
  if (status === 429 || code === 'APIGW.0308') return { kind: 'throttled', ...base };
  if (status >= 500) return { kind: 'unavailable', ...base };
  if (status === 401 || code === 'APIGW.0301') return { kind: 'auth', ...base };
  if (status === 404) return { kind: 'not_found', ...base };
  return { kind: 'invalid', ...base };
}

export function parseTraffic(api: HuaweiApi, call: CallSpec, res: HttpResponse): CallOutcome {
  const body = safeJson(res.body) as Record<string, unknown> | undefined;
  if (res.status !== 200) return { ok: false, error: classifyHuawei(res.status, body, res.headers) };
  const requestId = res.headers['x-request-id'];
  const listKey = api === 'stats/traffic/detail' ? 'data_list' : 'traffic_info';
  const [valueKey, timeKey] = api === 'stats/traffic/detail' ? ['value', 'time'] : ['traffic', 'timestamp'];
  const list = body?.[listKey] ?? [];
  if (!body || !Array.isArray(list)) return { ok: false, error: { kind: 'response', vendorCode: 'MalformedResponse', message: `${listKey} is not a list`, ...(requestId ? { requestId } : {}) } };
  const samples: Sample[] = [];
  const badBuckets: string[] = [];
  const domain = call.domains[0]!;
  for (const p of list as Record<string, unknown>[]) {
    const t = typeof p?.[timeKey] === 'string' ? Date.parse(p[timeKey] as string) : NaN;
    if (!Number.isFinite(t)) {
      badBuckets.push(`${timeKey} ${JSON.stringify(p?.[timeKey])} is not a time`);
      continue;
    }
    const v = parseNumber(p[valueKey]);
    if (v === undefined) {
      badBuckets.push(`${p[timeKey]} ${valueKey} ${JSON.stringify(p[valueKey])} is not a number`);
      continue;
    }
    // The legacy doc's sample labels a period with an unaligned time (21:10:15); the bucket is the 5 minutes it lies in.
    samples.push({ domain, metric: Metrics.TRAFFIC_BYTES, intervalSec: G, tsSec: alignDown(Math.floor(t / 1000), G), value: v });
  }
  return { ok: true, samples, badBuckets };
}

export function createHuaweiAdapter(cfg: HuaweiConfig): VendorAdapter {
  const domainPath = `/v1/${encodeURIComponent(cfg.projectId)}/domain`;
  const discovery: Discovery = {
    api: 'ShowDomain',
    rateKey: 'domain',
    buildPage: (_cursor, ctx) => buildHuaweiRequest(cfg, domainPath, {}, ctx),
    parsePage(_cursor, res): PageOutcome {
      const body = safeJson(res.body) as { domain_info?: unknown } | undefined;
      if (res.status !== 200) return { ok: false, error: classifyHuawei(res.status, body, res.headers) };
      if (!Array.isArray(body?.domain_info)) return { ok: false, error: { kind: 'response', vendorCode: 'MalformedResponse', message: 'domain_info is not a list' } };
      const domains = (body.domain_info as { domain?: unknown; domain_type?: unknown; status?: unknown }[])
        .filter((d) => typeof d.domain === 'string' && d.domain_type === 'pull' && d.status === 'on')
        .map((d) => d.domain as string);
      return { ok: true, domains };
    },
  };
  return {
    vendor: 'huawei',
    accountKey: hashAccount('huawei', cfg.ak, cfg.projectId, cfg.endpoint),
    streams: streamsFor(cfg),
    configuredDomains: cfg.domains,
    discovery,
    rateLimit: () => cfg.ratePerSec,
    buildCall(call: CallSpec, ctx: SignContext): HttpRequest {
      const api = HUAWEI_API_IDS.find((a) => a.replace(/\//g, '_') === call.stream.id)!;
      const { fromSec, toSec } = call.window;
      const path = `/${api === 'stats/traffic/detail' ? 'v2' : 'v1'}/${encodeURIComponent(cfg.projectId)}/${api}`;
      // Start on a boundary, end one second before the next: the buckets of [from, to) and no more.
      const times = { start_time: isoSeconds(fromSec), end_time: isoSeconds(toSec - 1) };
      const query = api === 'stats/traffic/detail' ? { play_domains: call.domains.join(','), interval: String(G), ...times } : { domain: call.domains.join(','), ...times };
      return buildHuaweiRequest(cfg, path, query, ctx);
    },
    parseCall(call: CallSpec, res: HttpResponse): CallOutcome {
      const api = HUAWEI_API_IDS.find((a) => a.replace(/\//g, '_') === call.stream.id)!;
      return parseTraffic(api, call, res);
    },
  };
}
