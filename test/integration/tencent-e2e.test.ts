/**
 * Tencent end to end: the built CLI, the Tencent emulator over HTTP, real InfluxDB 1.x and
 * VictoriaMetrics. Two accounts, both areas, domains accelerated in mainland, overseas and both.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TencentEmulator, type Area } from '../emulators/tencent.js';
import { isoSec, runCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxQuery, vmExport } from '../support/servers.js';

type Where = 'mainland' | 'overseas' | 'global';
const A_DOMAINS = Array.from({ length: 32 }, (_, i) => ({ domain: `a${i}.example.com`, area: (['mainland', 'global', 'overseas'] as Where[])[i % 3]! }));
const B_DOMAINS = [
  { domain: 'b0.example.cn', area: 'global' as Where },
  { domain: 'b1.example.cn', area: 'mainland' as Where },
];
const ACCOUNTS = {
  AKIDbiza: { secretKey: 'tencent-e2e-key-a', domains: A_DOMAINS },
  AKIDbizb: { secretKey: 'tencent-e2e-key-b', rateLimit: 10, domains: [...B_DOMAINS, { domain: 'gone.example.cn', status: 'offline' }] },
};
const SOURCE: Record<string, string> = { traffic_bytes: 'flux', bandwidth_bps: 'bandwidth', requests: 'request', failed_requests: 'failRequest', fail_rate_pct: 'failRate' };
const CLASSES = ['2xx', '3xx', '4xx', '5xx'];
const CODES = ['200', '206', '301', '302', '304', '403', '404', '500', '502', '504'];
const AREAS: Area[] = ['mainland', 'overseas'];

function config(influx: Record<string, unknown>, endpoint: string, extra: Record<string, unknown>[] = []) {
  return {
    influx,
    vendors: {
      tencent: {
        enabled: true,
        endpoint,
        areas: AREAS,
        accounts: [
          // biz-a names its domains; biz-b discovers them (DescribeDomains).
          { name: 'biz-a', secretId: 'AKIDbiza', secretKey: 'tencent-e2e-key-a', domains: A_DOMAINS.map((d) => d.domain) },
          { name: 'biz-b', secretId: 'AKIDbizb', secretKey: 'tencent-e2e-key-b' },
          ...extra,
        ],
      },
    },
    log: { level: 'warn' },
  };
}

/** What the database must hold for [from, to): value per `account|area|domain|metric|interval|ts`. */
function expected(emu: TencentEmulator, from: number, to: number): Map<string, number> {
  const want = new Map<string, number>();
  for (const [account, domains] of [['biz-a', A_DOMAINS], ['biz-b', B_DOMAINS]] as const) {
    for (const area of AREAS) {
      for (const { domain } of domains) {
        const buckets: Record<string, number>[] = [];
        for (let t = from; t < to; t += 300) buckets.push(emu.bucket(domain, t, 300, Date.now(), area));
        const names = [...Object.keys(SOURCE), ...CLASSES.map((c) => `status_${c}`), ...CODES.filter((c) => buckets.some((b) => b[c]! > 0)).map((c) => `status_${c}`)];
        buckets.forEach((b, i) => {
          for (const n of names) want.set(`${account}|${area}|${domain}|${n}|300|${from + i * 300}`, b[SOURCE[n] ?? n.replace('status_', '')]!);
        });
      }
    }
  }
  return want;
}

async function influxByAccountArea(url: string, db: string, from: number): Promise<Map<string, number[]>> {
  const series = await influxQuery(url, db, `SELECT "value" FROM "cdn_origin" WHERE "vendor" = 'tencent' AND time >= ${from - 86_400}s GROUP BY "account", "area", "domain", "metric", "interval"`);
  const m = new Map<string, number[]>();
  for (const s of series) {
    for (const [t, v] of s.values as [number, number][]) {
      const k = `${s.tags!.account}|${s.tags!.area}|${s.tags!.domain}|${s.tags!.metric}|${s.tags!.interval}|${t}`;
      m.set(k, [...(m.get(k) ?? []), v]);
    }
  }
  return m;
}

function vmByAccountArea(url: string, measurement: string, from: number, to: number, want: number): Promise<Map<string, number[]>> {
  return vmExport(url, measurement, from, to, want, { key: (l, t) => `${l.account}|${l.area}|${l.domain}|${l.metric}|${l.interval}|${t}` });
}

/** stderr without the progress lines of `backfill`. */
const problems = (stderr: string) => stderr.split('\n').filter((l) => l && !l.startsWith('backfill:'));

/** Per area and window: 5 Detail metrics × ⌈n/30⌉ calls + 5 status-code metrics × n calls. */
const minimum = (n: number) => AREAS.length * (5 * Math.ceil(n / 30) + 5 * n);

describe('Tencent Cloud CDN end to end: two accounts, both areas', () => {
  let emu: TencentEmulator;
  let url: string;
  beforeAll(async () => {
    emu = new TencentEmulator({ accounts: ACCOUNTS });
    url = await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  // Older than the 10-minute re-read tail: every bucket is final.
  const range = () => {
    const to = Math.floor((Date.now() / 1000 - 20 * 60) / 300) * 300;
    return { from: to - 3600, to };
  };
  const callsOf = (secretId: string, since: number) => emu.dataCalls().slice(since).filter((c) => ACCOUNTS[secretId as 'AKIDbiza'].domains.some((d) => c.domains.includes(d.domain))).length;

  it('backfill into InfluxDB 1.x: every (account, area, domain, metric, bucket) once and exact; a wrong key fails alone; minimum calls', async () => {
    const influx = inject('influxV1Url');
    const db = `tencent_areas_${process.pid}`;
    await createDatabase(influx, db);
    const { file, dir } = tempConfig(config({ url: influx, apiVersion: 1, database: db }, url, [{ name: 'broken', secretId: 'AKIDbiza', secretKey: 'not-the-key', domains: ['a0.example.com'] }]));
    const { from, to } = range();
    const before = emu.dataCalls().length;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { STATE_DIR: path.join(dir, 'state') });
    // The broken account is reported by name, with the vendor's code, and the others are written.
    const lines = problems(r.stderr);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^tencent DescribeOriginData \S+ (mainland|overseas) a0\.example\.com: AuthFailure\.SignatureFailure .*account broken\); check the credentials$/);
    expect(r.stderr).not.toContain('not-the-key');
    expect(r.code).toBe(1);
    expect(callsOf('AKIDbiza', before)).toBe(minimum(A_DOMAINS.length));
    expect(callsOf('AKIDbizb', before)).toBe(minimum(B_DOMAINS.length));
    const want = expected(emu, from, to);
    const got = await influxByAccountArea(influx, db, from);
    for (const [k, v] of want) expect(got.get(k), k).toEqual([v]);
    expect(got.size).toBe(want.size);
    // Distinct per area: a global domain's two series differ; a domain not served in an area is zero there.
    expect(got.get(`biz-a|mainland|a1.example.com|traffic_bytes|300|${from}`)).not.toEqual(got.get(`biz-a|overseas|a1.example.com|traffic_bytes|300|${from}`));
    expect(got.get(`biz-a|overseas|a0.example.com|traffic_bytes|300|${from}`)).toEqual([0]);
    expect(got.get(`biz-a|mainland|a2.example.com|traffic_bytes|300|${from}`)).toEqual([0]);
  }, 120_000);

  it('backfill into VictoriaMetrics through the official client: the same points, tagged with account and area', async () => {
    const vm = inject('victoriaUrl');
    const measurement = `tencent${process.pid}`;
    const { file, dir } = tempConfig(config({ url: vm, apiVersion: 2, org: 'o', bucket: 'b', token: 't', measurement }, url));
    const { from, to } = range();
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { STATE_DIR: path.join(dir, 'state') });
    expect(problems(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    const want = expected(emu, from, to);
    const got = await vmByAccountArea(vm, measurement, from - 3600, to + 3600, want.size);
    for (const [k, v] of want) expect(got.get(k), k).toEqual([v]);
    expect(got.size).toBe(want.size);
  }, 120_000);

  it('check-config refuses min for overseas, naming the key', async () => {
    const { file, dir } = tempConfig({ vendors: { tencent: { enabled: true, interval: 'min', area: 'overseas', secretId: 'AKIDbiza', secretKey: 'k' } } });
    const r = await runCli(['check-config', '--config', file], { STATE_DIR: path.join(dir, 'state') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vendors\.tencent\.interval: "min" is not served for the area "overseas"; use 5min/);
  });
});
