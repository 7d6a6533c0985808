/**
 * Huawei Cloud Live: play (edge) traffic of live play domains, written as `play_traffic_bytes`.
 * Live has no back-to-origin metric; origin data of domains on Huawei Cloud CDN comes from the
 * `huaweicdn` module. API facts and links: README.md.
 */
import type { AccountConfig, ConfigFragment, Discovery, StreamSpec, VendorAdapter, VendorModule } from '../../kernel/vendor.js';
import { Metrics } from '../../kernel/schema.js';
import { API_NAME, DOMAIN_API, G, HUAWEI_API_IDS, parseDomains, parseTraffic, projectPath, signedGet, trafficRequest, type HuaweiApi } from './api.js';

export { HUAWEI_API_IDS, classifyHuawei, parseTraffic, zonedSeconds } from './api.js';

const DAY = 86_400;
/** Huawei documents no rate for Live statistics; APIG flow control applies: 10/s keeps well under it. */
const DEFAULT_RATE = 10;
/** Huawei advises treating the last 3 hours of Live statistics as provisional. */
const DEFAULT_SETTLE_MS = 3 * 3600_000;

const config: ConfigFragment = {
  endpoint: { doc: 'Live API base URL (http allowed, for proxies and tests)', format: 'url', default: 'https://live.cn-north-4.myhuaweicloud.com', env: 'HUAWEI_LIVE_ENDPOINT' },
  ak: { doc: 'access key (AK)', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_AK', credential: true },
  sk: { doc: 'secret key (SK)', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_SK', credential: true, secret: true },
  securityToken: { doc: 'security token of temporary credentials', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_SECURITY_TOKEN', credential: true, secret: true, optional: true },
  projectId: { doc: 'project id of the Live region', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_PROJECT_ID', credential: true },
  apis: { doc: 'stats/traffic/detail (v2, current platform) and/or stream/traffic (v1, legacy platform, 5-minute buckets)', format: { subsetOf: HUAWEI_API_IDS }, default: ['stats/traffic/detail'] },
  ratePerSec: { doc: 'calls per second per API and account (Huawei documents no limit for Live statistics; APIG flow control applies)', format: 'positive-number', default: DEFAULT_RATE },
  settleMs: { doc: 'how long Huawei may still revise a bucket: the re-read tail (docs: data younger than 3 h is provisional)', format: 'positive-int', default: DEFAULT_SETTLE_MS },
};

/** v2: 31 days a call, one year of history; v1: 30 days a call, three months (seed 004). */
const TIER: Readonly<Record<HuaweiApi, { maxSpanSec: number; retentionSec: number }>> = {
  'stats/traffic/detail': { maxSpanSec: 31 * DAY, retentionSec: 365 * DAY },
  'stream/traffic': { maxSpanSec: 30 * DAY, retentionSec: 90 * DAY },
};

function settingsOf(settings: Readonly<Record<string, unknown>>) {
  const apis = Array.isArray(settings.apis) ? (settings.apis.filter((a) => (HUAWEI_API_IDS as readonly unknown[]).includes(a)) as HuaweiApi[]) : ['stats/traffic/detail' as const];
  return {
    endpoint: typeof settings.endpoint === 'string' ? settings.endpoint : '',
    apis,
    ratePerSec: typeof settings.ratePerSec === 'number' ? settings.ratePerSec : DEFAULT_RATE,
    settleMs: typeof settings.settleMs === 'number' ? settings.settleMs : DEFAULT_SETTLE_MS,
  };
}

function validate(settings: Readonly<Record<string, unknown>>): string[] {
  const s = settingsOf(settings);
  return s.apis.length ? [] : [`apis: name at least one of ${HUAWEI_API_IDS.join(', ')}`];
}

function createAdapter(settings: Readonly<Record<string, unknown>>, account: AccountConfig): VendorAdapter {
  const s = settingsOf(settings);
  const streams = s.apis.map(
    (api): StreamSpec => ({
      id: api.replace(/\//g, '_'),
      api: API_NAME[api],
      rateKey: api,
      cadence: '*/5 * * * *',
      cadenceSec: 300,
      rules: { tiers: [{ granularitySec: G, ...TIER[api] }], settleSec: s.settleMs / 1000 },
      // Several play domains in one call come back as one merged series.
      maxDomainsPerCall: 1,
      metrics: [Metrics.PLAY_TRAFFIC_BYTES],
      buildCall: (call, ctx) => trafficRequest(api, s.endpoint, call, ctx),
      parseCall: (call, res) => parseTraffic(api, call, res),
    }),
  );
  const discovery: Discovery = {
    api: DOMAIN_API,
    rateKey: 'domain',
    buildPage: (_cursor, ctx) => signedGet(s.endpoint, projectPath('v1', ctx.credentials.projectId ?? '', 'domain'), {}, ctx),
    parsePage: (_cursor, res) => parseDomains(res),
  };
  return {
    module: 'huawei',
    vendor: 'huawei',
    account: account.name,
    streams,
    configuredDomains: account.domains,
    discovery,
    rateLimit: () => s.ratePerSec,
  };
}

export const huaweiModule: VendorModule = {
  id: 'huawei',
  vendor: 'huawei',
  title: 'Huawei Cloud Live (play traffic, not origin)',
  config,
  domainsEnv: 'HUAWEI_DOMAINS',
  domainsDoc: 'play domains; empty: every pull domain of the project that is on, discovered again every hour',
  validate,
  createAdapter,
};
