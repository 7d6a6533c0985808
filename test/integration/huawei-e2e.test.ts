/** Huawei end to end: the built CLI, the Huawei emulator over HTTP, real InfluxDB 1.x and VictoriaMetrics. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HuaweiEmulator } from '../emulators/huawei.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxQuery } from '../support/servers.js';

const DOMAINS = ['h1.example.com', 'h2.example.com', 'h3.example.com'];
const AK = 'HWE2EAK';
const PROJECT = 'e2eproject0000000000000000000001';
const env = { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: 'huawei-e2e-sk', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT };

describe('Huawei Cloud Live end to end', () => {
  let emu: HuaweiEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new HuaweiEmulator({ accounts: { [AK]: { sk: 'huawei-e2e-sk', projectId: PROJECT, domains: DOMAINS.map((domain) => ({ domain })) } }, settleMs: 30 * 60_000 });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it.each([['stats/traffic/detail'], ['stream/traffic']])('backfill of 2 h for 3 domains through %s into InfluxDB 1.x: every bucket once, exact', async (api) => {
    const influx = inject('influxV1Url');
    const db = `huawei_${api.replace('/', '_').replace('/', '_')}_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { huawei: { enabled: true, endpoint: url, domains: DOMAINS, apis: [api] } }, log: { level: 'warn' } });
    const to = Math.floor((Date.now() / 1000 - 3600) / 300) * 300;
    const from = to - 2 * 3600;
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    expect(emu.dataCalls().length - before).toBe(3);
    const series = await influxQuery(influx, db, `SELECT "value" FROM "cdn_origin" WHERE time >= ${from - 86400}s GROUP BY "domain", "metric", "interval", "vendor"`);
    const got = new Map<string, number[]>();
    for (const s of series) for (const [t, v] of s.values as [number, number][]) got.set(`${s.tags!.vendor}|${s.tags!.domain}|${s.tags!.metric}|${s.tags!.interval}|${t}`, [...(got.get(`${s.tags!.vendor}|${s.tags!.domain}|${s.tags!.metric}|${s.tags!.interval}|${t}`) ?? []), v]);
    expect(got.size).toBe(3 * 24);
    for (const d of DOMAINS) for (let t = from; t < to; t += 300) expect(got.get(`huawei|${d}|traffic_bytes|300|${t}`), `${d} ${t}`).toEqual([emu.finalValue(d, t)]);
  });

  it('both APIs into VictoriaMetrics through the official client give the same points', async () => {
    const vm = inject('victoriaUrl');
    const measurement = `huawei${process.pid}`;
    const { file, dir } = tempConfig({ influx: { url: vm, apiVersion: 2, org: 'o', bucket: 'b', token: 't', measurement }, vendors: { huawei: { enabled: true, endpoint: url, domains: DOMAINS, apis: ['stats/traffic/detail', 'stream/traffic'] } }, log: { level: 'warn' } });
    const to = Math.floor((Date.now() / 1000 - 3600) / 300) * 300;
    const from = to - 2 * 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    await fetch(`${vm}/internal/force_flush`);
    let got = new Map<string, number[]>();
    for (let i = 0; i < 50 && got.size < 72; i++) {
      await new Promise((res) => setTimeout(res, 200));
      const res = await fetch(`${vm}/api/v1/export?match[]=${encodeURIComponent(`{__name__="${measurement}_value"}`)}&start=${from - 3600}&end=${to + 3600}`);
      got = new Map();
      for (const line of (await res.text()).split('\n').filter(Boolean)) {
        const s = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
        s.timestamps.forEach((t, j) => got.set(`${s.metric.domain}|${t / 1000}`, [...(got.get(`${s.metric.domain}|${t / 1000}`) ?? []), s.values[j]!]));
      }
    }
    expect(got.size).toBe(72);
    for (const d of DOMAINS) for (let t = from; t < to; t += 300) expect(got.get(`${d}|${t}`)).toEqual([emu.finalValue(d, t)]);
  });
});
