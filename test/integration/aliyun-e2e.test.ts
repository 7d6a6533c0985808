/**
 * Alibaba end to end: the built CLI, the Alibaba emulator over HTTP with two accounts (one domain in
 * both), all seven APIs, real InfluxDB 1.x and VictoriaMetrics. Every bucket exact and distinct per
 * account, calls = the minimum, a wrong key fails its account alone.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALIYUN_APIS } from '../../src/vendors/aliyun/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxPoints, vmExport } from '../support/servers.js';

const A = { name: 'retail', ak: 'LTAI-e2e-retail', sk: 'e2e-secret-retail', domains: ['shared.example.com', 'r1.example.com'] };
const B = { name: 'media', ak: 'LTAI-e2e-media', sk: 'e2e-secret-media', domains: ['shared.example.com', 'm1.example.com'] };
const REALTIME = (api: string) => api.includes('RealTime');

/** What the database must hold for an account over [from, to): `domain|metric|interval|t` → value. */
function expected(emu: AliyunEmulator, ak: string, domains: readonly string[], from: number, to: number): Map<string, number> {
  const want = new Map<string, number>();
  const codes = ['200', '206', '301', '302', '304', '403', '404', '429', '500', '502', '503', '504'];
  for (const api of ALIYUN_APIS) {
    const g = REALTIME(api) ? 60 : 300;
    const metrics = api.endsWith('HttpCodeData')
      ? ['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx']
      : api === 'DescribeDomainSrcTrafficData' ? ['traffic_bytes', 'https_traffic_bytes'] : api.endsWith('BpsData') ? ['bandwidth_bps'] : api.endsWith('QpsData') ? ['requests_per_sec'] : ['traffic_bytes'];
    for (const d of domains) {
      for (let t = from; t < to; t += g) {
        for (const m of metrics) want.set(`${d}|${m}|${g}|${t}`, emu.finalValue(api, d, m, t, g, ak));
        // Concrete codes are written when the vendor lists them (a count above 0).
        if (api.endsWith('HttpCodeData')) for (const c of codes) {
          const v = emu.finalValue(api, d, `status_${c}`, t, g, ak);
          if (v > 0) want.set(`${d}|status_${c}|${g}|${t}`, v);
        }
      }
    }
  }
  return want;
}

function vmByAccount(url: string, fromSec: number, toSec: number, want: number): Promise<Map<string, number[]>> {
  return vmExport(url, 'cdn_origin', fromSec, toSec, want, { labels: 'vendor="aliyun"', key: (l, t) => `${l.account}|${l.domain}|${l.metric}|${l.interval}|${t}` });
}

describe('Alibaba end to end: two accounts, seven APIs', () => {
  let emu: AliyunEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new AliyunEmulator({ accounts: { [A.ak]: { secret: A.sk, domains: A.domains }, [B.ak]: { secret: B.sk, domains: B.domains } } });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  const accountsConfig = (skB = B.sk) => [
    { name: A.name, accessKeyId: A.ak, accessKeySecret: A.sk, domains: A.domains },
    { name: B.name, accessKeyId: B.ak, accessKeySecret: skB, domains: B.domains },
  ];

  it('backfill of one hour into InfluxDB 1.x and VictoriaMetrics: every bucket exact per account, minimum calls', async () => {
    const influx = inject('influxV1Url');
    const vm = inject('victoriaUrl');
    const db = `aliyun_e2e_${process.pid}`;
    await createDatabase(influx, db);
    const to = Math.floor((Date.now() / 1000 - 40 * 60) / 3600) * 3600;
    const from = to - 3600;
    for (const [sink, influxCfg] of [
      ['v1', { url: influx, apiVersion: 1, database: db }],
      ['vm', { url: vm, apiVersion: 2, token: 't', org: 'o', bucket: 'cdn' }],
    ] as const) {
      const { file, dir } = tempConfig({ influx: influxCfg, vendors: { aliyun: { enabled: true, endpoint: url, accounts: accountsConfig() } }, log: { level: 'warn' } });
      const before = emu.dataCalls().length;
      const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--vendor', 'aliyun', '--config', file], { STATE_DIR: path.join(dir, 'state') });
      expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('backfill:')), sink).toEqual([]);
      expect(r.code, sink).toBe(0);
      // Minimum: one call per domain and API (an hour of 1-minute data is one call; 12 buckets of 300 s one call).
      expect(emu.dataCalls().length - before, sink).toBe(2 * 2 * ALIYUN_APIS.length);
      expect(emu.dataCalls(A.ak).length).toBeGreaterThan(0);
    }
    for (const acc of [A, B]) {
      const want = expected(emu, acc.ak, acc.domains, from, to);
      const got = await influxPoints(influx, db, `"vendor" = 'aliyun' AND "account" = '${acc.name}' AND time >= ${from}s AND time < ${to}s`);
      expect(got.size, acc.name).toBe(want.size);
      for (const [k, v] of want) expect(got.get(k), `${acc.name} ${k}`).toEqual([v]);
    }
    // The shared domain differs between the accounts.
    expect(expected(emu, A.ak, ['shared.example.com'], from, to)).not.toEqual(expected(emu, B.ak, ['shared.example.com'], from, to));
    const wantA = expected(emu, A.ak, A.domains, from, to);
    const wantB = expected(emu, B.ak, B.domains, from, to);
    const got = await vmByAccount(vm, from, to - 1, wantA.size + wantB.size);
    for (const [k, v] of wantA) expect(got.get(`${A.name}|${k}`), k).toEqual([v]);
    for (const [k, v] of wantB) expect(got.get(`${B.name}|${k}`), k).toEqual([v]);
  });

  it('a wrong key fails its account alone; the other is written', async () => {
    const influx = inject('influxV1Url');
    const db = `aliyun_e2e_bad_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { aliyun: { enabled: true, endpoint: url, accounts: accountsConfig('wrong-secret-for-media') } }, log: { level: 'warn' } });
    const to = Math.floor((Date.now() / 1000 - 40 * 60) / 3600) * 3600;
    const from = to - 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--vendor', 'aliyun', '--config', file], { STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^aliyun \S+ \S+: SignatureDoesNotMatch .*account media\)/m);
    expect(r.stderr).not.toMatch(/SignatureDoesNotMatch.*account retail/);
    expect(`${r.stdout}${r.stderr}`).not.toContain('wrong-secret-for-media');
    const want = expected(emu, A.ak, A.domains, from, to);
    const got = await influxPoints(influx, db, `"vendor" = 'aliyun' AND "account" = '${A.name}' AND time >= ${from}s AND time < ${to}s`);
    for (const [k, v] of want) expect(got.get(k), k).toEqual([v]);
    const media = await influxPoints(influx, db, `"vendor" = 'aliyun' AND "account" = '${B.name}'`);
    expect(media.size).toBe(0);
  });
});
