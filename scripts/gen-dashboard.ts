/**
 * Writes the operator dashboard (grafana/dashboards/cdn-origin.json) and the alert rules
 * (grafana/provisioning/alerting/cdn-origin.yaml, and the optional grafana/alerting-optional/gap-ledger.yaml). Built with the Grafana Foundation SDK, so panel options,
 * field config and variables are typed against Grafana's own schema; the SDK has no InfluxDB query
 * type, so `influxql()` below supplies one (the model the InfluxDB data source stores).
 *
 * Rules every query follows (the integration tests check them):
 * - InfluxQL only, within what InfluxDB 1.x, 2.x (DBRP) and 3.x (its InfluxQL subset: no SLIMIT,
 *   SOFFSET, INTEGRAL, SAMPLE) all run; ranking is done with top() in the database.
 * - Never a sum across bucket intervals: every panel reads one interval, `"interval" = '$granularity'`
 *   (the variable is not called `interval`, which would shadow Grafana's built-in $interval).
 * - Huawei Live `play_traffic_bytes` is edge play traffic: it has its own panel and never enters an
 *   origin panel.
 * - Freshness reads a fixed 30-day window, not the time picker, so a source that stalled longer ago
 *   than the chosen range still shows as stale instead of vanishing.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify as toYaml } from 'yaml';
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dash from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const MEASUREMENT = 'cdn_origin';
/** uid of the provisioned InfluxDB data source (grafana/provisioning/datasources/influxdb.yaml), used by the alert rules. */
export const INFLUX_DS_UID = 'influxdb-cdn';
/** uid of the optional Prometheus data source scraping the collector's /metrics (gap-ledger rule only). */
export const PROMETHEUS_DS_UID = 'prometheus';
export const GAP_GAUGE = 'cdn_collector_gap_buckets';

const DS: common.DataSourceRef = { type: 'influxdb', uid: '${datasource}' };
const M = `"${MEASUREMENT}"`;
/** Tencent points carry `area`, the others do not: a chosen area narrows Tencent only. */
const AREA = `("area" =~ /^$area$/ OR "area" = '')`;
const SEL = `"vendor" =~ /^$vendor$/ AND "account" =~ /^$account$/ AND "domain" =~ /^$domain$/ AND ${AREA}`;
const G = `"interval" = '$granularity'`;
/** Per-domain panels draw only the top $topn domains by origin traffic in the range (hidden variable). */
const TOP = `"domain" =~ /^$topdomain$/`;
/** Classes every origin vendor reports (Alibaba, Tencent, Huawei CDN); concrete codes are not added in. */
const CLASSES = `"metric" =~ /^status_[1-5]xx$/`;
const CODES = `"metric" =~ /^status_[1-5][0-9][0-9]$/`;

/**
 * How old the newest bucket of a source may be before it counts as stalled: a few cadences plus
 * the vendors' publication delay (up to ~15 min for 300 s data; daily buckets close at 00:00 UTC+8).
 * A source is (vendor, account, area, metric): backfill writes coarser intervals for old history,
 * so a source is fresh when any of its intervals is.
 */
export const STALE_AFTER: Record<string, string> = { '60': '30m', '300': '1h', '3600': '6h', '86400': '3d' };
export const FRESHNESS_WINDOW = '30d';
const SOURCE = `"vendor", "account", "area", "metric"`;

/** Buckets per source inside its staleness window, 0 for a source with data only further back (within 30 days). */
export function recentBucketsQuery(filter: string): string {
  const recent = Object.entries(STALE_AFTER).map(
    ([iv, w]) => `(SELECT count("value") AS "n" FROM ${M} WHERE "interval" = '${iv}'${filter} AND time > now() - ${w} GROUP BY ${SOURCE})`,
  );
  const known = `(SELECT count("value") * 0 AS "n" FROM ${M} WHERE time > now() - ${FRESHNESS_WINDOW}${filter} GROUP BY ${SOURCE})`;
  return `SELECT sum("n") AS "recent_buckets" FROM ${[...recent, known].join(', ')} GROUP BY ${SOURCE}`;
}

// ---------------------------------------------------------------------------------------------
// Dashboard

interface InfluxQuery extends Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
}

function influxql(refId: string, query: string, o: { alias?: string; table?: boolean } = {}): Builder<Dataquery> {
  const q: InfluxQuery = {
    refId,
    datasource: DS,
    query,
    rawQuery: true,
    resultFormat: o.table ? 'table' : 'time_series',
    ...(o.alias ? { alias: o.alias } : {}),
    _implementsDataqueryVariant() {},
  };
  return { build: () => q };
}

const steps = (...s: [number | null, string][]) => new dash.ThresholdsConfigBuilder().mode(dash.ThresholdsMode.Absolute).steps(s.map(([value, color]) => ({ value, color })));

/** Sum of one metric per time group at the selected interval (bytes, counts). */
const sumBy = (metric: string, by: string, extra = '') =>
  `SELECT sum("value") FROM ${M} WHERE "metric" = '${metric}' AND ${G} AND ${SEL}${extra} AND $timeFilter GROUP BY time($__interval), ${by} fill(null)`;
/** Rates (bit/s, req/s): each domain's mean within a time group, then summed over domains. */
const rateBy = (metric: string, by: string, extra = '') =>
  `SELECT sum("r") FROM (SELECT mean("value") AS "r" FROM ${M} WHERE "metric" = '${metric}' AND ${G} AND ${SEL}${extra} AND $timeFilter GROUP BY time($__interval), "vendor", "account", "area", "domain") WHERE $timeFilter GROUP BY time($__interval), ${by} fill(null)`;
const rateByDomain = (metric: string, extra = '') =>
  `SELECT mean("value") FROM ${M} WHERE "metric" = '${metric}' AND ${G} AND ${SEL}${extra} AND ${TOP} AND $timeFilter GROUP BY time($__interval), "vendor", "account", "domain" fill(null)`;
/** sum(numerator) / sum(denominator) × 100 in one statement (no Grafana-side math needed). */
const pct = (num: string, den: string, group: string, outerBy = '') => {
  const by = group ? ` GROUP BY ${group}` : '';
  return `SELECT sum("num") / sum("den") * 100 FROM (SELECT sum("value") AS "num" FROM ${M} WHERE ${num} AND ${G} AND ${SEL} AND $timeFilter${by}), (SELECT sum("value") AS "den" FROM ${M} WHERE ${den} AND ${G} AND ${SEL} AND $timeFilter${by}) WHERE $timeFilter${outerBy ? ` GROUP BY ${outerBy}` : ''}`;
};

const legend = (calcs: string[]) =>
  new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).showLegend(true).calcs(calcs).sortBy(calcs[0] === 'sum' ? 'Total' : 'Mean').sortDesc(true);
const tooltip = () => new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);
/** Legends: a sum only where it means something (bytes, counts); mean/max for bit/s, req/s and percentages. */
const ADDITIVE = ['sum', 'mean', 'max'];
const NON_ADDITIVE = ['mean', 'max'];

function ts(title: string, description: string, unit: string, queries: Builder<Dataquery>[], o: { additive: boolean; stack?: boolean; w?: number; h?: number; interval?: string }) {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit(unit)
    .min(0)
    .interval(o.interval ?? '${granularity}s')
    .span(o.w ?? 12)
    .height(o.h ?? 8)
    .lineWidth(1)
    .fillOpacity(o.stack ? 40 : 0)
    .spanNulls(true)
    .stacking(new common.StackingConfigBuilder().mode(o.stack ? common.StackingMode.Normal : common.StackingMode.None).group('A'))
    .legend(legend(o.additive ? ADDITIVE : NON_ADDITIVE))
    .tooltip(tooltip());
  for (const q of queries) p.withTarget(q);
  return p;
}

function statPanel(title: string, description: string, unit: string, query: string, thresholds: ReturnType<typeof steps>, o: { w: number; decimals?: number; calc?: string; graph?: boolean }) {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit(unit)
    .decimals(o.decimals ?? 1)
    .span(o.w)
    .height(5)
    .interval('${granularity}s')
    .thresholds(thresholds)
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(o.graph ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs([o.calc ?? 'lastNotNull']).values(false))
    .withTarget(influxql('A', query));
}

/** A ranking: top() in the database picks the $topn largest, the transformations keep them in order. */
function ranking(title: string, description: string, unit: string, query: string, valueField: string, w: number) {
  return new bargauge.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .unit(unit)
    .span(w)
    .height(9)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .showUnfilled(true)
    .thresholds(steps([null, 'blue']))
    // values: true draws one bar per row (per domain / code), not one bar for a reduced total.
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs([]).fields(`/^${valueField}$/`))
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: valueField, desc: true }] } })
    .withTransformation({ id: 'limit', options: { limitField: '$topn' } })
    .withTarget(influxql('A', query, { table: true }));
}

const topDomainsQuery = `SELECT top("bytes", "domain", $topn) AS "bytes" FROM (SELECT sum("value") AS "bytes" FROM ${M} WHERE "metric" = 'traffic_bytes' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "domain")`;

export function buildDashboard() {
  const overview = [
    statPanel('Origin traffic', 'Bytes pulled from origin in the chosen range, all selected vendors, accounts and domains, at the selected bucket interval.', 'decbytes',
      `SELECT sum("value") FROM ${M} WHERE "metric" = 'traffic_bytes' AND ${G} AND ${SEL} AND $timeFilter`, steps([null, 'blue']), { w: 5 }),
    statPanel('Peak origin bandwidth', 'Highest origin bandwidth of any bucket in the range: the bit/s of every selected domain added up per bucket, then the maximum.', 'bps',
      `SELECT max("bps") FROM (SELECT sum("value") AS "bps" FROM ${M} WHERE "metric" = 'bandwidth_bps' AND ${G} AND ${SEL} AND $timeFilter GROUP BY time(\${granularity}s))`, steps([null, 'blue']), { w: 5 }),
    statPanel('Origin failure rate', 'Failed origin requests as a percent of all origin requests in the range (Tencent and Huawei CDN report both). Orange from 1 %, red from 5 %.', 'percent',
      pct(`"metric" = 'failed_requests'`, `"metric" = 'requests'`, ''), steps([null, 'green'], [1, 'orange'], [5, 'red']), { w: 5, decimals: 2 }),
    statPanel('Origin 5xx share', 'Origin responses with a 5xx status as a percent of all origin responses (status classes of Alibaba, Tencent and Huawei CDN). Orange from 1 %, red from 5 %.', 'percent',
      pct(`"metric" = 'status_5xx'`, CLASSES, ''), steps([null, 'green'], [1, 'orange'], [5, 'red']), { w: 5, decimals: 2 }),
    statPanel('Stale sources', `Sources (vendor, account, area, metric) with data in the last ${FRESHNESS_WINDOW} but no bucket newer than ${Object.entries(STALE_AFTER).map(([i, w]) => `${w} at ${i} s`).join(', ')}. Independent of the time picker: a source stalled for longer than the range still counts. See "Data freshness".`, 'short',
      `SELECT sum("stale") FROM (SELECT count("recent_buckets") AS "stale" FROM (${recentBucketsQuery(` AND "vendor" =~ /^$vendor$/ AND "account" =~ /^$account$/`)}) WHERE "recent_buckets" = 0), (SELECT count("value") * 0 AS "stale" FROM ${M} WHERE time > now() - ${FRESHNESS_WINDOW} AND "vendor" =~ /^$vendor$/ AND "account" =~ /^$account$/)`,
      steps([null, 'green'], [1, 'red']), { w: 4, decimals: 0 }),
  ];

  const top = [
    ranking('Top domains by origin traffic', 'The $topn domains with the most origin bytes in the range (summed over vendors and accounts), largest first.', 'decbytes', topDomainsQuery, 'bytes', 12),
    ranking('Top origin status codes', 'The $topn most frequent concrete origin status codes in the range (Alibaba and Tencent report codes), most frequent first.', 'short',
      `SELECT top("responses", "metric", $topn) AS "responses" FROM (SELECT sum("value") AS "responses" FROM ${M} WHERE ${CODES} AND ${G} AND ${SEL} AND $timeFilter GROUP BY "metric")`, 'responses', 12),
  ];

  const totals = new table.PanelBuilder()
    .title('Totals by vendor and account')
    .description('For the chosen range: origin bytes, origin requests and failed origin requests per vendor and account, at the selected interval.')
    .datasource(DS)
    .unit('short')
    .span(24)
    .height(7)
    .interval('${granularity}s')
    .withTarget(influxql('A', `SELECT sum("value") AS "origin bytes" FROM ${M} WHERE "metric" = 'traffic_bytes' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor", "account"`, { table: true }))
    .withTarget(influxql('B', `SELECT sum("value") AS "origin requests" FROM ${M} WHERE "metric" = 'requests' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor", "account"`, { table: true }))
    .withTarget(influxql('C', `SELECT sum("value") AS "failed origin requests" FROM ${M} WHERE "metric" = 'failed_requests' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor", "account"`, { table: true }))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'origin bytes', desc: true }] } })
    .overrideByName('origin bytes', [{ id: 'unit', value: 'decbytes' }]);

  const traffic = [
    ts('Origin traffic by vendor', 'Bytes pulled from origin per time group, summed over the selected domains, stacked by vendor.', 'decbytes',
      [influxql('A', sumBy('traffic_bytes', '"vendor"'), { alias: '$tag_vendor' })], { additive: true, stack: true }),
    ts('Origin traffic by domain (top $topn)', 'Bytes pulled from origin per time group for the top $topn domains of the range.', 'decbytes',
      [influxql('A', sumBy('traffic_bytes', '"vendor", "account", "domain"', ` AND ${TOP}`), { alias: '$tag_domain ($tag_vendor/$tag_account)' })], { additive: true }),
    ts('Origin bandwidth by vendor', 'Origin bandwidth in bit/s as the vendors report it: each domain\'s mean per time group, added up per vendor and stacked.', 'bps',
      [influxql('A', rateBy('bandwidth_bps', '"vendor"'), { alias: '$tag_vendor' })], { additive: false, stack: true }),
    ts('Origin bandwidth by domain (top $topn)', 'Origin bandwidth in bit/s of the top $topn domains.', 'bps',
      [influxql('A', rateByDomain('bandwidth_bps'), { alias: '$tag_domain ($tag_vendor/$tag_account)' })], { additive: false }),
    ts('Tencent origin traffic by area', 'Tencent collects the mainland and the overseas area separately; a domain with global acceleration appears in both.', 'decbytes',
      [influxql('A', sumBy('traffic_bytes', '"area"', ` AND "vendor" = 'tencent'`), { alias: '$tag_area' })], { additive: true, stack: true }),
    ts('Tencent origin bandwidth by area', 'Tencent origin bandwidth in bit/s per area.', 'bps',
      [influxql('A', rateBy('bandwidth_bps', '"area"', ` AND "vendor" = 'tencent'`), { alias: '$tag_area' })], { additive: false, stack: true }),
  ];

  const requests = [
    ts('Origin requests (Tencent, Huawei CDN), top $topn', 'Requests sent to origin per time group, per domain.', 'short',
      [influxql('A', sumBy('requests', '"vendor", "account", "domain"', ` AND ${TOP}`), { alias: '$tag_domain ($tag_vendor/$tag_account)' })], { additive: true }),
    ts('Origin QPS (Alibaba), top $topn', 'Alibaba reports origin requests per second (DescribeDomainSrcQpsData), the mean of each bucket.', 'reqps',
      [influxql('A', rateByDomain('requests_per_sec', ` AND "vendor" = 'aliyun'`), { alias: '$tag_domain ($tag_account)' })], { additive: false }),
    ts('Failed origin requests (Tencent, Huawei CDN), top $topn', 'Origin requests that failed, per time group, per domain.', 'short',
      [influxql('A', sumBy('failed_requests', '"vendor", "account", "domain"', ` AND ${TOP}`), { alias: '$tag_domain ($tag_vendor/$tag_account)' })], { additive: true }),
    ts('Origin failure rate by vendor', 'Failed origin requests as a percent of origin requests, per vendor and time group (computed from the counts, so busy domains weigh more).', 'percent',
      [influxql('A', pct(`"metric" = 'failed_requests'`, `"metric" = 'requests'`, 'time($__interval), "vendor"', 'time($__interval), "vendor" fill(null)'), { alias: '$tag_vendor' })], { additive: false }),
    ts('Origin 5xx share by vendor', 'Origin responses with a 5xx status as a percent of all origin responses, per vendor and time group.', 'percent',
      [influxql('A', pct(`"metric" = 'status_5xx'`, CLASSES, 'time($__interval), "vendor"', 'time($__interval), "vendor" fill(null)'), { alias: '$tag_vendor' })], { additive: false }),
    ts('Origin fail rate as Tencent reports it, top $topn', 'Tencent\'s own failRate per domain, in percent.', 'percent',
      [influxql('A', `SELECT mean("value") FROM ${M} WHERE "metric" = 'fail_rate_pct' AND ${G} AND ${SEL} AND ${TOP} AND $timeFilter GROUP BY time($__interval), "account", "area", "domain" fill(null)`, { alias: '$tag_domain ($tag_account/$tag_area)' })], { additive: false }),
  ];

  const statusFor = (vendor: string, label: string) =>
    ts(`Origin status classes: ${label}`, `Origin responses by status class per time group (${label}), stacked.`, 'short',
      [influxql('A', `SELECT sum("value") FROM ${M} WHERE ${CLASSES} AND "vendor" = '${vendor}' AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), "metric" fill(null)`, { alias: '$tag_metric' })],
      { additive: true, stack: true, w: 8 });
  const status = [
    statusFor('aliyun', 'Alibaba'),
    statusFor('tencent', 'Tencent'),
    // Huawei Live writes only play_traffic_bytes, so status classes under vendor=huawei are Huawei CDN's.
    statusFor('huawei', 'Huawei CDN'),
    ts('Origin status codes', 'Concrete origin status codes (Alibaba, Tencent) per time group and vendor.', 'short',
      [influxql('A', `SELECT sum("value") FROM ${M} WHERE ${CODES} AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), "vendor", "metric" fill(null)`, { alias: '$tag_metric ($tag_vendor)' })],
      { additive: true, w: 24 }),
  ];

  const live = [
    ts('Huawei Live play traffic by domain (not origin)', 'Huawei Cloud Live reports edge play traffic of live domains, not back-to-origin traffic; it is shown here and nowhere else.', 'decbytes',
      [influxql('A', `SELECT sum("value") FROM ${M} WHERE "metric" = 'play_traffic_bytes' AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), "account", "domain" fill(null)`, { alias: '$tag_domain ($tag_account)' })],
      { additive: true, w: 24, h: 7 }),
  ];

  const freshness = new table.PanelBuilder()
    .title('Data freshness')
    .description(`Per source: the newest bucket of the last ${FRESHNESS_WINDOW} (whatever the time picker says) and the buckets inside its staleness window (0 = stalled).`)
    .datasource(DS)
    .unit('short')
    .span(12)
    .height(9)
    .withTarget(influxql('A', `SELECT last("value") AS "newest value" FROM ${M} WHERE "vendor" =~ /^$vendor$/ AND "account" =~ /^$account$/ AND time > now() - ${FRESHNESS_WINDOW} GROUP BY "vendor", "account", "area", "metric", "interval"`, { table: true }))
    .overrideByName('Time', [{ id: 'unit', value: 'dateTimeFromNow' }, { id: 'displayName', value: 'newest bucket' }])
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'Time', desc: false }] } });

  const explore = ts('Any metric: $metric', 'The metric chosen above per vendor, account and domain (top $topn), at the selected interval. Mean/max only: the metric may be a rate.', 'short',
    [influxql('A', `SELECT mean("value") FROM ${M} WHERE "metric" = '$metric' AND ${G} AND ${SEL} AND ${TOP} AND $timeFilter GROUP BY time($__interval), "vendor", "account", "domain" fill(null)`, { alias: '$tag_domain ($tag_vendor/$tag_account)' })],
    { additive: false });

  const tagVar = (name: string, label: string, key: string, where = '', description = '') =>
    new dash.QueryVariableBuilder(name)
      .label(label)
      .description(description)
      .datasource(DS)
      .query(`SHOW TAG VALUES FROM ${M} WITH KEY = "${key}"${where}`)
      .definition(`SHOW TAG VALUES FROM ${M} WITH KEY = "${key}"${where}`)
      .refresh(dash.VariableRefresh.OnTimeRangeChanged)
      .sort(dash.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*')
      .current({ text: ['All'], value: ['$__all'] });

  const b = new dash.DashboardBuilder('CDN origin (back-to-origin) traffic')
    .uid('cdn-origin')
    .description('Back-to-origin traffic, bandwidth, requests, failures and status codes collected by cdn-origin-collector from Alibaba Cloud CDN, Tencent Cloud CDN and Huawei Cloud CDN, plus Huawei Cloud Live play traffic.')
    .tags(['cdn', 'origin', 'cdn-origin-collector'])
    .editable()
    .refresh('1m')
    .time({ from: 'now-24h', to: 'now' })
    .timezone('browser')
    .withVariable(new dash.DatasourceVariableBuilder('datasource').label('Data source').type('influxdb').current({ text: '${DS_INFLUXDB}', value: '${DS_INFLUXDB}' }))
    .withVariable(tagVar('vendor', 'Vendor', 'vendor'))
    .withVariable(tagVar('account', 'Account', 'account', ` WHERE "vendor" =~ /^$vendor$/`))
    .withVariable(tagVar('area', 'Area (Tencent)', 'area', ` WHERE "vendor" = 'tencent'`, 'Tencent only; the other vendors are shown whatever is chosen here.'))
    .withVariable(tagVar('domain', 'Domain', 'domain', ` WHERE "vendor" =~ /^$vendor$/ AND "account" =~ /^$account$/`))
    .withVariable(
      new dash.QueryVariableBuilder('metric').label('Metric').datasource(DS)
        .query(`SHOW TAG VALUES FROM ${M} WITH KEY = "metric" WHERE "vendor" =~ /^$vendor$/`)
        .definition(`SHOW TAG VALUES FROM ${M} WITH KEY = "metric" WHERE "vendor" =~ /^$vendor$/`)
        .refresh(dash.VariableRefresh.OnTimeRangeChanged).sort(dash.VariableSort.AlphabeticalAsc)
        .current({ text: 'traffic_bytes', value: 'traffic_bytes' }),
    )
    .withVariable(
      new dash.QueryVariableBuilder('granularity').label('Bucket interval (s)').description('Panels read one bucket interval at a time: buckets of different lengths are never added up.').datasource(DS)
        .query(`SHOW TAG VALUES FROM ${M} WITH KEY = "interval"`)
        .definition(`SHOW TAG VALUES FROM ${M} WITH KEY = "interval"`)
        .refresh(dash.VariableRefresh.OnTimeRangeChanged).sort(dash.VariableSort.NumericalAsc)
        .current({ text: '300', value: '300' }),
    )
    .withVariable(
      new dash.CustomVariableBuilder('topn').label('Top N').values('5,10,20,50').current({ text: '10', value: '10' }),
    )
    .withVariable(
      // The per-domain panels read this list instead of every domain, so they draw $topn series, not 50.
      new dash.QueryVariableBuilder('topdomain').label('Top domains').hide(dash.VariableHide.HideVariable).datasource(DS)
        .query(`SELECT "domain", "bytes" FROM (${topDomainsQuery})`)
        .definition(`SELECT "domain", "bytes" FROM (${topDomainsQuery})`)
        .refresh(dash.VariableRefresh.OnTimeRangeChanged).sort(dash.VariableSort.Disabled)
        .multi(true).includeAll(true)
        .current({ text: ['All'], value: ['$__all'] }),
    )
    .withRow(new dash.RowBuilder('Overview'));
  for (const p of overview) b.withPanel(p);
  b.withRow(new dash.RowBuilder('Rankings'));
  for (const p of top) b.withPanel(p);
  b.withPanel(totals);
  b.withRow(new dash.RowBuilder('Origin traffic and bandwidth'));
  for (const p of traffic) b.withPanel(p);
  b.withRow(new dash.RowBuilder('Origin requests and failures'));
  for (const p of requests) b.withPanel(p);
  b.withRow(new dash.RowBuilder('Origin status codes'));
  for (const p of status) b.withPanel(p);
  b.withRow(new dash.RowBuilder('Huawei Live play traffic (edge, not origin)'));
  for (const p of live) b.withPanel(p);
  b.withRow(new dash.RowBuilder('Freshness and any metric'));
  b.withPanel(freshness);
  b.withPanel(explore);

  const built = b.build();
  // __inputs/__requires are what Grafana's "Export for sharing externally" adds: importing the file
  // asks for an InfluxDB data source, preselected in the `datasource` variable.
  return {
    __inputs: [{ name: 'DS_INFLUXDB', label: 'InfluxDB (InfluxQL)', description: `InfluxQL data source holding the ${MEASUREMENT} measurement`, type: 'datasource', pluginId: 'influxdb', pluginName: 'InfluxDB' }],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '11.0.0' },
      { type: 'datasource', id: 'influxdb', name: 'InfluxDB', version: '1.0.0' },
      { type: 'panel', id: 'stat', name: 'Stat', version: '' },
      { type: 'panel', id: 'bargauge', name: 'Bar gauge', version: '' },
      { type: 'panel', id: 'table', name: 'Table', version: '' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
    ],
    ...built,
  };
}

// ---------------------------------------------------------------------------------------------
// Alert rules (Grafana file provisioning, apiVersion 1)

/** Thresholds of the alert rules; docs/grafana.md lists them. */
export const ALERT = {
  /** percent of origin responses with a 5xx status over the last hour */
  fiveXxSharePct: 5,
  /** percent of failed origin requests over the last hour */
  failRatePct: 5,
  /** below this many responses/requests in the hour a share means nothing */
  minResponses: 100,
  /** last hour's mean bandwidth against the mean of the 7 days before it */
  bandwidthFactor: 3,
  /** ignore domains whose last-hour origin bandwidth is below this (bit/s) */
  minBandwidthBps: 1_000_000,
};

type Node = { refId: string; relativeTimeRange?: { from: number; to: number }; datasourceUid: string; model: Record<string, unknown> };
const HOUR = 3600;
const DAY = 86400;

const influxNode = (refId: string, query: string, from: number, to = 0): Node => ({
  refId,
  relativeTimeRange: { from, to },
  datasourceUid: INFLUX_DS_UID,
  model: { refId, query, rawQuery: true, resultFormat: 'time_series', intervalMs: 60_000, maxDataPoints: 43_200 },
});
const reduce = (refId: string, of: string, reducer = 'last'): Node => ({
  refId,
  datasourceUid: '__expr__',
  model: { refId, type: 'reduce', expression: of, reducer, settings: { mode: 'dropNN' } },
});
const math = (refId: string, expression: string): Node => ({ refId, datasourceUid: '__expr__', model: { refId, type: 'math', expression } });
const threshold = (refId: string, of: string, type: 'gt' | 'lt', value: number): Node => ({
  refId,
  datasourceUid: '__expr__',
  model: { refId, type: 'threshold', expression: of, conditions: [{ evaluator: { type, params: [value] } }] },
});

function rule(o: { uid: string; title: string; condition: string; data: Node[]; for: string; noData: 'OK' | 'NoData' | 'Alerting'; summary: string; description: string; severity: string }) {
  return {
    uid: o.uid,
    title: o.title,
    condition: o.condition,
    data: o.data,
    noDataState: o.noData,
    execErrState: 'Error',
    for: o.for,
    annotations: { summary: o.summary, description: o.description },
    labels: { severity: o.severity, service: 'cdn-origin' },
    isPaused: false,
  };
}

/** Per (vendor, account, domain) counts of one selection over the rule's range, for the shares. */
const countByDomain = (where: string) => `SELECT sum("value") FROM ${M} WHERE ${where} AND "interval" = '300' AND $timeFilter GROUP BY "vendor", "account", "domain"`;

export function buildAlertRules() {
  const share = (uid: string, title: string, num: string, den: string, limit: number, what: string) =>
    rule({
      uid,
      title,
      condition: 'F',
      data: [
        influxNode('A', countByDomain(num), HOUR),
        influxNode('B', countByDomain(den), HOUR),
        reduce('C', 'A', 'sum'),
        reduce('D', 'B', 'sum'),
        // The share, forced to 0 where the hour holds too few requests for a share to mean anything.
        math('E', `$C / $D * 100 * ($D >= ${ALERT.minResponses})`),
        threshold('F', 'E', 'gt', limit),
      ],
      for: '10m',
      noData: 'OK',
      severity: 'critical',
      summary: `${what} of {{ $labels.domain }} ({{ $labels.vendor }}/{{ $labels.account }}) is {{ humanize $values.E.Value }} %`,
      description: `Over the last hour (300 s buckets) ${what.toLowerCase()} of this domain was above ${limit} % with at least ${ALERT.minResponses} origin requests. Check the origin servers behind it.`,
    });

  const bandwidthQuery = `SELECT mean("value") FROM ${M} WHERE "metric" = 'bandwidth_bps' AND $timeFilter GROUP BY "vendor", "account", "area", "domain", "interval"`;
  const originGroup = {
    orgId: 1,
    name: 'cdn-origin',
    folder: 'CDN',
    interval: '1m',
    rules: [
      share('cdn-origin-5xx-share', 'Origin 5xx share high', `"metric" = 'status_5xx'`, CLASSES, ALERT.fiveXxSharePct, 'Origin 5xx share'),
      share('cdn-origin-fail-rate', 'Origin failure rate high', `"metric" = 'failed_requests'`, `"metric" = 'requests'`, ALERT.failRatePct, 'Origin failure rate'),
      rule({
        uid: 'cdn-origin-bandwidth-surge',
        title: 'Origin bandwidth far above usual',
        condition: 'F',
        data: [
          influxNode('A', bandwidthQuery, HOUR),
          influxNode('B', bandwidthQuery, 7 * DAY + HOUR, HOUR),
          reduce('C', 'A', 'mean'),
          reduce('D', 'B', 'mean'),
          // Ratio of the last hour to the 7 days before; 0 for small domains (a 10 kbit/s domain
          // tripling is no incident) and for domains without a baseline.
          math('E', `$C / $D * ($C >= ${ALERT.minBandwidthBps}) * ($D > 0)`),
          threshold('F', 'E', 'gt', ALERT.bandwidthFactor),
        ],
        for: '15m',
        noData: 'OK',
        severity: 'warning',
        summary: 'Origin bandwidth of {{ $labels.domain }} ({{ $labels.vendor }}/{{ $labels.account }}) is {{ humanize $values.E.Value }}× its 7-day mean',
        description: `The last hour's mean origin bandwidth is more than ${ALERT.bandwidthFactor}× the mean of the 7 days before it (domains above ${ALERT.minBandwidthBps / 1e6} Mbit/s). A cache purge, a misconfigured cache rule or an attack on the origin looks like this.`,
      }),
      rule({
        uid: 'cdn-origin-collection-stalled',
        title: 'Collection stalled',
        condition: 'C',
        data: [
          // Fixed windows (now() - …), not the rule's range: a stalled series would otherwise simply
          // vanish from the result and never fire.
          influxNode('A', recentBucketsQuery(''), 30 * DAY),
          reduce('B', 'A', 'last'),
          threshold('C', 'B', 'lt', 1),
        ],
        for: '5m',
        // An empty database for 30 days is the most stalled collection of all.
        noData: 'Alerting',
        severity: 'critical',
        summary: 'No new {{ $labels.metric }} bucket from {{ $labels.vendor }}/{{ $labels.account }} {{ $labels.area }}',
        description: `A source with data in the last ${FRESHNESS_WINDOW} has no bucket newer than ${Object.entries(STALE_AFTER).map(([i, w]) => `${w} (${i} s buckets)`).join(', ')}. Check the collector (cdn-origin-collector status, its log and /readyz), the vendor credentials and the vendor's API.`,
      }),
    ],
  };

  const gapGroup = {
    orgId: 1,
    name: 'cdn-collector',
    folder: 'CDN',
    interval: '1m',
    rules: [
      rule({
        uid: 'cdn-collector-gap-ledger',
        title: 'Gap ledger not empty',
        condition: 'C',
        data: [
          {
            refId: 'A',
            relativeTimeRange: { from: 600, to: 0 },
            datasourceUid: PROMETHEUS_DS_UID,
            model: { refId: 'A', expr: `sum by (vendor, account) (${GAP_GAUGE})`, instant: true, range: false, intervalMs: 60_000, maxDataPoints: 43_200 },
          },
          reduce('B', 'A', 'last'),
          threshold('C', 'B', 'gt', 0),
        ],
        for: '0s',
        noData: 'OK',
        severity: 'warning',
        summary: '{{ $values.B.Value }} bucket(s) of {{ $labels.vendor }}/{{ $labels.account }} given up (gap ledger)',
        description: 'Buckets the vendor never delivered in a usable form, or InfluxDB refused, past collect.giveUpAfterMs. `cdn-origin-collector status` lists them; `backfill` over their range retries them.',
      }),
    ],
  };
  return { origin: { apiVersion: 1, groups: [originGroup] }, gap: { apiVersion: 1, groups: [gapGroup] } };
}

const HEADER = '# Generated by scripts/gen-dashboard.ts (npm run gen); edit the generator, not this file.\n';

export function renderAll(): Record<string, string> {
  const alerts = buildAlertRules();
  return {
    'grafana/dashboards/cdn-origin.json': JSON.stringify(buildDashboard(), null, 2) + '\n',
    'grafana/provisioning/alerting/cdn-origin.yaml': HEADER + toYaml(alerts.origin, { lineWidth: 0 }),
    // Outside provisioning/ on purpose: the Compose stack has no Prometheus, and a rule whose data
    // source does not exist must not stand in the way of Grafana starting.
    'grafana/alerting-optional/gap-ledger.yaml':
      HEADER +
      '# Optional: needs a Prometheus data source with uid "prometheus" scraping the collector\'s /metrics.\n' +
      '# To use it, copy this file into grafana/provisioning/alerting/ (see docs/grafana.md).\n' +
      toYaml(alerts.gap, { lineWidth: 0 }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const [file, text] of Object.entries(renderAll())) {
    mkdirSync(`${root}${file.replace(/\/[^/]+$/, '')}`, { recursive: true });
    writeFileSync(`${root}${file}`, text);
  }
}
