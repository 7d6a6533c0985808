/**
 * Starts the real time-series servers the integration tests and benchmarks use: InfluxDB 1.x
 * (Debian `influxdb`) and VictoriaMetrics (Debian `victoria-metrics`), on free loopback ports in a
 * temp dir. Each is stopped with its process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin'])) {
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function waitFor(url: string, ok: (status: number) => boolean, child: ChildProcess, name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (ok(r.status)) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

export async function startInfluxV1(): Promise<RunningServer> {
  const bin = which('influxd');
  if (!bin) throw new Error('influxd not found: install the Debian package `influxdb` (bash scripts/install-servers.sh)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'influx1-'));
  const port = await freePort();
  const rpcPort = await freePort();
  const conf = path.join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
  max-body-size = 0
[monitor]
  store-enabled = false
[logging]
  level = "warn"
`,
  );
  const child = spawn(bin, ['run', '-config', conf], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/ping`, (s) => s === 204, child, 'influxd');
  return { url, stop: stopper(child, dir) };
}

export async function startVictoriaMetrics(): Promise<RunningServer> {
  const bin = which('victoria-metrics');
  if (!bin) throw new Error('victoria-metrics not found: install the Debian package `victoria-metrics` (bash scripts/install-servers.sh)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vm-'));
  const port = await freePort();
  const child = spawn(
    bin,
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=100y', '-dedup.minScrapeInterval=1ms', '-search.latencyOffset=0s', '-loggerLevel=ERROR'],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health`, (s) => s === 200, child, 'victoria-metrics');
  return { url, stop: stopper(child, dir) };
}

/** InfluxQL over HTTP against InfluxDB 1.x. */
export async function influxQuery(url: string, db: string, q: string): Promise<{ columns: string[]; values: unknown[][]; tags?: Record<string, string> }[]> {
  const r = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=s&q=${encodeURIComponent(q)}`, { method: 'POST' });
  const j = (await r.json()) as { results: { series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[]; error?: string }[] };
  const res = j.results[0]!;
  if (res.error) throw new Error(res.error);
  return res.series ?? [];
}

export async function createDatabase(url: string, db: string): Promise<void> {
  const r = await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
  if (!r.ok) throw new Error(`CREATE DATABASE ${db}: HTTP ${r.status}`);
}

/**
 * Reads back what VictoriaMetrics holds for `<measurement>_value` in [from, to] (epoch s), keyed
 * `domain|metric|interval|ts` unless `o.key` says otherwise (`o.labels` narrows the series, e.g.
 * `vendor="aliyun"`), waiting until at least `want` samples are readable (new series show up only
 * after a flush).
 */
export async function vmExport(
  url: string,
  measurement: string,
  fromSec: number,
  toSec: number,
  want: number,
  o: { labels?: string; key?: (labels: Record<string, string>, tsSec: number) => string } = {},
): Promise<Map<string, number[]>> {
  const key = o.key ?? ((l, t) => `${l.domain}|${l.metric}|${l.interval}|${t}`);
  await fetch(`${url}/internal/force_flush`);
  let got = new Map<string, number[]>();
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(`{__name__="${measurement}_value"${o.labels ? `,${o.labels}` : ''}}`)}&start=${fromSec}&end=${toSec}`);
    got = new Map();
    for (const line of (await res.text()).split('\n').filter(Boolean)) {
      const s = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
      s.timestamps.forEach((t, j) => {
        const k = key(s.metric, t / 1000);
        got.set(k, [...(got.get(k) ?? []), s.values[j]!]);
      });
    }
    if (got.size >= want) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return got;
}

/** Every stored point of an InfluxDB 1.x database in a time range, keyed `domain|metric|interval|ts`. */
export async function influxPoints(url: string, db: string, where: string): Promise<Map<string, number[]>> {
  const series = await influxQuery(url, db, `SELECT "value" FROM "cdn_origin" WHERE ${where} GROUP BY "domain", "metric", "interval"`);
  const m = new Map<string, number[]>();
  for (const s of series) {
    for (const [t, v] of s.values as [number, number][]) {
      const k = `${s.tags!.domain}|${s.tags!.metric}|${s.tags!.interval}|${t}`;
      m.set(k, [...(m.get(k) ?? []), v]);
    }
  }
  return m;
}
