/**
 * Huawei Cloud Live end to end: the built CLI, the Live emulator over HTTP, real InfluxDB 1.x and
 * VictoriaMetrics. Points are `play_traffic_bytes` (edge play traffic, not origin).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HuaweiEmulator } from '../emulators/huawei.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxQuery, vmExport } from '../support/servers.js';

const DOMAINS = ['h1.example.com', 'h2.example.com', 'h3.example.com'];
const OTHER = ['o1.example.com'];
const AK = 'HWE2EAK';
const PROJECT = 'e2eproject0000000000000000000001';
const env = { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: 'huawei-e2e-sk', HUAWEICLOUD_SDK_PROJECT_ID: PROJECT };
const problems = (stderr: string) => stderr.split('\n').filter((l) => l && !l.startsWith('backfill:'));

async function influxByAccount(url: string, db: string, from: number): Promise<Map<string, number[]>> {
  const series = await influxQuery(url, db, `SELECT "value" FROM "cdn_origin" WHERE "vendor" = 'huawei' AND time >= ${from - 86_400}s GROUP BY "account", "domain", "metric", "interval"`);
  const m = new Map<string, number[]>();
  for (const s of series) {
    for (const [t, v] of s.values as [number, number][]) {
      const k = `${s.tags!.account}|${s.tags!.domain}|${s.tags!.metric}|${s.tags!.interval}|${t}`;
      m.set(k, [...(m.get(k) ?? []), v]);
    }
  }
  return m;
}

describe('Huawei Cloud Live end to end', () => {
  let emu: HuaweiEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new HuaweiEmulator({
      accounts: {
        [AK]: { sk: 'huawei-e2e-sk', projectId: PROJECT, domains: DOMAINS.map((domain) => ({ domain })) },
        HWOTHERAK: { sk: 'huawei-other-sk', projectId: 'otherproject', rateLimit: 2, domains: [...OTHER.map((domain) => ({ domain })), { domain: 'push.example.com', type: 'push' }] },
      },
      settleMs: 30 * 60_000,
    });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  const range = () => {
    const to = Math.floor((Date.now() / 1000 - 3600) / 300) * 300;
    return { from: to - 2 * 3600, to };
  };

  it.each([['stats/traffic/detail'], ['stream/traffic']])('backfill of 2 h through %s into InfluxDB 1.x, two accounts: every bucket once, exact, play_traffic_bytes; one call per domain', async (api) => {
    const influx = inject('influxV1Url');
    const db = `huawei_${api.replace(/\//g, '_')}_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({
      influx: { url: influx, apiVersion: 1, database: db },
      vendors: {
        huawei: {
          enabled: true,
          endpoint: url,
          apis: [api],
          accounts: [
            { name: 'live-a', ak: AK, sk: 'huawei-e2e-sk', projectId: PROJECT, domains: DOMAINS },
            // Discovered: pull domains that are on.
            { name: 'live-b', ak: 'HWOTHERAK', sk: 'huawei-other-sk', projectId: 'otherproject' },
          ],
        },
      },
      log: { level: 'warn' },
    });
    const { from, to } = range();
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { STATE_DIR: path.join(dir, 'state') });
    expect(problems(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(emu.dataCalls().length - before).toBe(DOMAINS.length + OTHER.length);
    const got = await influxByAccount(influx, db, from);
    expect(got.size).toBe((DOMAINS.length + OTHER.length) * 24);
    for (const [account, ds] of [['live-a', DOMAINS], ['live-b', OTHER]] as const) {
      for (const d of ds) for (let t = from; t < to; t += 300) expect(got.get(`${account}|${d}|play_traffic_bytes|300|${t}`), `${account} ${d} ${t}`).toEqual([emu.finalValue(d, t)]);
    }
  });

  it('both APIs into VictoriaMetrics through the official client give the same points', async () => {
    const vm = inject('victoriaUrl');
    const measurement = `huawei${process.pid}`;
    const { file, dir } = tempConfig({ influx: { url: vm, apiVersion: 2, org: 'o', bucket: 'b', token: 't', measurement }, vendors: { huawei: { enabled: true, endpoint: url, domains: DOMAINS, apis: ['stats/traffic/detail', 'stream/traffic'] } }, log: { level: 'warn' } });
    const { from, to } = range();
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(problems(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(emu.dataCalls().length - before).toBe(2 * DOMAINS.length);
    const got = await vmExport(vm, measurement, from - 3600, to + 3600, 72);
    expect(got.size).toBe(72);
    for (const d of DOMAINS) for (let t = from; t < to; t += 300) expect(got.get(`${d}|play_traffic_bytes|300|${t}`)).toEqual([emu.finalValue(d, t)]);
  });

  it('60 s rows in a 300 s answer fail the call (exit 1, one line per failure, nothing written for it); the next pass fills it', async () => {
    const influx = inject('influxV1Url');
    const db = `huawei_bad_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({
      influx: { url: influx, apiVersion: 1, database: db },
      collect: { retryMaxAttempts: 2, retryBaseMs: 10, retryMaxDelayMs: 20 },
      vendors: { huawei: { enabled: true, endpoint: url, domains: DOMAINS } },
      log: { level: 'warn' },
    });
    const { from, to } = range();
    emu.inject({ fault: 'other-interval', api: 'stats/traffic/detail', domain: 'h2.example.com', count: 2 });
    const state = path.join(dir, 'state');
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: state });
    expect(r.code).toBe(1);
    const lines = problems(r.stderr);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/huawei ListDomainTrafficDetail h2\.example\.com/);
    const got = await influxByAccount(influx, db, from);
    expect([...got.keys()].filter((k) => k.includes('|h2.example.com|'))).toEqual([]);
    expect([...got.keys()].filter((k) => k.includes('|h1.example.com|'))).toHaveLength(24);
    const again = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: state });
    expect(problems(again.stderr)).toEqual([]);
    expect(again.code).toBe(0);
    const filled = await influxByAccount(influx, db, from);
    for (let t = from; t < to; t += 300) expect(filled.get(`default|h2.example.com|play_traffic_bytes|300|${t}`)).toEqual([emu.finalValue('h2.example.com', t)]);
  });
});
