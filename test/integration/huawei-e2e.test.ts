/** Huawei end to end: the built CLI, the Huawei emulator over HTTP, real InfluxDB 1.x and VictoriaMetrics. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HuaweiEmulator } from '../emulators/huawei.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxPoints, vmExport } from '../support/servers.js';

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
    const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86400}s`);
    expect(got.size).toBe(3 * 24);
    for (const d of DOMAINS) for (let t = from; t < to; t += 300) expect(got.get(`${d}|traffic_bytes|300|${t}`), `${d} ${t}`).toEqual([emu.finalValue(d, t)]);
  });

  it('both APIs into VictoriaMetrics through the official client give the same points', async () => {
    const vm = inject('victoriaUrl');
    const measurement = `huawei${process.pid}`;
    const { file, dir } = tempConfig({ influx: { url: vm, apiVersion: 2, org: 'o', bucket: 'b', token: 't', measurement }, vendors: { huawei: { enabled: true, endpoint: url, domains: DOMAINS, apis: ['stats/traffic/detail', 'stream/traffic'] } }, log: { level: 'warn' } });
    const to = Math.floor((Date.now() / 1000 - 3600) / 300) * 300;
    const from = to - 2 * 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    const got = await vmExport(vm, measurement, from - 3600, to + 3600, 72);
    expect(got.size).toBe(72);
    for (const d of DOMAINS) for (let t = from; t < to; t += 300) expect(got.get(`${d}|traffic_bytes|300|${t}`)).toEqual([emu.finalValue(d, t)]);
  });
});
