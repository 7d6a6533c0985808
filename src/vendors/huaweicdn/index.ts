/**
 * Huawei Cloud CDN: the back-to-source (`bs_*`) metrics of ShowDomainStats, one series per domain
 * (`group_by=domain`), 20 domains × 5 metrics a call. Facts, links and choices: README.md.
 */
import type { Tier, WindowRules } from '../../kernel/time.js';
import type { AccountConfig, ConfigFragment, Discovery, StreamSpec, VendorAdapter, VendorModule } from '../../kernel/vendor.js';
import {
  BS_METRICS,
  BS_METRIC_NAMES,
  DAILY_OFFSET_SEC,
  DOMAINS_API,
  DOMAINS_PATH,
  INTERVALS,
  MAX_DOMAINS_PER_CALL,
  MAX_METRICS_PER_CALL,
  MAX_SPAN_SEC,
  RETENTION_SEC,
  STATS_API,
  STATS_PATH,
  buildSignedGet,
  domainsQuery,
  parseDomainsPage,
  parseStats,
  statsQuery,
  type BsMetric,
  type RequestTarget,
} from './api.js';

export { BS_METRICS, BS_METRIC_NAMES } from './api.js';

const DOCUMENTED_STATS_RATE = 15;

const config: ConfigFragment = {
  endpoint: { doc: 'ShowDomainStats/ListDomains base URL (global service; http allowed for proxies and tests)', format: 'url', default: 'https://cdn.myhuaweicloud.com', env: 'HUAWEI_CDN_ENDPOINT' },
  ak: { doc: 'access key id (AK)', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_AK', credential: true },
  sk: { doc: 'secret access key (SK)', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_SK', credential: true, secret: true },
  securityToken: { doc: 'security token of temporary AK/SK (STS), sent as X-Security-Token', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_SECURITY_TOKEN', credential: true, secret: true, optional: true },
  domainId: { doc: 'account (domain) id, signed as X-Domain-Id when given', format: 'string', default: '', env: 'HUAWEICLOUD_SDK_DOMAIN_ID', credential: true, optional: true },
  enterpriseProjectId: { doc: 'enterprise_project_id ("all" for every project); mandatory for IAM users when enterprise projects are on; empty: not sent', format: 'string', default: '', perAccount: true },
  metrics: { doc: 'back-to-source metrics to collect', format: { subsetOf: BS_METRIC_NAMES }, default: [...BS_METRIC_NAMES] },
  interval: { doc: 'bucket length in seconds: 300, 3600 or 86400 (days start at 00:00 UTC+8)', format: 'positive-int', default: 300 },
  ratePerSec: {
    ShowDomainStats: { doc: 'ShowDomainStats calls per second per account (documented: 15)', format: 'positive-number', default: DOCUMENTED_STATS_RATE },
    ListDomains: { doc: 'ListDomains calls per second per account (no documented limit)', format: 'positive-number', default: 5 },
  },
  settleMs: { doc: 'how long after its end a bucket may still be revised: re-read until then (no documented delay; the console lags ~1 h)', format: 'positive-int', default: 3 * 3600_000 },
};

function intervalOf(settings: Readonly<Record<string, unknown>>): number {
  return Number(settings.interval ?? 300);
}

function metricsOf(settings: Readonly<Record<string, unknown>>): BsMetric[] {
  const m = settings.metrics;
  return Array.isArray(m) ? (m as BsMetric[]) : [...BS_METRIC_NAMES];
}

function rates(settings: Readonly<Record<string, unknown>>): Record<string, number> {
  const r = (settings.ratePerSec ?? {}) as Record<string, unknown>;
  return { [STATS_API]: Number(r.ShowDomainStats ?? DOCUMENTED_STATS_RATE), [DOMAINS_API]: Number(r.ListDomains ?? 5) };
}

function tier(granularitySec: number): Tier {
  return { granularitySec, maxSpanSec: MAX_SPAN_SEC[granularitySec]!, retentionSec: RETENTION_SEC, ...(granularitySec === 86_400 ? { alignOffsetSec: DAILY_OFFSET_SEC } : {}) };
}

/** The configured interval first; the coarser ones after it serve backfill. */
export function rulesFor(interval: number, settleMs: number): WindowRules {
  const coarser = INTERVALS.filter((i) => i > interval).map(tier);
  return { tiers: [tier(interval), ...coarser], settleSec: settleMs / 1000 };
}

/** Metrics in groups of at most 5 (a call's limit), in the configured order. */
export function metricGroups(metrics: readonly BsMetric[]): BsMetric[][] {
  const groups: BsMetric[][] = [];
  for (let i = 0; i < metrics.length; i += MAX_METRICS_PER_CALL) groups.push(metrics.slice(i, i + MAX_METRICS_PER_CALL));
  return groups;
}

export function streamsFor(settings: Readonly<Record<string, unknown>>, target: RequestTarget): StreamSpec[] {
  const interval = intervalOf(settings);
  const rules = rulesFor(interval, Number(settings.settleMs ?? 3 * 3600_000));
  const [cadence, cadenceSec] = interval === 300 ? ['*/5 * * * *', 300] : ['0 * * * *', 3600];
  return metricGroups(metricsOf(settings)).map((group): StreamSpec => ({
    id: `domain-stats-${interval}-${group.map((m) => m.replace(/^bs_/, '')).join('+')}`,
    api: STATS_API,
    rateKey: STATS_API,
    cadence,
    cadenceSec,
    rules,
    maxDomainsPerCall: MAX_DOMAINS_PER_CALL,
    metrics: group.map((m) => BS_METRICS[m]),
    buildCall: (call, ctx) => buildSignedGet(target, STATS_PATH, statsQuery(call, group, target), ctx),
    parseCall: (call, res) => parseStats(call, group, res),
  }));
}

function targetOf(settings: Readonly<Record<string, unknown>>, account: AccountConfig): RequestTarget {
  const ep = account.values.enterpriseProjectId ?? settings.enterpriseProjectId;
  return { endpoint: String(settings.endpoint ?? 'https://cdn.myhuaweicloud.com'), ...(typeof ep === 'string' && ep ? { enterpriseProjectId: ep } : {}) };
}

function validate(settings: Readonly<Record<string, unknown>>, account: AccountConfig): string[] {
  const problems: string[] = [];
  const interval = intervalOf(settings);
  if (!(INTERVALS as readonly number[]).includes(interval)) problems.push(`interval: ${JSON.stringify(settings.interval)} is not served; use 300, 3600 or 86400`);
  const metrics = settings.metrics;
  if (metrics !== undefined) {
    if (!Array.isArray(metrics) || metrics.length === 0) problems.push('metrics: must list at least one of ' + BS_METRIC_NAMES.join(', '));
    else {
      for (const m of metrics) if (!BS_METRIC_NAMES.includes(m as BsMetric)) problems.push(`metrics: ${JSON.stringify(m)} is not one of ${BS_METRIC_NAMES.join(', ')}`);
      const dup = metrics.find((m, i) => metrics.indexOf(m) !== i);
      if (dup !== undefined) problems.push(`metrics: ${JSON.stringify(dup)} is listed twice`);
    }
  }
  const r = rates(settings);
  if (r[STATS_API]! > DOCUMENTED_STATS_RATE) problems.push(`ratePerSec.ShowDomainStats: ${r[STATS_API]} is above the documented ${DOCUMENTED_STATS_RATE} calls per second per account`);
  for (const d of account.domains) {
    // domain_name=all asks for the whole account: it would be written as a domain called "all".
    if (d.toLowerCase() === 'all') problems.push('domains: "all" is not a domain name (leave the list empty to collect every online domain)');
    if (d.includes(',')) problems.push(`domains: ${JSON.stringify(d)} holds a comma`);
  }
  const ep = account.values.enterpriseProjectId;
  if (ep !== undefined && typeof ep !== 'string') problems.push('enterpriseProjectId: must be a string');
  return problems;
}

function createAdapter(settings: Readonly<Record<string, unknown>>, account: AccountConfig): VendorAdapter {
  const target = targetOf(settings, account);
  const r = rates(settings);
  const discovery: Discovery = {
    api: DOMAINS_API,
    rateKey: DOMAINS_API,
    buildPage: (cursor, ctx) => buildSignedGet(target, DOMAINS_PATH, domainsQuery(cursor, target), ctx),
    parsePage: (cursor, res) => parseDomainsPage(cursor, res),
  };
  return {
    module: 'huaweicdn',
    vendor: 'huawei',
    account: account.name,
    streams: streamsFor(settings, target),
    configuredDomains: account.domains,
    discovery,
    rateLimit: (rateKey) => r[rateKey] ?? DOCUMENTED_STATS_RATE,
  };
}

export const huaweicdnModule: VendorModule = {
  id: 'huaweicdn',
  vendor: 'huawei',
  title: 'Huawei Cloud CDN (ShowDomainStats back-to-source metrics)',
  config,
  domainsEnv: 'HUAWEICDN_DOMAINS',
  domainsDoc: 'CDN domains to collect; empty: every online CDN domain of the account (ListDomains), discovered again every hour',
  validate,
  createAdapter,
};
