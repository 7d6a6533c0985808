/**
 * The seven Alibaba Cloud CDN back-to-origin APIs (2018-05-10) as data: where an answer keeps its rows,
 * which fields become which contract metric, the span/retention tiers and the documented limits.
 * Every fact has its doc link in README.md (same folder).
 */
import { Metrics, statusMetric } from '../../kernel/schema.js';
import type { Tier } from '../../kernel/time.js';

export const ALIYUN_APIS = [
  'DescribeDomainSrcTrafficData',
  'DescribeDomainRealTimeSrcTrafficData',
  'DescribeDomainRealTimeSrcBpsData',
  'DescribeDomainSrcBpsData',
  'DescribeDomainSrcHttpCodeData',
  'DescribeDomainSrcQpsData',
  'DescribeDomainRealTimeSrcHttpCodeData',
] as const;
export type AliyunApi = (typeof ALIYUN_APIS)[number];

export const DISCOVERY_API = 'DescribeUserDomains';
export const RATE_KEYS = [...ALIYUN_APIS, DISCOVERY_API] as const;

const DAY = 86_400;

/** `family` decides the settle tail: real-time APIs publish 1-minute data after 5 min, Src* after 15 min. */
export type Family = 'realtime' | 'src';

export interface ApiInfo {
  readonly family: Family;
  /** Documented calls per second per account. */
  readonly ratePerSec: number;
  /** Domains one call may name (they come back merged, so we always send one). */
  readonly maxDomains: number;
  /** Real-time APIs choose their granularity from the span; Src* APIs take `Interval`. */
  readonly sendsInterval: boolean;
  /** Where the rows are. Several names: older answers used another key (seed 000). */
  readonly containers: readonly string[];
  /** `DataModule` rows with one number per field, or `UsageData` rows with a list of status codes. */
  readonly shape: { readonly kind: 'series'; readonly fields: readonly (readonly [string, string])[] } | { readonly kind: 'codes'; readonly list: string };
  readonly tiers: readonly [Tier, ...Tier[]];
}

/**
 * Spans per call: 1 h at 60 s, 3 / 31 / 366 days at 300 / 3600 / 86400 s. EndTime is inclusive, so a
 * window [from, to) is asked as StartTime = from, EndTime = to − one bucket: the full span fits.
 * Daily buckets are Beijing days (UTC+8), UNCONFIRMED (README).
 */
const REALTIME_TIERS: readonly [Tier] = [{ granularitySec: 60, maxSpanSec: 3600, retentionSec: 7 * DAY }];
const SRC_TIERS: readonly [Tier, Tier, Tier] = [
  { granularitySec: 300, maxSpanSec: 3 * DAY, retentionSec: 93 * DAY },
  { granularitySec: 3600, maxSpanSec: 31 * DAY, retentionSec: 186 * DAY },
  { granularitySec: DAY, maxSpanSec: 366 * DAY, retentionSec: 366 * DAY, alignOffsetSec: -8 * 3600 },
];

export const API_INFO: Readonly<Record<AliyunApi, ApiInfo>> = {
  DescribeDomainSrcTrafficData: {
    family: 'src',
    ratePerSec: 100,
    maxDomains: 500,
    sendsInterval: true,
    containers: ['SrcTrafficDataPerInterval', 'SrcFlowDataPerInterval'],
    shape: { kind: 'series', fields: [['Value', Metrics.TRAFFIC_BYTES], ['HttpsValue', Metrics.HTTPS_TRAFFIC_BYTES]] },
    tiers: SRC_TIERS,
  },
  DescribeDomainRealTimeSrcTrafficData: {
    family: 'realtime',
    ratePerSec: 10,
    maxDomains: 100,
    sendsInterval: false,
    containers: ['RealTimeSrcTrafficDataPerInterval'],
    shape: { kind: 'series', fields: [['Value', Metrics.TRAFFIC_BYTES]] },
    tiers: REALTIME_TIERS,
  },
  DescribeDomainRealTimeSrcBpsData: {
    family: 'realtime',
    ratePerSec: 10,
    maxDomains: 100,
    sendsInterval: false,
    containers: ['RealTimeSrcBpsDataPerInterval'],
    shape: { kind: 'series', fields: [['Value', Metrics.BANDWIDTH_BPS]] },
    tiers: REALTIME_TIERS,
  },
  DescribeDomainSrcBpsData: {
    family: 'src',
    ratePerSec: 100,
    maxDomains: 500,
    sendsInterval: true,
    containers: ['SrcBpsDataPerInterval'],
    // HttpsValue (the HTTPS part) has no contract metric: only the total is written.
    shape: { kind: 'series', fields: [['Value', Metrics.BANDWIDTH_BPS]] },
    tiers: SRC_TIERS,
  },
  DescribeDomainSrcQpsData: {
    family: 'src',
    ratePerSec: 100,
    maxDomains: 500,
    sendsInterval: true,
    containers: ['SrcQpsDataPerInterval'],
    shape: { kind: 'series', fields: [['Value', Metrics.REQUESTS_PER_SEC]] },
    tiers: SRC_TIERS,
  },
  DescribeDomainSrcHttpCodeData: {
    family: 'src',
    ratePerSec: 100,
    maxDomains: 500,
    sendsInterval: true,
    containers: ['HttpCodeData'],
    shape: { kind: 'codes', list: 'CodeProportionData' },
    tiers: SRC_TIERS,
  },
  DescribeDomainRealTimeSrcHttpCodeData: {
    family: 'realtime',
    ratePerSec: 10,
    maxDomains: 100,
    sendsInterval: false,
    containers: ['RealTimeSrcHttpCodeData'],
    shape: { kind: 'codes', list: 'RealTimeSrcCodeProportionData' },
    tiers: REALTIME_TIERS,
  },
};

/** Documented data delays (ms), the default re-read tails. */
export const SETTLE_MS: Readonly<Record<Family, number>> = { realtime: 5 * 60_000, src: 15 * 60_000 };
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/** The contract metrics a stream returns for every asked domain and final bucket. */
export function metricsOf(api: AliyunApi): readonly string[] {
  const shape = API_INFO[api].shape;
  if (shape.kind === 'series') return shape.fields.map(([, m]) => m);
  return STATUS_CLASSES.map(statusMetric);
}
