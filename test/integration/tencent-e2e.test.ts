/** Tencent end to end: the built CLI, the Tencent emulator over HTTP, real InfluxDB 1.x and VictoriaMetrics. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TencentEmulator } from '../emulators/tencent.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxPoints, vmExport } from '../support/servers.js';

const DOMAINS = Array.from({ length: 35 }, (_, i) => `t${i}.example.com`);
const env = { TENCENTCLOUD_SECRET_ID: 'AKIDe2e', TENCENTCLOUD_SECRET_KEY: 'tencent-e2e-key' };
const SOURCE: Record<string, string> = { traffic_bytes: 'flux', bandwidth_bps: 'bandwidth', requests: 'request', failed_requests: 'failRequest', fail_rate_pct: 'failRate' };
const CLASSES = ['2xx', '3xx', '4xx', '5xx'];
const CODES = ['200', '206', '301', '302', '304', '403', '404', '500', '502', '504'];

/** What the database must hold for [from, to) at granularity g: value per key. */
function expected(emu: TencentEmulator, from: number, to: number, g: number): Map<string, number> {
  const want = new Map<string, number>();
  for (const d of DOMAINS) {
    const buckets: Record<string, number>[] = [];
    for (let t = from; t < to; t += g) buckets.push(emu.bucket(d, t, g, Date.now()));
    const names = [...Object.keys(SOURCE), ...CLASSES.map((c) => `status_${c}`), ...CODES.filter((c) => buckets.some((b) => b[c]! > 0)).map((c) => `status_${c}`)];
    buckets.forEach((b, i) => {
      for (const n of names) want.set(`${d}|${n}|${g}|${from + i * g}`, b[SOURCE[n] ?? n.replace('status_', '')]!);
    });
  }
  return want;
}

describe('Tencent Cloud CDN end to end, 35 domains, all ten metrics', () => {
  let emu: TencentEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new TencentEmulator({ accounts: { AKIDe2e: { secretKey: 'tencent-e2e-key', domains: DOMAINS.map((domain) => ({ domain })) } } });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it.each([
    ['5min', 300, 3 * 3600],
    ['min', 60, 2 * 3600],
  ] as const)('backfill at %s into InfluxDB 1.x: every bucket once, exact values, right UTC times, minimum calls', async (interval, g, span) => {
    const influx = inject('influxV1Url');
    const db = `tencent_${interval}_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig({
      influx: { url: influx, apiVersion: 1, database: db },
      vendors: { tencent: { enabled: true, endpoint: url, domains: DOMAINS, interval } },
      log: { level: 'warn' },
    });
    const to = Math.floor((Date.now() / 1000 - 20 * 60) / 300) * 300;
    const from = to - span;
    const callsBefore = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.stderr.split('\n').filter((l) => !l.startsWith('backfill:') && l)).toEqual([]);
    expect(r.code).toBe(0);
    // 5 Detail metrics × ceil(35/30) calls + 5 status metrics × 35 calls: the minimum.
    expect(emu.dataCalls().length - callsBefore).toBe(5 * 2 + 5 * 35);
    const want = expected(emu, from, to, g);
    const got = await influxPoints(influx, db, `"vendor" = 'tencent' AND time >= ${from - 86400}s`);
    expect(got.size).toBe(want.size);
    for (const [k, v] of want) expect(got.get(k), k).toEqual([v]);
  });

  it('backfill at 5min into VictoriaMetrics through the official client', async () => {
    const vm = inject('victoriaUrl');
    const measurement = `tencent${process.pid}`;
    const { file, dir } = tempConfig({
      influx: { url: vm, apiVersion: 2, org: 'o', bucket: 'b', token: 't', measurement },
      vendors: { tencent: { enabled: true, endpoint: url, domains: DOMAINS, metrics: ['flux', 'failRate', '5xx'] } },
      log: { level: 'warn' },
    });
    const to = Math.floor((Date.now() / 1000 - 20 * 60) / 300) * 300;
    const from = to - 3 * 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(0);
    const want = [...expected(emu, from, to, 300)].filter(([k]) => /\|(traffic_bytes|fail_rate_pct|status_5xx|status_50[024])\|/.test(k));
    const got = await vmExport(vm, measurement, from - 3600, to + 3600, want.length);
    expect(got.size).toBe(want.length);
    for (const [k, v] of want) expect(got.get(k), k).toEqual([v]);
  });
});
