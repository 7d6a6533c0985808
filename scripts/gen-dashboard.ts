/**
 * Writes grafana/dashboards/cdn-origin.json. Every query is InfluxQL (works on InfluxDB 1.x, on 2.x
 * through its DBRP mapping, and on 3.x where its InfluxQL subset allows), follows the time picker
 * ($timeFilter, $__interval) and never sums traffic across bucket intervals ($granularity picks one).
 * The interval variable is called `granularity`: a variable named `interval` would shadow $interval.
 */
import { writeFileSync } from 'node:fs';

const DS = { type: 'influxdb', uid: 'influxdb-cdn' };
const M = '"cdn_origin"';
const SEL = `"vendor" =~ /^$vendor$/ AND "domain" =~ /^$domain$/`;
const G = `"interval" = '$granularity'`;
let id = 0;
let y = 0;

type Target = { refId: string; query: string; alias?: string; resultFormat?: 'time_series' | 'table' };
function targets(list: Target[]) {
  return list.map((t) => ({ datasource: DS, refId: t.refId, query: t.query, rawQuery: true, resultFormat: t.resultFormat ?? 'time_series', ...(t.alias ? { alias: t.alias } : {}) }));
}

function panel(o: { title: string; description: string; type: string; unit: string; w: number; h?: number; x?: number; targets: Target[]; stack?: boolean; options?: Record<string, unknown>; transformations?: unknown[]; overrides?: unknown[]; interval?: string }) {
  const h = o.h ?? 8;
  const p = {
    id: ++id,
    type: o.type,
    title: o.title,
    description: o.description,
    datasource: DS,
    gridPos: { x: o.x ?? 0, y, w: o.w, h },
    interval: o.interval ?? '${granularity}s',
    fieldConfig: {
      defaults: {
        unit: o.unit,
        ...(o.type === 'timeseries' ? { custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: o.stack ? 40 : 0, stacking: { mode: o.stack ? 'normal' : 'none', group: 'A' }, spanNulls: true } } : {}),
      },
      overrides: o.overrides ?? [],
    },
    options: o.options ?? (o.type === 'timeseries' ? { legend: { displayMode: 'table', placement: 'right', calcs: ['sum', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } } : {}),
    targets: targets(o.targets),
    ...(o.transformations ? { transformations: o.transformations } : {}),
  };
  if ((o.x ?? 0) + o.w >= 24) y += h;
  return p;
}

const sumBy = (metric: string, by: string) => `SELECT sum("value") FROM ${M} WHERE "metric" = '${metric}' AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), ${by} fill(null)`;
// Bandwidth: the mean of each domain's bit/s within a time group, then summed over domains.
const bandwidthBy = (by: string) =>
  `SELECT sum("bps") FROM (SELECT mean("value") AS "bps" FROM ${M} WHERE "metric" = 'bandwidth_bps' AND ${SEL} AND $timeFilter GROUP BY time($__interval), "vendor", "domain") WHERE $timeFilter GROUP BY time($__interval), ${by} fill(null)`;

const panels = [
  panel({ title: 'Origin traffic by vendor (stacked)', description: 'Bytes pulled from origin per time group, summed over the selected domains, at the selected bucket interval.', type: 'timeseries', unit: 'decbytes', w: 12, stack: true, targets: [{ refId: 'A', query: sumBy('traffic_bytes', '"vendor"'), alias: '$tag_vendor' }] }),
  panel({ title: 'Origin traffic by domain', description: 'Bytes pulled from origin per time group for each domain, side by side.', type: 'timeseries', unit: 'decbytes', w: 12, x: 12, targets: [{ refId: 'A', query: sumBy('traffic_bytes', '"vendor", "domain"'), alias: '$tag_domain ($tag_vendor)' }] }),
  panel({ title: 'Origin bandwidth by vendor (stacked)', description: 'Origin bandwidth in bit/s, as the vendors report it (Alibaba real-time, Tencent).', type: 'timeseries', unit: 'bps', w: 12, stack: true, interval: '60s', targets: [{ refId: 'A', query: bandwidthBy('"vendor"'), alias: '$tag_vendor' }] }),
  panel({ title: 'Origin bandwidth by domain', description: 'Origin bandwidth in bit/s per domain.', type: 'timeseries', unit: 'bps', w: 12, x: 12, interval: '60s', targets: [{ refId: 'A', query: `SELECT mean("value") FROM ${M} WHERE "metric" = 'bandwidth_bps' AND ${SEL} AND $timeFilter GROUP BY time($__interval), "vendor", "domain" fill(null)`, alias: '$tag_domain ($tag_vendor)' }] }),
  panel({
    title: 'Top domains by origin traffic',
    description: 'Total origin bytes per domain over the chosen time range, largest first (top 10).',
    type: 'bargauge',
    unit: 'decbytes',
    w: 12,
    options: { orientation: 'horizontal', displayMode: 'gradient', reduceOptions: { calcs: ['sum'], values: false } },
    targets: [{ refId: 'A', query: `SELECT sum("value") AS "bytes" FROM ${M} WHERE "metric" = 'traffic_bytes' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor", "domain"`, alias: '$tag_domain ($tag_vendor)' }],
    transformations: [{ id: 'reduce', options: { reducers: ['sum'] } }, { id: 'sortBy', options: { sort: [{ field: 'Total', desc: true }] } }, { id: 'limit', options: { limitField: 10 } }],
  }),
  panel({
    title: 'Totals by vendor',
    description: 'For the chosen range: origin bytes (selected interval), requests and failed requests per vendor.',
    type: 'table',
    unit: 'short',
    w: 12,
    x: 12,
    targets: [
      { refId: 'A', resultFormat: 'table', query: `SELECT sum("value") AS "origin bytes" FROM ${M} WHERE "metric" = 'traffic_bytes' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor"` },
      { refId: 'B', resultFormat: 'table', query: `SELECT sum("value") AS "requests" FROM ${M} WHERE "metric" = 'requests' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor"` },
      { refId: 'C', resultFormat: 'table', query: `SELECT sum("value") AS "failed requests" FROM ${M} WHERE "metric" = 'failed_requests' AND ${G} AND ${SEL} AND $timeFilter GROUP BY "vendor"` },
    ],
    transformations: [{ id: 'merge', options: {} }, { id: 'organize', options: { excludeByName: { Time: true } } }],
    overrides: [{ matcher: { id: 'byName', options: 'origin bytes' }, properties: [{ id: 'unit', value: 'decbytes' }] }],
  }),
  panel({ title: 'Origin requests', description: 'Requests sent to origin per time group (Tencent).', type: 'timeseries', unit: 'short', w: 8, targets: [{ refId: 'A', query: sumBy('requests', '"vendor", "domain"'), alias: '$tag_domain ($tag_vendor)' }] }),
  panel({ title: 'Failed origin requests', description: 'Origin requests that failed, per time group (Tencent).', type: 'timeseries', unit: 'short', w: 8, x: 8, targets: [{ refId: 'A', query: sumBy('failed_requests', '"vendor", "domain"'), alias: '$tag_domain ($tag_vendor)' }] }),
  panel({ title: 'Origin fail rate', description: 'Failed origin requests as a percent of all origin requests, as the vendor reports it.', type: 'timeseries', unit: 'percent', w: 8, x: 16, targets: [{ refId: 'A', query: `SELECT mean("value") FROM ${M} WHERE "metric" = 'fail_rate_pct' AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), "vendor", "domain" fill(null)`, alias: '$tag_domain ($tag_vendor)' }] }),
  panel({ title: 'Origin status-code classes (stacked)', description: 'Origin responses by class (2xx, 3xx, 4xx, 5xx) per time group.', type: 'timeseries', unit: 'short', w: 12, stack: true, targets: [{ refId: 'A', query: `SELECT sum("value") FROM ${M} WHERE "metric" =~ /^status_[1-5]xx$/ AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), "metric" fill(null)`, alias: '$tag_metric' }] }),
  panel({
    title: 'Top origin status codes',
    description: 'Responses per concrete status code over the chosen range, most frequent first.',
    type: 'bargauge',
    unit: 'short',
    w: 12,
    x: 12,
    options: { orientation: 'horizontal', displayMode: 'basic', reduceOptions: { calcs: ['sum'], values: false } },
    targets: [{ refId: 'A', query: `SELECT sum("value") FROM ${M} WHERE "metric" =~ /^status_[1-5][0-9][0-9]$/ AND ${G} AND ${SEL} AND $timeFilter GROUP BY "metric"`, alias: '$tag_metric' }],
    transformations: [{ id: 'reduce', options: { reducers: ['sum'] } }, { id: 'sortBy', options: { sort: [{ field: 'Total', desc: true }] } }, { id: 'limit', options: { limitField: 10 } }],
  }),
  panel({
    title: 'Data freshness',
    description: 'Newest bucket per vendor, metric and interval, and how long ago it started. A stalled source shows here first.',
    type: 'table',
    unit: 'short',
    w: 12,
    interval: '60s',
    targets: [{ refId: 'A', resultFormat: 'table', query: `SELECT last("value") AS "value" FROM ${M} WHERE "vendor" =~ /^$vendor$/ AND $timeFilter GROUP BY "vendor", "metric", "interval"` }],
    overrides: [{ matcher: { id: 'byName', options: 'Time' }, properties: [{ id: 'unit', value: 'dateTimeFromNow' }, { id: 'displayName', value: 'newest bucket' }] }],
  }),
  panel({ title: 'Any metric ($metric)', description: 'The metric chosen above, per vendor and domain, at the selected interval.', type: 'timeseries', unit: 'short', w: 12, x: 12, targets: [{ refId: 'A', query: `SELECT sum("value") FROM ${M} WHERE "metric" = '$metric' AND ${G} AND ${SEL} AND $timeFilter GROUP BY time($__interval), "vendor", "domain" fill(null)`, alias: '$tag_domain ($tag_vendor)' }] }),
];

const variable = (name: string, label: string, query: string, multi = true) => ({
  name,
  label,
  type: 'query',
  datasource: DS,
  query,
  definition: query,
  refresh: 2,
  multi,
  includeAll: multi,
  ...(multi ? { allValue: '.*', current: { text: 'All', value: '$__all' } } : {}),
  sort: 1,
});

const dashboard = {
  uid: 'cdn-origin',
  title: 'CDN origin (back-to-origin) traffic',
  description: 'Back-to-origin traffic, bandwidth, requests and status codes collected by cdn-origin-collector from Alibaba Cloud CDN, Tencent Cloud CDN and Huawei Cloud Live.',
  tags: ['cdn', 'origin', 'cdn-origin-collector'],
  editable: true,
  schemaVersion: 39,
  version: 1,
  refresh: '1m',
  time: { from: 'now-24h', to: 'now' },
  timepicker: {},
  templating: {
    list: [
      variable('vendor', 'Vendor', `SHOW TAG VALUES FROM ${M} WITH KEY = "vendor"`),
      variable('domain', 'Domain', `SHOW TAG VALUES FROM ${M} WITH KEY = "domain" WHERE "vendor" =~ /^$vendor$/`),
      { ...variable('metric', 'Metric', `SHOW TAG VALUES FROM ${M} WITH KEY = "metric"`, false), current: { text: 'traffic_bytes', value: 'traffic_bytes' } },
      { ...variable('granularity', 'Interval (s)', `SHOW TAG VALUES FROM ${M} WITH KEY = "interval"`, false), current: { text: '300', value: '300' } },
    ],
  },
  annotations: { list: [] },
  panels,
};

writeFileSync(new URL('../grafana/dashboards/cdn-origin.json', import.meta.url), JSON.stringify(dashboard, null, 2) + '\n');
