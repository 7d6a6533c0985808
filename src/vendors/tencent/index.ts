/**
 * Tencent Cloud CDN: back-to-origin monitoring (DescribeOriginData, ten metrics) per account and
 * area. Each (metric, area) is its own stream, tagged with its area; see README.md for the API facts.
 */
import type { AccountConfig, ConfigFragment, Discovery, StreamSpec, VendorAdapter, VendorModule } from '../../kernel/vendor.js';
import { Tc3KeyCache } from './sign.js';
import {
  DOMAINS_API,
  INTERVAL_SEC,
  NO_DETAIL,
  ORIGIN_API,
  TENCENT_AREAS,
  TENCENT_INTERVALS,
  TENCENT_METRIC_IDS,
  TZ_OFFSET_SEC,
  declaredMetrics,
  domainsBody,
  originDataBody,
  parseDomainsPage,
  parseOriginData,
  signedPost,
  tencentEndpoint,
  type TencentArea,
  type TencentInterval,
  type TencentMetric,
} from './api.js';

export { fromBeijing, toBeijing, parseOriginData, classifyCode, TENCENT_METRIC_IDS } from './api.js';

const DAY = 86_400;
/** DescribeOriginData: "默认接口请求频率限制：20次/秒" (seed 003). DescribeDomains documents the same 20/s. */
const DOCUMENTED_RATE = 20;
/** Tencent revises recent buckets for about 5 minutes (console delay); 10 minutes is the least re-read tail accepted. */
const MIN_SETTLE_MS = 600_000;
/** Domains per call with Detail=true ("最多可一次性查询 30 个加速域名明细"). */
const MAX_DOMAINS = 30;

const CADENCE: Readonly<Record<TencentInterval, { cron: string; sec: number }>> = {
  min: { cron: '* * * * *', sec: 60 },
  '5min': { cron: '*/5 * * * *', sec: 300 },
  hour: { cron: '2 * * * *', sec: 3600 },
  // Daily buckets are read hourly so that yesterday's is final soon after midnight UTC+8.
  day: { cron: '7 * * * *', sec: 3600 },
};
/** Span per call by Interval (DescribeOriginData Interval: min ≤ 24 h, 5min/hour ≤ 31 days, any ≤ 90 days). */
const MAX_SPAN: Readonly<Record<TencentInterval, number>> = { min: DAY, '5min': 31 * DAY, hour: 31 * DAY, day: 90 * DAY };

const config: ConfigFragment = {
  endpoint: { doc: 'DescribeOriginData base URL (http allowed, for proxies and tests)', format: 'url', default: 'https://cdn.tencentcloudapi.com', env: 'TENCENT_CDN_ENDPOINT' },
  secretId: { doc: 'SecretId', format: 'string', default: '', env: 'TENCENTCLOUD_SECRET_ID', credential: true },
  secretKey: { doc: 'SecretKey', format: 'string', default: '', env: 'TENCENTCLOUD_SECRET_KEY', credential: true, secret: true },
  sessionToken: { doc: 'STS session token (temporary credentials)', format: 'string', default: '', env: 'TENCENTCLOUD_SESSION_TOKEN', credential: true, secret: true, optional: true },
  metrics: { doc: 'DescribeOriginData metrics to collect', format: { subsetOf: TENCENT_METRIC_IDS }, default: [...TENCENT_METRIC_IDS] },
  interval: { doc: 'bucket length: min (mainland only), 5min, hour, day (buckets at 00:00 UTC+8)', format: { oneOf: TENCENT_INTERVALS }, default: '5min' },
  areas: { doc: 'service areas, each collected separately and tagged `area`', format: { subsetOf: TENCENT_AREAS }, default: ['mainland'], perAccount: true },
  area: { doc: 'shorthand for a one-area `areas` (empty: use `areas`)', format: { oneOf: ['', ...TENCENT_AREAS] }, default: '', perAccount: true },
  ratePerSec: { doc: 'DescribeOriginData calls per second per account (documented: 20)', format: 'positive-number', default: DOCUMENTED_RATE },
  settleMs: { doc: 'how long Tencent may still revise a bucket: the re-read tail (at least 600000)', format: 'positive-int', default: MIN_SETTLE_MS },
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

/**
 * The areas of one account: its own `area`/`areas` when it sets either, else the vendor's. `area`
 * is a shorthand for `areas: [area]`; both given and different is a problem.
 */
export function areasOf(settings: Readonly<Record<string, unknown>>, account: AccountConfig): { areas: TencentArea[]; problem?: string } {
  const own = account.values.area !== undefined || account.values.areas !== undefined;
  const src = own ? account.values : settings;
  const one = str(src.area);
  const many = list(src.areas);
  const dedup = (xs: readonly string[]) => TENCENT_AREAS.filter((a) => xs.includes(a));
  if (one) {
    // The vendor-wide `areas` always holds a value (its default, ["mainland"]): only a list that is
    // neither that default nor [area] says something else.
    const same = (xs: readonly string[], a: string) => xs.length === 1 && xs[0] === a;
    const conflicts = many !== undefined && !same(many, one) && (own || !same(many, 'mainland'));
    return conflicts ? { areas: dedup([one]), problem: `area: "${one}" and areas ${JSON.stringify(many)} disagree; set one of them` } : { areas: dedup([one]) };
  }
  const areas = dedup(many ?? (own ? [] : ['mainland']));
  return areas.length ? { areas } : { areas, problem: `areas: name at least one of ${TENCENT_AREAS.join(', ')}` };
}

function settingsOf(settings: Readonly<Record<string, unknown>>) {
  return {
    endpoint: str(settings.endpoint),
    metrics: (list(settings.metrics) ?? [...TENCENT_METRIC_IDS]) as TencentMetric[],
    interval: (str(settings.interval) || '5min') as TencentInterval,
    ratePerSec: typeof settings.ratePerSec === 'number' ? settings.ratePerSec : DOCUMENTED_RATE,
    settleMs: typeof settings.settleMs === 'number' ? settings.settleMs : MIN_SETTLE_MS,
  };
}

function validate(settings: Readonly<Record<string, unknown>>, account: AccountConfig): string[] {
  const s = settingsOf(settings);
  const { areas, problem } = areasOf(settings, account);
  const problems: string[] = problem ? [problem] : [];
  if (s.interval === 'min' && areas.includes('overseas')) problems.push('interval: "min" is not served for the area "overseas"; use 5min');
  if (s.settleMs < MIN_SETTLE_MS) problems.push(`settleMs: ${s.settleMs} is shorter than the ${MIN_SETTLE_MS} ms Tencent may still revise a bucket`);
  if (s.metrics.length === 0) problems.push(`metrics: name at least one of ${TENCENT_METRIC_IDS.join(', ')}`);
  return problems;
}

function createAdapter(settings: Readonly<Record<string, unknown>>, account: AccountConfig): VendorAdapter {
  const s = settingsOf(settings);
  const { areas } = areasOf(settings, account);
  const g = INTERVAL_SEC[s.interval];
  const endpoint = tencentEndpoint(s.endpoint);
  const keys = new Tc3KeyCache();
  const streams: StreamSpec[] = areas.flatMap((area) =>
    s.metrics.map(
      (metric): StreamSpec => ({
        id: `${metric}-${s.interval}-${area}`,
        api: `${ORIGIN_API} ${metric} ${area}`,
        rateKey: ORIGIN_API,
        cadence: CADENCE[s.interval].cron,
        cadenceSec: CADENCE[s.interval].sec,
        rules: {
          // History is not documented for this API; its span limit is 90 days, so that is what is asked.
          tiers: [{ granularitySec: g, maxSpanSec: MAX_SPAN[s.interval], retentionSec: 90 * DAY, ...(s.interval === 'day' ? { alignOffsetSec: -TZ_OFFSET_SEC } : {}) }],
          settleSec: s.settleMs / 1000,
        },
        maxDomainsPerCall: NO_DETAIL.has(metric) ? 1 : MAX_DOMAINS,
        area,
        metrics: declaredMetrics(metric),
        buildCall: (call, ctx) => signedPost(endpoint, ORIGIN_API, originDataBody(metric, s.interval, area, call), ctx, keys),
        parseCall: (call, res) => parseOriginData(metric, call, res),
      }),
    ),
  );
  const discovery: Discovery = {
    api: DOMAINS_API,
    rateKey: DOMAINS_API,
    buildPage: (cursor, ctx) => signedPost(endpoint, DOMAINS_API, domainsBody(cursor), ctx, keys),
    parsePage: parseDomainsPage,
  };
  return {
    module: 'tencent',
    vendor: 'tencent',
    account: account.name,
    streams,
    configuredDomains: account.domains,
    discovery,
    rateLimit: (key) => (key === ORIGIN_API ? s.ratePerSec : DOCUMENTED_RATE),
  };
}

export const tencentModule: VendorModule = {
  id: 'tencent',
  vendor: 'tencent',
  title: 'Tencent Cloud CDN (DescribeOriginData)',
  config,
  domainsEnv: 'TENCENT_DOMAINS',
  domainsDoc: 'domains; empty: every online domain of the account (DescribeDomains), discovered again every hour',
  validate,
  createAdapter,
};
