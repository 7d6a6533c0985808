/**
 * The demo: starts a local InfluxDB 1.x and the emulated vendors, runs the real collector (dist/cli.js)
 * against them (`backfill` of the last 2 hours, then `once`), and shows what it wrote. No cloud account needed.
 * The collector itself never falls back to emulators: this script points it at them through its config.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoVendors } from '../test/emulators/all.js';
import { createDatabase, influxQuery, startInfluxV1 } from '../test/support/servers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const influx = await startInfluxV1();
const vendors = await startDemoVendors();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdn-demo-'));
try {
  await createDatabase(influx.url, 'cdn');
  const configFile = path.join(dir, 'demo.json');
  writeFileSync(configFile, JSON.stringify({ ...vendors.config, influx: { url: influx.url, apiVersion: 1, database: 'cdn' }, state: { dir: path.join(dir, 'state') }, log: { level: 'warn' } }, null, 2));
  // The emulators live in this process: the collector must run beside it, not block it.
  const cli = (args: string[]) =>
    new Promise<number | null>((resolve) => {
      console.log(`\n$ cdn-origin-collector ${args.join(' ')}`);
      const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args, '--config', configFile], { stdio: 'inherit', env: { ...process.env, ...vendors.env } });
      child.on('exit', (code) => resolve(code));
    });
  const now = Date.now();
  const from = new Date(Math.floor((now - 2 * 3600_000) / 300_000) * 300_000).toISOString().replace('.000Z', 'Z');
  const to = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
  await cli(['check-config']);
  const b = await cli(['backfill', '--from', from, '--to', to]);
  const o = await cli(['once']);
  // The operator's proof: the last hour read again from the vendors and compared with InfluxDB.
  const vFrom = new Date(Math.floor((now - 3600_000) / 3600_000) * 3600_000).toISOString().replace('.000Z', 'Z');
  const v = await cli(['verify', '--from', vFrom, '--to', to]);
  console.log(`\nbackfill exit ${b}, once exit ${o}, verify exit ${v}. What InfluxDB holds now (measurement cdn_origin):\n`);
  const series = await influxQuery(influx.url, 'cdn', 'SELECT count("value"), last("value") FROM "cdn_origin" GROUP BY "vendor", "account", "metric", "interval"');
  const rows = series.map((s) => ({ vendor: s.tags?.vendor, account: s.tags?.account, metric: s.tags?.metric, interval: s.tags?.interval, points: s.values[0]?.[1], last: s.values[0]?.[2] }));
  console.table(rows);
  const newest = await influxQuery(influx.url, 'cdn', `SELECT last("value") FROM "cdn_origin" WHERE "metric" = 'traffic_bytes' GROUP BY "vendor", "account", "domain", "interval"`);
  console.log('\nNewest traffic_bytes bucket per vendor, domain and interval:');
  console.table(newest.map((s) => ({ vendor: s.tags?.vendor, account: s.tags?.account, domain: s.tags?.domain, interval: s.tags?.interval, bucketStart: new Date(Number(s.values[0]?.[0]) * 1000).toISOString(), bytes: s.values[0]?.[1] })));
  process.exitCode = b === 0 && o === 0 && v === 0 ? 0 : 1;
} finally {
  await vendors.stop();
  await influx.stop();
  rmSync(dir, { recursive: true, force: true });
}
