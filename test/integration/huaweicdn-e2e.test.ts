/** Huawei Cloud CDN end to end: the built CLI, the CDN emulator over HTTP, real InfluxDB 1.x and VictoriaMetrics. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BS_METRICS, BS_METRIC_NAMES } from '../../src/vendors/huaweicdn/index.js';
import { HuaweiCdnEmulator } from '../emulators/huaweicdn.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxPoints, vmExport } from '../support/servers.js';

const AK = 'HWCDNE2EAK';
const SK = 'huaweicdn-e2e-sk-7Qx';
const DOMAIN_ID = 'e2e0domain0id00000000000000000001';
// 23 domains: one call carries 20, so each window of each metric group costs 2 calls.
const ACTIVE = Array.from({ length: 22 }, (_, i) => `c${i}.example.com`);
const QUIET = 'quiet.example.com';
const DOMAINS = [...ACTIVE, QUIET];
const env = { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_DOMAIN_ID: DOMAIN_ID };
const STREAMS = Math.ceil(BS_METRIC_NAMES.length / 5);
const CALLS_PER_WINDOW = STREAMS * Math.ceil(DOMAINS.length / 20);

describe('Huawei Cloud CDN end to end', () => {
  let emu: HuaweiCdnEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new HuaweiCdnEmulator({
      accounts: { [AK]: { sk: SK, domainId: DOMAIN_ID, domains: [...ACTIVE.map((domain) => ({ domain })), { domain: QUIET, trafficFromSec: 4_102_444_800 }, { domain: 'off.example.com', status: 'offline' }] } },
      settleMs: 30 * 60_000,
    });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  const expected = (d: string, metric: string, t: number): number => {
    const stat = BS_METRIC_NAMES.find((m) => BS_METRICS[m] === metric)!;
    return d === QUIET ? 0 : emu.finalValue(d, stat, t, 300);
  };

  function range(): { from: number; to: number } {
    // Older than the 3-hour re-read tail: every bucket is final.
    const to = Math.floor((Date.now() / 1000 - 4 * 3600) / 300) * 300;
    return { from: to - 2 * 3600, to };
  }

  it('backfill of 2 h, 23 domains × 8 metrics into InfluxDB 1.x: every bucket once and exact, in the fewest calls', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { huaweicdn: { enabled: true, endpoint: url, domains: DOMAINS } }, log: { level: 'warn' } });
    const { from, to } = range();
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    // Only progress lines: no problem reported.
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('backfill: '))).toEqual([]);
    expect(r.code).toBe(0);
    // 2 metric groups × ⌈23 / 20⌉ domain batches × 1 window (2 h ≤ the 7-day span).
    expect(emu.dataCalls().length - before).toBe(CALLS_PER_WINDOW);
    for (const c of emu.dataCalls().slice(before)) {
      expect(c.params.group_by).toBe('domain');
      expect(c.domains.length).toBeLessThanOrEqual(20);
      expect(c.params.stat_type!.split(',').length).toBeLessThanOrEqual(5);
    }
    const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`);
    expect(got.size).toBe(DOMAINS.length * BS_METRIC_NAMES.length * 24);
    for (const d of DOMAINS) {
      for (const m of BS_METRIC_NAMES) for (let t = from; t < to; t += 300) expect(got.get(`${d}|${BS_METRICS[m]}|300|${t}`), `${d} ${m} ${t}`).toEqual([expected(d, BS_METRICS[m], t)]);
    }
    // A second backfill of the same range rewrites the same points: nothing doubles.
    const again = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(again.code).toBe(0);
    const after = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`);
    expect(after.size).toBe(got.size);
    for (const v of after.values()) expect(v).toHaveLength(1);
  });

  it('into VictoriaMetrics through the official client: the same points', async () => {
    const vm = inject('victoriaUrl');
    const measurement = `huaweicdn${process.pid}`;
    const { file, dir } = tempConfig({ influx: { url: vm, apiVersion: 2, org: 'o', bucket: 'b', token: 't', measurement }, vendors: { huaweicdn: { enabled: true, endpoint: url, domains: DOMAINS } }, log: { level: 'warn' } });
    const { from, to } = range();
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    expect(emu.dataCalls().length - before).toBe(CALLS_PER_WINDOW);
    const want = DOMAINS.length * BS_METRIC_NAMES.length * 24;
    const got = await vmExport(vm, measurement, from - 3600, to + 3600, want);
    expect(got.size).toBe(want);
    for (const d of DOMAINS) for (const m of BS_METRIC_NAMES) for (let t = from; t < to; t += 300) expect(got.get(`${d}|${BS_METRICS[m]}|300|${t}`)).toEqual([expected(d, BS_METRICS[m], t)]);
  });

  it('discovers the online domains (one ListDomains page) and collects them', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_disc_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { huaweicdn: { enabled: true, endpoint: url, domains: [] } }, log: { level: 'warn' } });
    const { from, to } = range();
    const listBefore = emu.calls.filter((c) => c.api === 'ListDomains').length;
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    expect(emu.calls.filter((c) => c.api === 'ListDomains').length - listBefore).toBe(1);
    expect(emu.dataCalls().length - before).toBe(CALLS_PER_WINDOW);
    const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`);
    expect(new Set([...got.keys()].map((k) => k.split('|')[0]))).toEqual(new Set(DOMAINS));
    expect(got.size).toBe(DOMAINS.length * BS_METRIC_NAMES.length * 24);
  });

  it('daily buckets (interval 86400) start at 00:00 UTC+8 and are the sums of the day', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_day_${process.pid}`;
    await createDatabase(influx, db);
    const three = ACTIVE.slice(0, 3);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { huaweicdn: { enabled: true, endpoint: url, domains: three, interval: 86_400, metrics: ['bs_flux', 'bs_num'] } }, log: { level: 'warn' } });
    // Three whole Beijing days, the last one ended more than the 3-hour tail ago.
    const lastEnd = Math.floor((Date.now() / 1000 - 4 * 3600 + 28_800) / 86_400) * 86_400 - 28_800;
    const from = lastEnd - 3 * 86_400;
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(lastEnd), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    expect(emu.dataCalls().length - before).toBe(1);
    expect(emu.dataCalls().at(-1)!.params).toMatchObject({ interval: '86400', start_time: String(from * 1000), end_time: String(lastEnd * 1000), stat_type: 'bs_flux,bs_num' });
    const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`);
    expect(got.size).toBe(3 * 2 * 3);
    for (const d of three) {
      for (let t = from; t < lastEnd; t += 86_400) {
        expect(new Date(t * 1000).getUTCHours()).toBe(16);
        let flux = 0;
        for (let u = t; u < t + 86_400; u += 300) flux += emu.finalValue(d, 'bs_flux', u, 300);
        expect(got.get(`${d}|traffic_bytes|86400|${t}`)).toEqual([flux]);
        expect(got.get(`${d}|requests|86400|${t}`)).toEqual([emu.finalValue(d, 'bs_num', t, 86_400)]);
      }
    }
  });

  it('a backfill longer than the 7-day span at 300 s is cut into windows: calls = windows × metric groups × domain batches', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_long_${process.pid}`;
    await createDatabase(influx, db);
    const three = ACTIVE.slice(3, 6);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { huaweicdn: { enabled: true, endpoint: url, domains: three } }, log: { level: 'warn' } });
    const { to } = range();
    const from = to - 8 * 86_400;
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    const calls = emu.dataCalls().slice(before);
    expect(calls).toHaveLength(2 * STREAMS * 1);
    for (const c of calls) expect(Number(c.params.end_time) - Number(c.params.start_time)).toBeLessThanOrEqual(7 * 86_400_000);
    const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`);
    expect(got.size).toBe(3 * BS_METRIC_NAMES.length * 8 * 288);
    for (const d of three) for (const m of BS_METRIC_NAMES) for (let t = from; t < to; t += 300) expect(got.get(`${d}|${BS_METRICS[m]}|300|${t}`)).toEqual([expected(d, BS_METRICS[m], t)]);
  });

  it('an answer that stays malformed fails its window (exit 1, one line) and a later pass fills it', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_bad_${process.pid}`;
    await createDatabase(influx, db);
    const one = [ACTIVE[7]!];
    const { file, dir } = tempConfig({
      influx: { url: influx, apiVersion: 1, database: db },
      collect: { retryMaxAttempts: 2, retryBaseMs: 10, retryMaxDelayMs: 20 },
      vendors: { huaweicdn: { enabled: true, endpoint: url, domains: one, metrics: ['bs_flux'] } },
      log: { level: 'warn' },
    });
    const { from, to } = range();
    emu.inject({ fault: 'null-container', domain: one[0], count: 2 });
    const bad = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(bad.code).toBe(1);
    const lines = bad.stderr.split('\n').filter((l) => l && !l.startsWith('backfill: '));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toMatch(/huaweicdn|huawei/);
    expect(lines.join('\n')).toMatch(/result is null/);
    expect(bad.stderr).not.toContain(SK);
    expect((await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`)).size).toBe(0);
    const good = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(good.code).toBe(0);
    const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND time >= ${from - 86_400}s`);
    expect(got.size).toBe(24);
    for (let t = from; t < to; t += 300) expect(got.get(`${one[0]}|traffic_bytes|300|${t}`)).toEqual([emu.finalValue(one[0]!, 'bs_flux', t, 300)]);
  });

  it('two accounts (one with an STS token): each signs with its own keys, points carry the account; a wrong key fails its account alone', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_acc_${process.pid}`;
    await createDatabase(influx, db);
    const two = new HuaweiCdnEmulator({
      accounts: {
        AKSHOP: { sk: 'shop-sk-1', domains: [{ domain: 'shop1.example.com' }, { domain: 'shop2.example.com' }] },
        AKMEDIA: { sk: 'media-sk-2', securityToken: 'media-sts-token-3', domainId: 'media0domain0id0000000000000000', domains: [{ domain: 'media.example.com' }] },
      },
      settleMs: 30 * 60_000,
    });
    const url2 = await two.start();
    try {
      const accounts = (mediaSk: string) => [
        { name: 'shop', ak: 'AKSHOP', sk: 'shop-sk-1', domains: ['shop1.example.com', 'shop2.example.com'] },
        { name: 'media', ak: 'AKMEDIA', sk: mediaSk, securityToken: 'media-sts-token-3', domainId: 'media0domain0id0000000000000000', domains: ['media.example.com'] },
      ];
      const { from, to } = range();
      const good = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, vendors: { huaweicdn: { enabled: true, endpoint: url2, accounts: accounts('media-sk-2'), metrics: ['bs_flux', 'bs_num'] } }, log: { level: 'warn' } });
      const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--vendor', 'huaweicdn', '--config', good.file], { STATE_DIR: path.join(good.dir, 'state') });
      expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('backfill: '))).toEqual([]);
      expect(r.code).toBe(0);
      // One metric group; one call per account.
      expect(two.dataCalls()).toHaveLength(2);
      for (const [acc, domains] of [['shop', ['shop1.example.com', 'shop2.example.com']], ['media', ['media.example.com']]] as const) {
        const got = await influxPoints(influx, db, `"vendor" = 'huawei' AND "account" = '${acc}' AND time >= ${from}s AND time < ${to}s`);
        expect(got.size, acc).toBe(domains.length * 2 * 24);
        for (const d of domains) for (let t = from; t < to; t += 300) expect(got.get(`${d}|requests|300|${t}`)).toEqual([two.finalValue(d, 'bs_num', t, 300)]);
      }
      const db2 = `${db}_bad`;
      await createDatabase(influx, db2);
      const bad = tempConfig({ influx: { url: influx, apiVersion: 1, database: db2 }, vendors: { huaweicdn: { enabled: true, endpoint: url2, accounts: accounts('wrong-media-secret'), metrics: ['bs_flux'] } }, log: { level: 'warn' } });
      const b = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--vendor', 'huaweicdn', '--config', bad.file], { STATE_DIR: path.join(bad.dir, 'state') });
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(/media.*APIGW\.0301/);
      expect(b.stderr).not.toMatch(/shop.*APIGW\.0301/);
      expect(`${b.stdout}${b.stderr}`).not.toContain('wrong-media-secret');
      expect(`${b.stdout}${b.stderr}`).not.toContain('media-sts-token-3');
      expect((await influxPoints(influx, db2, `"vendor" = 'huawei' AND "account" = 'shop'`)).size).toBe(2 * 24);
      expect((await influxPoints(influx, db2, `"vendor" = 'huawei' AND "account" = 'media'`)).size).toBe(0);
    } finally {
      await two.stop();
    }
  });

  it('once without a checkpoint: the look-back in the fewest calls, final buckets exact, the provisional tail no larger than final', async () => {
    const influx = inject('influxV1Url');
    const db = `huaweicdn_once_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({ influx: { url: influx, apiVersion: 1, database: db }, collect: { initialLookbackMs: 2 * 3600_000 }, vendors: { huaweicdn: { enabled: true, endpoint: url, domains: DOMAINS } }, log: { level: 'warn' } });
    const before = emu.dataCalls().length;
    const startedSec = Date.now() / 1000;
    const r = await runCli(['once', '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('once: ') && !l.startsWith('backfill: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(emu.dataCalls().length - before).toBe(CALLS_PER_WINDOW);
    const calls = emu.dataCalls().slice(before);
    // The window the core chose (its clock may have passed a 5-minute mark after ours).
    const from = Math.min(...calls.map((c) => Number(c.params.start_time) / 1000));
    const to = Math.max(...calls.map((c) => Number(c.params.end_time) / 1000));
    expect(to - from).toBe(2 * 3600);
    expect(to).toBeGreaterThanOrEqual(Math.floor(startedSec / 300) * 300);
    const got = await influxPoints(influx, db, `"vendor" = 'huawei'`);
    expect(got.size).toBe(DOMAINS.length * BS_METRIC_NAMES.length * 24);
    for (const d of DOMAINS) {
      for (let t = from; t < to; t += 300) {
        const v = got.get(`${d}|traffic_bytes|300|${t}`);
        expect(v, `${d} ${t}`).toHaveLength(1);
        const final = expected(d, 'traffic_bytes', t);
        // The emulator settles after 30 minutes.
        if (t + 300 <= startedSec - 31 * 60) expect(v![0]).toBe(final);
        else expect(v![0]).toBeLessThanOrEqual(final);
      }
    }
  });
});
