/** `run` as a daemon, and what the CLI says when InfluxDB is away. */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoVendors, type DemoVendors } from '../emulators/all.js';
import { runCli, startCli, tempConfig } from '../support/cli.js';
import { createDatabase, freePort, influxQuery } from '../support/servers.js';

describe('run', () => {
  let vendors: DemoVendors;
  beforeAll(async () => {
    vendors = await startDemoVendors();
  });
  afterAll(async () => {
    await vendors.stop();
  });

  it('prints its API budget, polls every vendor, serves /healthz and /metrics, and stops cleanly on SIGTERM', async () => {
    const influx = inject('influxV1Url');
    const db = `run_${process.pid}`;
    await createDatabase(influx, db);
    const port = await freePort();
    const { file, dir } = tempConfig({ ...vendors.config, influx: { url: influx, apiVersion: 1, database: db }, http: { port }, log: { level: 'warn' } });
    const p = startCli(['run', '--config', file], { ...vendors.env, STATE_DIR: path.join(dir, 'state') });
    let health: { status: string; sources: { vendor: string; ok: boolean; lastPassAt: string | null }[] } | undefined;
    for (let i = 0; i < 150; i++) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        health = (await r.json()) as typeof health;
        if (r.status === 200 && health!.sources.every((s) => s.lastPassAt)) break;
      } catch {
        /* not listening yet */
      }
    }
    expect(health?.status).toBe('ok');
    expect(new Set(health!.sources.map((s) => s.vendor))).toEqual(new Set(['aliyun', 'tencent', 'huawei', 'huaweicdn']));
    // Liveness does not depend on InfluxDB or the vendors; readiness is /healthz's meaning.
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/cdn_collector_api_calls_total\{vendor="tencent",account="default",api="DescribeOriginData[^"]*",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/cdn_collector_points_total\{vendor="huawei",account="default",stream="[^"]+",result="written"\} [1-9]/);
    expect(metrics).toMatch(/^cdn_collector_build_info\{version="\d+\.\d+\.\d+",node="v\d+/m);
    expect(metrics).toMatch(/^cdn_collector_process_resident_memory_bytes /m);
    const series = await influxQuery(influx, db, 'SELECT count("value") FROM "cdn_origin" GROUP BY "vendor", "account"');
    expect(series.map((s) => `${s.tags!.vendor}/${s.tags!.account}`).sort()).toEqual(['aliyun/main', 'aliyun/shop', 'huawei/default', 'tencent/default']);
    p.child.kill('SIGTERM');
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^budget aliyun DescribeDomainRealTimeSrcTrafficData \(account main\): 3 domains, .* against a limit of 600 \(10\/s\)$/m);
    expect(r.stdout).toMatch(/^budget tencent DescribeOriginData \(account default\): 4 domains, .*flux-5min-overseas 1 calls every 300 s/m);
    expect(r.stderr).toBe('');
  });

  it('SIGHUP re-reads the configuration: an invalid one is refused with one line and the old one kept; a valid one is applied without losing state', async () => {
    const influx = inject('influxV1Url');
    const db = `hup_${process.pid}`;
    await createDatabase(influx, db);
    const port = await freePort();
    const base = { ...vendors.config, influx: { url: influx, apiVersion: 1, database: db }, http: { port }, log: { level: 'warn' } };
    const { file, dir } = tempConfig(base);
    const p = startCli(['run', '--config', file], { ...vendors.env, STATE_DIR: path.join(dir, 'state') });
    const sources = async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        return ((await r.json()) as { sources: { vendor: string; lastPassAt: string | null }[] }).sources;
      } catch {
        return [];
      }
    };
    for (let i = 0; i < 150 && !((await sources()).length && (await sources()).every((s) => s.lastPassAt)); i++) await new Promise((r) => setTimeout(r, 200));
    expect(new Set((await sources()).map((s) => s.vendor))).toContain('tencent');
    writeFileSync(file, JSON.stringify({ ...base, vendors: { ...base.vendors, tencent: { ...base.vendors.tencent, enabled: 'no' } } }));
    p.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    expect(new Set((await sources()).map((s) => s.vendor))).toContain('tencent');
    writeFileSync(file, JSON.stringify({ ...base, vendors: { ...base.vendors, tencent: { ...base.vendors.tencent, enabled: false } } }));
    p.child.kill('SIGHUP');
    for (let i = 0; i < 50 && (await sources()).some((s) => s.vendor === 'tencent'); i++) await new Promise((r) => setTimeout(r, 100));
    const after = await sources();
    expect(after.some((s) => s.vendor === 'tencent')).toBe(false);
    // Streams that still exist keep their record of the last pass.
    expect(after.filter((s) => s.vendor === 'aliyun').every((s) => s.lastPassAt)).toBe(true);
    p.child.kill('SIGTERM');
    const r = await p.done;
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^reload refused, keeping the running configuration: vendors\.tencent\.enabled: must be true or false/)]);
  });

  it('once with InfluxDB unreachable gives up after writeRetryMaxMs: exit 1, one plain line, checkpoints untouched', async () => {
    const port = await freePort();
    const { file, dir } = tempConfig({ ...vendors.config, influx: { url: `http://127.0.0.1:${port}`, apiVersion: 1, writeRetryMaxMs: 1500 }, log: { level: 'silent' } });
    const r = await runCli(['once', '--config', file], { ...vendors.env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`influx: http://127.0.0.1:${port} unreachable: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(existsSync(path.join(dir, 'state')) ? readdirSync(path.join(dir, 'state')).filter((f) => f.endsWith('.jsonl') && f !== 'gaps.jsonl') : []).toEqual([]);
  });

  it('run stops with a clear message, exit 1, when InfluxDB refuses the credentials', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'authorization failed' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const { file, dir } = tempConfig({ ...vendors.config, influx: { url: `http://127.0.0.1:${port}`, apiVersion: 1, username: 'u', password: 'wrong' }, log: { level: 'silent' } });
    const r = await runCli(['run', '--config', file], { ...vendors.env, STATE_DIR: path.join(dir, 'state') });
    server.close();
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^stopped: influx: http:\/\/127\.0\.0\.1:\d+.*(401|not authorized|refused)/);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(r.stderr).not.toContain('wrong');
  });
});
