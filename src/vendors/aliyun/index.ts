/**
 * Alibaba Cloud CDN (API 2018-05-10): seven back-to-origin APIs, one stream each. Facts and links:
 * README.md here, VENDORS.md part A.
 * Several domains in one call come back merged into one series, so every call carries one domain.
 * EndTime is inclusive (20:00–20:01 returns 20:00 and 20:01) and must be later than StartTime: a
 * window [from, to) is asked as StartTime = from, EndTime = to − one bucket, so an hour of 1-minute
 * data is one call; a one-bucket window is asked with EndTime = to and the parser drops the extra
 * bucket at `to` (parse.ts).
 */
import type { HttpRequest } from '../../kernel/http.js';
import { isoSeconds } from '../../kernel/time.js';
import type { AccountConfig, CallSpec, ConfigFragment, Discovery, SignContext, StreamSpec, VendorAdapter, VendorModule } from '../../kernel/vendor.js';
import { ALIYUN_APIS, API_INFO, DISCOVERY_API, SETTLE_MS, metricsOf, type AliyunApi } from './apis.js';
import { parseAliyunData, parseUserDomainsPage } from './parse.js';
import { EMPTY_SHA256, acs3Authorization, rpcSignature } from './sign.js';

export { ALIYUN_APIS, API_INFO, type AliyunApi } from './apis.js';
export { classifyAliyun, parseAliyunData, parseUserDomainsPage, parseVendorTime, readValue, scrub } from './parse.js';

const VERSION = '2018-05-10';
const PAGE_SIZE = 500;

export type SignatureVersion = 'acs3' | 'rpc';

/** The validated `vendors.aliyun` settings this module reads. */
interface Settings {
  readonly endpoint: string;
  readonly base: EndpointParts;
  readonly apis: readonly AliyunApi[];
  readonly signatureVersion: SignatureVersion;
  readonly ratePerSec: Readonly<Record<string, number>>;
  readonly realTimeSettleMs: number;
  readonly srcSettleMs: number;
}

function readSettings(s: Readonly<Record<string, unknown>>): Settings {
  const endpoint = typeof s.endpoint === 'string' && s.endpoint ? s.endpoint : 'https://cdn.aliyuncs.com';
  const rate = (s.ratePerSec ?? {}) as Record<string, unknown>;
  const ratePerSec: Record<string, number> = {};
  for (const api of [...ALIYUN_APIS, DISCOVERY_API]) {
    const v = rate[api];
    ratePerSec[api] = typeof v === 'number' && v > 0 ? v : api === DISCOVERY_API ? 100 : API_INFO[api as AliyunApi].ratePerSec;
  }
  const apis = Array.isArray(s.apis) ? (s.apis as AliyunApi[]).filter((a) => (ALIYUN_APIS as readonly string[]).includes(a)) : [...ALIYUN_APIS];
  return {
    endpoint,
    base: endpointParts(endpoint),
    apis,
    signatureVersion: s.signatureVersion === 'rpc' ? 'rpc' : 'acs3',
    ratePerSec,
    realTimeSettleMs: typeof s.realTimeSettleMs === 'number' ? s.realTimeSettleMs : SETTLE_MS.realtime,
    srcSettleMs: typeof s.srcSettleMs === 'number' ? s.srcSettleMs : SETTLE_MS.src,
  };
}

/** What a request needs of the endpoint, parsed once per adapter rather than on every call. */
export interface EndpointParts {
  /** `host[:port]` as signed. */
  readonly host: string;
  /** `scheme://host[:port]/`: requests are signed for path `/`, and a query (never empty here) follows. */
  readonly root: string;
}

export function endpointParts(endpoint: string): EndpointParts {
  const u = new URL('/', endpoint);
  return { host: u.host, root: u.href };
}

/** Signs a request to an RPC-style action in the configured style. */
export function buildAliyunRequest(
  cfg: { readonly endpoint: string; readonly signatureVersion: SignatureVersion; readonly base?: EndpointParts },
  action: string,
  params: Readonly<Record<string, string>>,
  ctx: SignContext,
): HttpRequest {
  const { accessKeyId = '', accessKeySecret = '', securityToken } = ctx.credentials;
  const base = cfg.base ?? endpointParts(cfg.endpoint);
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
    return { method: 'GET', url: `${base.root}?${new URLSearchParams({ ...all, Signature: signature }).toString().replace(/\+/g, '%20')}`, headers: { accept: 'application/json' } };
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
  return { method: 'POST', url: `${base.root}?${new URLSearchParams(query).toString().replace(/\+/g, '%20')}`, headers: { ...headers, accept: 'application/json', authorization } };
}

/**
 * StartTime/EndTime/Interval for a window. EndTime is inclusive and must be later than StartTime
 * (https://help.aliyun.com/zh/cdn/developer-reference/api-cdn-2018-05-10-describedomainrealtimesrctrafficdata).
 */
export function timeParams(api: AliyunApi, fromSec: number, toSec: number, granularitySec: number): Record<string, string> {
  const endSec = toSec - fromSec > granularitySec ? toSec - granularitySec : toSec;
  return {
    StartTime: isoSeconds(fromSec),
    EndTime: isoSeconds(endSec),
    ...(API_INFO[api].sendsInterval ? { Interval: String(granularitySec) } : {}),
  };
}

function streamFor(api: AliyunApi, cfg: Settings): StreamSpec {
  const info = API_INFO[api];
  const realtime = info.family === 'realtime';
  return {
    id: api,
    api,
    rateKey: api,
    cadence: realtime ? '* * * * *' : '*/5 * * * *',
    cadenceSec: realtime ? 60 : 300,
    rules: { tiers: info.tiers, settleSec: (realtime ? cfg.realTimeSettleMs : cfg.srcSettleMs) / 1000 },
    // Several domains come back merged into one series: one domain per call.
    maxDomainsPerCall: 1,
    metrics: metricsOf(api),
    buildCall(call: CallSpec, ctx: SignContext): HttpRequest {
      const { fromSec, toSec, granularitySec } = call.window;
      return buildAliyunRequest(cfg, api, { DomainName: call.domains.join(','), ...timeParams(api, fromSec, toSec, granularitySec) }, ctx);
    },
    parseCall: (call, res) => parseAliyunData({ api, domain: call.domains[0]!, window: call.window }, res),
  };
}

function createAdapter(settings: Readonly<Record<string, unknown>>, account: AccountConfig): VendorAdapter {
  const cfg = readSettings(settings);
  const discovery: Discovery = {
    api: DISCOVERY_API,
    rateKey: DISCOVERY_API,
    buildPage: (cursor, ctx) => buildAliyunRequest(cfg, DISCOVERY_API, { PageNumber: String(cursor + 1), PageSize: String(PAGE_SIZE), DomainStatus: 'online' }, ctx),
    parsePage: (cursor, res) => parseUserDomainsPage(cursor, PAGE_SIZE, res),
  };
  return {
    module: 'aliyun',
    vendor: 'aliyun',
    account: account.name,
    streams: cfg.apis.map((a) => streamFor(a, cfg)),
    configuredDomains: account.domains,
    discovery,
    rateLimit: (key) => cfg.ratePerSec[key] ?? 10,
  };
}

const rateKeys = Object.fromEntries(
  [...ALIYUN_APIS, DISCOVERY_API].map((api) => [
    api,
    {
      doc: `${api} calls per second per account (documented limit ${api === DISCOVERY_API ? 100 : API_INFO[api as AliyunApi].ratePerSec})`,
      format: 'positive-number' as const,
      default: api === DISCOVERY_API ? 100 : API_INFO[api as AliyunApi].ratePerSec,
    },
  ]),
);

const config: ConfigFragment = {
  endpoint: { doc: 'base URL (http allowed, for proxies and tests)', format: 'url', default: 'https://cdn.aliyuncs.com', env: 'ALIYUN_CDN_ENDPOINT' },
  accessKeyId: { doc: 'AccessKey ID', format: 'string', default: '', env: 'ALIBABA_CLOUD_ACCESS_KEY_ID', credential: true },
  accessKeySecret: { doc: 'AccessKey secret', format: 'string', default: '', env: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', credential: true, secret: true },
  securityToken: { doc: 'STS security token (temporary credentials)', format: 'string', default: '', env: 'ALIBABA_CLOUD_SECURITY_TOKEN', credential: true, secret: true, optional: true },
  apis: { doc: 'which back-to-origin APIs to collect', format: { subsetOf: ALIYUN_APIS }, default: [...ALIYUN_APIS] },
  signatureVersion: { doc: 'request signature: acs3 (ACS3-HMAC-SHA256, current) or rpc (HMAC-SHA1, legacy)', format: { oneOf: ['acs3', 'rpc'] }, default: 'acs3' },
  ratePerSec: rateKeys,
  realTimeSettleMs: { doc: 'documented data delay of the 1-minute APIs (5 min): buckets younger than this plus one bucket are read again', format: 'positive-int', default: SETTLE_MS.realtime },
  srcSettleMs: { doc: 'documented data delay of the Src* APIs at 300 s (15 min): buckets younger than this plus one bucket are read again', format: 'positive-int', default: SETTLE_MS.src },
};

export const aliyunModule: VendorModule = {
  id: 'aliyun',
  vendor: 'aliyun',
  title: 'Alibaba Cloud CDN',
  config,
  domainsEnv: 'ALIYUN_DOMAINS',
  domainsDoc: 'domains to collect; empty: every online domain of the account (DescribeUserDomains), discovered again every hour',
  validate(settings, _account) {
    const problems: string[] = [];
    if (Array.isArray(settings.apis) && settings.apis.length === 0) problems.push(`apis: is empty; name at least one of ${ALIYUN_APIS.join(', ')}`);
    if (typeof settings.endpoint === 'string') {
      try {
        const u = new URL(settings.endpoint);
        if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) problems.push('endpoint: must be a base URL without a path or query (requests are signed for "/")');
        if (u.username || u.password) problems.push('endpoint: must not carry credentials');
      } catch {
        problems.push('endpoint: is not a URL');
      }
    }
    return problems;
  },
  createAdapter,
};
