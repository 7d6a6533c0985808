/**
 * Runs every query of the provisioned dashboard, with Grafana's macros and variables expanded the way
 * Grafana expands them, against a real InfluxDB 1.x holding data collected from all three emulators.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoVendors, type DemoVendors } from '../emulators/all.js';
import { ROOT, isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxQuery } from '../support/servers.js';

interface Target { refId: string; query: string; datasource: { uid: string } }
interface Panel { id: number; title: string; type: string; interval?: string; datasource: { uid: string }; targets: Target[]; fieldConfig: { defaults: { unit?: string } } }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: { name: string; query: string; multi: boolean; allValue?: string; datasource: { uid: string } }[] } }

const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'grafana/dashboards/cdn-origin.json'), 'utf8')) as Dashboard;

/** Grafana's interval: range / max data points, rounded to a nice step, never below the panel's min interval. */
function grafanaInterval(rangeMs: number, minInterval: string | undefined, vars: Record<string, string>): string {
  const raw = rangeMs / 1000 / 1000;
  const steps = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];
  let s = steps.find((x) => x >= raw) ?? 86400;
  if (minInterval) {
    const m = /^(\d+)(s|m|h)$/.exec(interpolate(minInterval, vars, {}));
    if (m) s = Math.max(s, Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's']);
  }
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

function interpolate(q: string, vars: Record<string, string>, macros: Record<string, string>): string {
  let out = q;
  for (const [k, v] of Object.entries(macros)) out = out.split(k).join(v);
  // ${name} and $name, longest names first so that $domain does not eat $domainX.
  for (const k of Object.keys(vars).sort((a, b) => b.length - a.length)) out = out.split(`\${${k}}`).join(vars[k]!).split(`$${k}`).join(vars[k]!);
  return out;
}

describe('the Grafana dashboard', () => {
  let vendors: DemoVendors;
  let influx: string;
  const db = `dash_${process.pid}`;
  let from = 0;
  let to = 0;

  beforeAll(async () => {
    vendors = await startDemoVendors();
    influx = inject('influxV1Url');
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ ...vendors.config, influx: { url: influx, apiVersion: 1, database: db }, log: { level: 'silent' } });
    to = Math.floor(Date.now() / 1000);
    from = to - 3 * 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...vendors.env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await vendors?.stop();
  });

  it('template variable queries return values', async () => {
    for (const v of dashboard.templating.list) {
      const q = interpolate(v.query, { vendor: '.*' }, {});
      const series = await influxQuery(influx, db, q);
      expect(series.length, v.name).toBeGreaterThan(0);
      expect(series[0]!.values.length, v.name).toBeGreaterThan(0);
    }
    expect(dashboard.templating.list.map((v) => v.name)).not.toContain('interval');
  });

  const cases = [
    { name: 'all vendors and domains, 300 s buckets', vars: { vendor: '.*', domain: '.*', granularity: '300', metric: 'traffic_bytes' } },
    { name: 'two vendors chosen, one metric', vars: { vendor: '(aliyun|tencent)', domain: '.*', granularity: '300', metric: 'requests' } },
  ];
  for (const c of cases) {
    it(`every panel returns series: ${c.name}`, async () => {
      const rangeMs = (to - from) * 1000;
      const failures: string[] = [];
      for (const p of dashboard.panels) {
        expect(p.targets.length, p.title).toBeGreaterThan(0);
        expect(p.fieldConfig.defaults.unit, `${p.title} has a unit`).toBeTruthy();
        for (const t of p.targets) {
          expect(t.query).not.toMatch(/now\(\) *- *\d/);
          expect(t.query).toContain('$timeFilter');
          const macros = { $timeFilter: `time >= ${from * 1000}ms and time <= ${to * 1000}ms`, $__interval: grafanaInterval(rangeMs, p.interval, c.vars) };
          const q = interpolate(t.query, c.vars, macros);
          expect(q, `${p.title}: nothing left to expand`).not.toMatch(/\$\w/);
          try {
            const series = await influxQuery(influx, db, q);
            if (!series.length || !series.some((s) => s.values.length)) failures.push(`${p.title} [${t.refId}]: no series for ${q}`);
          } catch (err) {
            failures.push(`${p.title} [${t.refId}]: ${(err as Error).message} for ${q}`);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('provisioning references the dashboard and the data source by uid, and compose mounts them', () => {
    const ds = parseYaml(readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as { datasources: { uid: string; type: string; jsonData: { dbName: string } }[] };
    const uid = ds.datasources[0]!.uid;
    expect(ds.datasources[0]!.type).toBe('influxdb');
    for (const p of dashboard.panels) {
      expect(p.datasource.uid).toBe(uid);
      for (const t of p.targets) expect(t.datasource.uid).toBe(uid);
    }
    for (const v of dashboard.templating.list) expect(v.datasource.uid).toBe(uid);
    const prov = parseYaml(readFileSync(path.join(ROOT, 'grafana/provisioning/dashboards/dashboards.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    const compose = parseYaml(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string> }> };
    const mounts = compose.services.grafana!.volumes!;
    expect(mounts).toContain(`./grafana/dashboards:${prov.providers[0]!.options.path}:ro`);
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose.services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${prov.providers[0]!.options.path}/cdn-origin.json`);
    expect(dashboard.uid).toBe('cdn-origin');
  });
});
