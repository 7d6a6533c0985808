/**
 * Runs every query of the dashboard, with Grafana's macros and variables expanded the way Grafana
 * expands them, against a real InfluxDB 1.x holding generated points in the collector's schema
 * (test/support/dashboard-data.ts), and checks the answers against the points written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { renderAll, FRESHNESS_WINDOW } from '../../scripts/gen-dashboard.js';
import { ROOT } from '../support/cli.js';
import { generate, writePoints, type Point } from '../support/dashboard-data.js';
import { grafanaInterval, interpolate, variableValues, type VarValue } from '../support/grafana.js';
import { createDatabase, influxQuery } from '../support/servers.js';

interface Target { refId: string; query: string; resultFormat: string; datasource: { uid: string } }
interface Panel {
  type: string;
  title: string;
  interval?: string;
  datasource?: { uid: string };
  targets?: Target[];
  fieldConfig?: { defaults: { unit?: string } };
  options?: { legend?: { calcs: string[] }; reduceOptions?: { values: boolean } };
  transformations?: { id: string; options: Record<string, unknown> }[];
}
interface Variable { name: string; type: string; query: string; multi?: boolean; includeAll?: boolean; allValue?: string; current?: { value: string | string[] }; datasource?: { uid: string } }
interface Dashboard { uid: string; schemaVersion: number; __inputs: { name: string; pluginId: string; type: string }[]; panels: Panel[]; templating: { list: Variable[] } }

const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'grafana/dashboards/cdn-origin.json'), 'utf8')) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const byTitle = (t: string) => panels.find((p) => p.title === t) ?? (() => { throw new Error(`no panel ${t}`); })();
const RATE_UNITS = ['bps', 'percent', 'reqps'];

describe('the Grafana dashboard', () => {
  const influx = () => inject('influxV1Url');
  const dbs = { healthy: `dash_ok_${process.pid}`, incident: `dash_inc_${process.pid}` };
  const nowSec = Math.floor(Date.now() / 1000);
  const from = nowSec - 6 * 3600;
  const data = { healthy: generate(nowSec, 'healthy'), incident: generate(nowSec, 'incident') };

  beforeAll(async () => {
    for (const k of ['healthy', 'incident'] as const) {
      await createDatabase(influx(), dbs[k]);
      await writePoints(influx(), dbs[k], data[k].points);
    }
  }, 60_000);

  /** What Grafana would show for the variables: "All" is the allValue, or every option where there is none. */
  async function resolveVariables(db: string, chosen: Record<string, VarValue>): Promise<{ vars: Record<string, VarValue>; options: Record<string, string[]> }> {
    const vars: Record<string, VarValue> = {};
    const options: Record<string, string[]> = {};
    const macros = { $timeFilter: `time >= ${from * 1000}ms and time <= ${nowSec * 1000}ms` };
    for (const v of dashboard.templating.list) {
      if (v.type === 'datasource') continue;
      if (v.type === 'custom') {
        vars[v.name] = chosen[v.name] ?? (v.current!.value as string);
        continue;
      }
      options[v.name] = await variableValues(influx(), db, interpolate(v.query, vars, macros));
      vars[v.name] = chosen[v.name] ?? (v.includeAll ? (v.allValue ?? options[v.name]!) : (v.current!.value as string));
    }
    return { vars, options };
  }

  async function run(db: string, p: Panel, t: Target, vars: Record<string, VarValue>) {
    const macros = { $timeFilter: `time >= ${from * 1000}ms and time <= ${nowSec * 1000}ms`, $__interval: grafanaInterval((nowSec - from) * 1000, p.interval, vars) };
    const q = interpolate(t.query, vars, macros);
    expect(q, `${p.title}: nothing left to expand`).not.toMatch(/\$\w/);
    return influxQuery(influx(), db, q);
  }
  const scalar = async (db: string, title: string, vars: Record<string, VarValue>) => {
    const p = byTitle(title);
    const s = await run(db, p, p.targets![0]!, vars);
    return s.length ? Number(s[0]!.values[0]![1]) : undefined;
  };

  it('is what the generator writes (npm run gen), and so are the alert rules', () => {
    for (const [file, text] of Object.entries(renderAll())) expect(readFileSync(path.join(ROOT, file), 'utf8'), `${file} is stale: run npm run gen`).toBe(text);
  });

  it('imports anywhere: a data source variable, __inputs, no hard-coded uid, current schema', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_INFLUXDB', type: 'datasource', pluginId: 'influxdb' })]);
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource')!;
    expect(ds).toMatchObject({ name: 'datasource', query: 'influxdb', current: { value: '${DS_INFLUXDB}' } });
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      for (const t of p.targets ?? []) expect(t.datasource.uid, p.title).toBe('${datasource}');
    }
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid, v.name).toBe('${datasource}');
    const names = dashboard.templating.list.map((v) => v.name);
    for (const n of ['datasource', 'vendor', 'account', 'area', 'domain', 'metric', 'granularity', 'topn']) expect(names).toContain(n);
    expect(names).not.toContain('interval');
    expect(dashboard.templating.list.find((v) => v.name === 'topn')!.current!.value).toBe('10');
  });

  it('queries stay inside what InfluxDB 1.x, 2.x and 3.x all run, never add up intervals, never mix play traffic into origin', () => {
    for (const p of panels) {
      expect(p.fieldConfig?.defaults.unit, `${p.title} has a unit`).toBeTruthy();
      for (const t of p.targets ?? []) {
        expect(t.query, p.title).not.toMatch(/\b(SLIMIT|SOFFSET|INTEGRAL|SAMPLE)\b/i);
        const freshness = t.query.includes(`now() - ${FRESHNESS_WINDOW}`);
        if (freshness) continue;
        expect(t.query, p.title).toContain('$timeFilter');
        expect(t.query, `${p.title} reads one interval`).toContain(`"interval" = '$granularity'`);
        expect(t.query, p.title).not.toMatch(/now\(\) *- *\d/);
        if (t.query.includes('play_traffic_bytes')) expect(p.title, 'play traffic only in its own panel').toMatch(/play traffic/i);
        if (/play traffic/i.test(p.title)) expect(t.query).not.toMatch(/'traffic_bytes'|bandwidth_bps/);
      }
    }
  });

  it('legends: mean/max for rates and percentages, a sum only for bytes and counts', () => {
    for (const p of panels.filter((x) => x.type === 'timeseries')) {
      const calcs = p.options!.legend!.calcs;
      const unit = p.fieldConfig!.defaults.unit!;
      expect(calcs, p.title).toEqual(expect.arrayContaining(['mean', 'max']));
      if (RATE_UNITS.includes(unit)) expect(calcs, `${p.title} (${unit}) must not sum`).not.toContain('sum');
      else expect(['decbytes', 'short']).toContain(unit);
    }
  });

  it('variables return the tags written, and the top-domain list ranks by origin traffic', async () => {
    const { options, vars } = await resolveVariables(dbs.healthy, { topn: '5' });
    for (const [name, vals] of Object.entries(options)) expect(vals.length, name).toBeGreaterThan(0);
    expect(options.vendor!.sort()).toEqual(['aliyun', 'huawei', 'tencent']);
    expect(options.account).toEqual(expect.arrayContaining(['default', 'brand', 'games', 'live']));
    expect(options.area!.sort()).toEqual(['mainland', 'overseas']);
    expect(options.granularity).toEqual(expect.arrayContaining(['60', '300', '3600']));
    expect(options.metric).toEqual(expect.arrayContaining(['requests_per_sec', 'play_traffic_bytes', 'status_5xx', 'status_404']));
    const expected = topDomains(data.healthy.points, 300, 5);
    expect(options.topdomain).toEqual(expected);
    expect(vars.topdomain).toEqual(expected);
  });

  function topDomains(points: Point[], interval: number, n: number): string[] {
    const by = new Map<string, number>();
    for (const p of points) if (p.metric === 'traffic_bytes' && p.interval === interval && p.ts >= from && p.ts <= nowSec) by.set(p.domain, (by.get(p.domain) ?? 0) + p.value);
    return [...by].sort((a, b) => b[1] - a[1]).slice(0, n).map(([d]) => d);
  }
  const inRange = (points: Point[], f: (p: Point) => boolean) => points.filter((p) => p.interval === 300 && p.ts >= from && p.ts <= nowSec && f(p));
  const total = (ps: Point[]) => ps.reduce((a, p) => a + p.value, 0);

  it('the overview stats and the rankings match the points written', async () => {
    const db = dbs.healthy;
    const pts = data.healthy.points;
    const { vars } = await resolveVariables(db, {});
    const bytes = total(inRange(pts, (p) => p.metric === 'traffic_bytes'));
    expect(await scalar(db, 'Origin traffic', vars)).toBeCloseTo(bytes, -3);
    const failed = total(inRange(pts, (p) => p.metric === 'failed_requests'));
    const reqs = total(inRange(pts, (p) => p.metric === 'requests'));
    expect(await scalar(db, 'Origin failure rate', vars)).toBeCloseTo((failed / reqs) * 100, 6);
    const five = total(inRange(pts, (p) => p.metric === 'status_5xx'));
    const classes = total(inRange(pts, (p) => /^status_[1-5]xx$/.test(p.metric)));
    expect(await scalar(db, 'Origin 5xx share', vars)).toBeCloseTo((five / classes) * 100, 6);
    const perBucket = new Map<number, number>();
    for (const p of inRange(pts, (x) => x.metric === 'bandwidth_bps')) perBucket.set(p.ts, (perBucket.get(p.ts) ?? 0) + p.value);
    expect(await scalar(db, 'Peak origin bandwidth', vars)).toBeCloseTo(Math.max(...perBucket.values()), 0);
    expect(await scalar(db, 'Stale sources', vars)).toBe(0);

    const top = byTitle('Top domains by origin traffic');
    expect(top.options!.reduceOptions!.values, 'one bar per domain, not one "Total"').toBe(true);
    expect(top.transformations!.map((t) => t.id)).toEqual(['sortBy', 'limit']);
    expect(top.transformations![1]!.options.limitField).toBe('$topn');
    const rows = (await run(db, top, top.targets![0]!, vars))[0]!;
    const domains = rows.values.map((r) => r[rows.columns.indexOf('domain')]);
    expect(domains).toEqual(topDomains(pts, 300, 10));

    const codes = byTitle('Top origin status codes');
    const crow = (await run(db, codes, codes.targets![0]!, vars))[0]!;
    const byCode = new Map<string, number>();
    for (const p of inRange(pts, (x) => /^status_\d{3}$/.test(x.metric))) byCode.set(p.metric, (byCode.get(p.metric) ?? 0) + p.value);
    const want = [...byCode].sort((a, b) => b[1] - a[1]).slice(0, 10);
    const got = crow.values.map((r) => [r[crow.columns.indexOf('metric')], r[crow.columns.indexOf('responses')]] as [string, number]).sort((a, b) => b[1] - a[1]);
    expect(got.map(([m]) => m)).toEqual(want.map(([m]) => m));
    expect(got[0]![1]).toBeCloseTo(want[0]![1], 3);
  });

  it('a source stalled longer ago than the time range still shows as stale', async () => {
    const db = dbs.incident;
    const { vars } = await resolveVariables(db, {});
    const stalledMetrics = new Set(data.incident.points.filter((p) => p.vendor === 'huawei' && p.account === 'default').map((p) => p.metric));
    expect(await scalar(db, 'Stale sources', vars)).toBe(stalledMetrics.size);
    const fresh = byTitle('Data freshness');
    const rows = await run(db, fresh, fresh.targets![0]!, vars);
    const huawei = rows.filter((s) => s.tags?.vendor === 'huawei' && s.tags.account === 'default' && s.tags.interval === '300');
    expect(huawei.length).toBe(stalledMetrics.size);
    for (const s of huawei) expect(Number(s.values[0]![0])).toBeLessThan(from);
  });

  const cases: { name: string; db: keyof typeof dbs; chosen: Record<string, VarValue>; strict: boolean }[] = [
    { name: 'healthy, everything, 300 s', db: 'healthy', chosen: {}, strict: true },
    { name: 'incident, everything, 300 s', db: 'incident', chosen: {}, strict: false },
    { name: 'two vendors chosen, 60 s buckets', db: 'healthy', chosen: { vendor: ['aliyun', 'tencent'], granularity: '60' }, strict: false },
    { name: 'one account, overseas area, top 5', db: 'healthy', chosen: { account: ['games'], area: ['overseas'], topn: '5' }, strict: false },
  ];
  for (const c of cases) {
    it(`every panel query runs and answers sensibly: ${c.name}`, async () => {
      const db = dbs[c.db];
      const { vars } = await resolveVariables(db, c.chosen);
      const failures: string[] = [];
      let nonEmpty = 0;
      for (const p of panels) {
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets!) {
          try {
            const series = await run(db, p, t, vars);
            const values = series.flatMap((s) => s.values.flatMap((r) => r.slice(1))).filter((v): v is number => typeof v === 'number');
            if (values.some((v) => !Number.isFinite(v) || v < 0)) failures.push(`${p.title} [${t.refId}]: a negative or non-finite value`);
            if (p.fieldConfig!.defaults.unit === 'percent' && values.some((v) => v > 100)) failures.push(`${p.title} [${t.refId}]: a percentage above 100`);
            if (values.length) nonEmpty++;
            else if (c.strict) failures.push(`${p.title} [${t.refId}]: no data`);
            if (/top \$topn/.test(p.title)) {
              const domains = new Set(series.map((s) => s.tags?.domain));
              if (domains.size > Number(vars.topn)) failures.push(`${p.title}: ${domains.size} domains drawn, more than top ${vars.topn}`);
            }
          } catch (err) {
            failures.push(`${p.title} [${t.refId}]: ${(err as Error).message}`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(nonEmpty).toBeGreaterThan(panels.length / 2);
    });
  }

  it('area narrows Tencent only; Alibaba QPS and Huawei CDN status classes come from their vendors', async () => {
    const db = dbs.healthy;
    const { vars } = await resolveVariables(db, { area: ['overseas'] });
    const area = byTitle('Tencent origin traffic by area');
    const s = await run(db, area, area.targets![0]!, vars);
    expect(s.map((x) => x.tags!.area)).toEqual(['overseas']);
    const stat = await scalar(db, 'Origin traffic', vars);
    const expected = total(inRange(data.healthy.points, (p) => p.metric === 'traffic_bytes' && (p.vendor !== 'tencent' || p.area === 'overseas')));
    expect(stat).toBeCloseTo(expected, -3);
    const all = (await resolveVariables(db, {})).vars;
    const qps = byTitle('Origin QPS (Alibaba), top $topn');
    const qs = await run(db, qps, qps.targets![0]!, all);
    expect(qs.length).toBeGreaterThan(0);
    for (const x of qs) expect(data.healthy.points.some((p) => p.vendor === 'aliyun' && p.domain === x.tags!.domain)).toBe(true);
    const hw = byTitle('Origin status classes: Huawei CDN');
    const hs = await run(db, hw, hw.targets![0]!, all);
    expect(hs.map((x) => x.tags!.metric).sort()).toEqual(['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx']);
  });

  it('provisioning: the data source, the dashboard folder and the alert rules are mounted by compose', () => {
    const ds = parseYaml(readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    expect(ds.datasources[0]).toMatchObject({ uid: 'influxdb-cdn', type: 'influxdb' });
    const prov = parseYaml(readFileSync(path.join(ROOT, 'grafana/provisioning/dashboards/dashboards.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    const compose = parseYaml(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string> }> };
    const mounts = compose.services.grafana!.volumes!;
    expect(mounts).toContain(`./grafana/dashboards:${prov.providers[0]!.options.path}:ro`);
    // grafana/provisioning/alerting/ rides on this mount.
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose.services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${prov.providers[0]!.options.path}/cdn-origin.json`);
    expect(dashboard.uid).toBe('cdn-origin');
  });
});
