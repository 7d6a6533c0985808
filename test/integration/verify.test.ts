/**
 * `verify` through the CLI: a range collected by `backfill` verifies clean; then InfluxDB is made
 * wrong on purpose (a point deleted, one overwritten, one added) and `verify` names each difference,
 * counts it in the summary and exits 1, writing nothing.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxPoints, influxQuery } from '../support/servers.js';

const AK = 'LTAI-verify';
const SK = 'verify-secret';
const DOMAINS = ['a.example.com', 'b.example.com'];
const API = 'DescribeDomainRealTimeSrcTrafficData';
const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SK };

async function write(url: string, db: string, lines: string): Promise<void> {
  const r = await fetch(`${url}/write?db=${db}&precision=s`, { method: 'POST', body: lines });
  expect(r.status).toBe(204);
}

describe('verify', () => {
  let emu: AliyunEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } } });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('clean after backfill; then every missing, wrong and extra bucket is named, counted, and exit 1', async () => {
    const influx = inject('influxV1Url');
    const db = `verify_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { aliyun: { enabled: true, endpoint: url, domains: DOMAINS, apis: [API] } }, log: { level: 'warn' } });
    const envs = { ...env, STATE_DIR: path.join(dir, 'state') };
    const to = Math.floor((Date.now() / 1000 - 30 * 60) / 3600) * 3600;
    const from = to - 3600;
    const b = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], envs);
    expect(b.code, b.stderr).toBe(0);

    const clean = await runCli(['verify', '--from', isoSec(from), '--to', isoSec(to), '--config', file], envs);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout.trim().split('\n')).toEqual(['summary aliyun default traffic_bytes: 120 buckets compared, 0 missing, 0 wrong, 0 extra, 0 provisional']);

    const t1 = from + 600;
    const t2 = from + 1200;
    await influxQuery(influx, db, `DELETE FROM "cdn_origin" WHERE "domain" = 'a.example.com' AND time = ${t1}s`);
    const good = emu.finalValue(API, 'b.example.com', 'traffic_bytes', t2, 60);
    await write(influx, db, `cdn_origin,account=default,domain=b.example.com,interval=60,metric=traffic_bytes,vendor=aliyun value=${good + 1} ${t2}`);
    await write(influx, db, `cdn_origin,account=default,domain=a.example.com,interval=60,metric=traffic_bytes,vendor=aliyun value=5 ${from + 1830}`);
    const before = await influxPoints(influx, db, `time >= ${from}s AND time < ${to}s`);

    const bad = await runCli(['verify', '--from', isoSec(from), '--to', isoSec(to), '--config', file], envs);
    expect(bad.code).toBe(1);
    const lines = bad.stdout.trim().split('\n');
    expect(lines).toContain(`missing aliyun account=default domain=a.example.com metric=traffic_bytes interval=60 ${isoSec(t1)}: vendor ${emu.finalValue(API, 'a.example.com', 'traffic_bytes', t1, 60)}, InfluxDB none`);
    expect(lines).toContain(`wrong aliyun account=default domain=b.example.com metric=traffic_bytes interval=60 ${isoSec(t2)}: vendor ${good}, InfluxDB ${good + 1}`);
    expect(lines).toContain(`extra aliyun account=default domain=a.example.com metric=traffic_bytes interval=60 ${isoSec(from + 1830)}: InfluxDB 5, the vendor has no such bucket`);
    expect(lines.at(-1)).toBe('summary aliyun default traffic_bytes: 120 buckets compared, 1 missing, 1 wrong, 1 extra, 0 provisional');
    expect(lines).toHaveLength(4);
    // verify writes nothing: the database is as it was.
    expect(await influxPoints(influx, db, `time >= ${from}s AND time < ${to}s`)).toEqual(before);
  });
});
