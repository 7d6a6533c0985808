/**
 * End to end through the contract: the built CLI, the Alibaba emulator over HTTP, and real
 * InfluxDB 1.x (apiVersion 1) and VictoriaMetrics (apiVersion 2 through the official client).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { isoSec, runCli, startCli, tempConfig } from '../support/cli.js';
import { createDatabase, influxPoints, vmExport } from '../support/servers.js';

const AK = 'LTAI-e2e';
const SK = 'e2e-secret';
const DOMAINS = ['a.example.com', 'b.example.com', 'c.example.com'];
const RT = ['DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'];
const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SK };
let dbCounter = 0;

interface Expected {
  key: string;
  value: number;
}

/** Every bucket the emulator serves for [from, to), with its settled value. */
function expectedBuckets(emu: AliyunEmulator, fromSec: number, toSec: number, apis: string[]): Expected[] {
  const out: Expected[] = [];
  for (const d of DOMAINS) {
    for (const api of apis) {
      const g = api === 'DescribeDomainSrcTrafficData' ? 300 : 60;
      for (let t = Math.ceil(fromSec / g) * g; t < toSec; t += g) {
        if (api === 'DescribeDomainSrcTrafficData') {
          out.push({ key: `${d}|traffic_bytes|300|${t}`, value: emu.finalValue(api, d, 'Value', t, g) });
          out.push({ key: `${d}|https_traffic_bytes|300|${t}`, value: emu.finalValue(api, d, 'HttpsValue', t, g) });
        } else {
          const metric = api === 'DescribeDomainRealTimeSrcBpsData' ? 'bandwidth_bps' : 'traffic_bytes';
          out.push({ key: `${d}|${metric}|60|${t}`, value: emu.finalValue(api, d, 'Value', t, g) });
        }
      }
    }
  }
  return out;
}

function storedV1(url: string, db: string, fromSec: number, toSec: number): Promise<Map<string, number[]>> {
  return influxPoints(url, db, `"vendor" = 'aliyun' AND time >= ${fromSec}s AND time < ${toSec}s`);
}

describe('Alibaba Cloud CDN end to end', () => {
  let emu: AliyunEmulator;
  let influx: string;
  let db: string;

  beforeEach(async () => {
    influx = inject('influxV1Url');
    db = `aliyun_e2e_${process.pid}_${++dbCounter}`;
    await createDatabase(influx, db);
  });
  afterEach(async () => {
    await emu?.stop();
  });

  function config(endpoint: string, extra: Record<string, unknown> = {}) {
    return tempConfig({
      influx: { url: influx, apiVersion: 1, database: db },
      vendors: { aliyun: { enabled: true, endpoint, domains: DOMAINS } },
      log: { level: 'warn' },
      ...extra,
    });
  }

  it('backfill of 2 h for 3 domains: every bucket in the database exactly once with its exact value', async () => {
    emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } } });
    const url = await emu.start();
    const { file, dir } = config(url, { state: { dir: path.join(tempConfig({}).dir, 'state') } });
    const nowSec = Math.floor(Date.now() / 1000);
    const to = Math.floor((nowSec - 30 * 60) / 300) * 300; // settled for every API
    const from = to - 2 * 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], env);
    expect(r.stderr).not.toMatch(/Error|at .*\.js/);
    expect(r.code).toBe(0);
    const want = expectedBuckets(emu, from, to, ['DescribeDomainSrcTrafficData', ...RT]);
    const got = await storedV1(influx, db, from - 3600, to + 3600);
    expect(got.size).toBe(want.length);
    for (const w of want) expect(got.get(w.key), w.key).toEqual([w.value]);
    // 1-minute data in windows of at most 59 minutes (an inclusive EndTime must stay within the
    // hour): 3 per domain and API for 2 hours; one call per domain for the 5-minute data.
    const calls = emu.dataCalls();
    expect(calls.filter((c) => c.api === 'DescribeDomainSrcTrafficData')).toHaveLength(3);
    expect(calls.filter((c) => RT.includes(c.api))).toHaveLength(3 * 2 * Math.ceil(120 / 59));
    expect(calls.every((c) => c.domains.length === 1)).toBe(true);
    expect(emu.limiter.throttled).toBe(0);
    void dir;
  });

  it('kill -9 in the middle of a pass, then once: no gap, no duplicate, consistent checkpoints', async () => {
    emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } }, latencyMs: 120 });
    const url = await emu.start();
    const stateDir = path.join(tempConfig({}).dir, 'state');
    const { file } = config(url, { state: { dir: stateDir }, collect: { concurrency: 1 } });
    const nowSec = Math.floor(Date.now() / 1000);
    // Checkpoints 5 h back, so that the next pass has hours to catch up.
    const cp = Math.floor((nowSec - 5 * 3600) / 3600) * 3600;
    const seed = await runCli(['backfill', '--from', isoSec(cp - 3600), '--to', isoSec(cp), '--config', file], env);
    expect(seed.code).toBe(0);
    const p = startCli(['once', '--config', file], env);
    await new Promise((r) => setTimeout(r, 1500));
    p.child.kill('SIGKILL');
    const killed = await p.done;
    expect(killed.signal).toBe('SIGKILL');
    const before = await storedV1(influx, db, cp - 3600, nowSec + 3600);
    const again = await runCli(['once', '--config', file], env);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const end = Math.floor(Date.now() / 1000);
    const got = await storedV1(influx, db, cp - 3600, end + 3600);
    expect(got.size).toBeGreaterThan(before.size);
    for (const api of ['DescribeDomainSrcTrafficData', ...RT]) {
      const g = api === 'DescribeDomainSrcTrafficData' ? 300 : 60;
      const lastComplete = Math.floor(end / g) * g - g;
      const want = expectedBuckets(emu, cp - 3600, lastComplete + g, [api]);
      const missing = want.filter((w) => !got.has(w.key) && Number(w.key.split('|')[3]) < lastComplete - g);
      expect(missing.map((m) => m.key), `${api} gaps`).toEqual([]);
      // Settled buckets hold their exact value; each bucket is one point.
      for (const w of want) {
        const v = got.get(w.key);
        if (!v) continue;
        expect(v).toHaveLength(1);
        if (Number(w.key.split('|')[3]) + g <= end - (g === 60 ? 360 : 1200)) expect(v[0], w.key).toBe(w.value);
      }
    }
    // Checkpoints: one file per stream, each domain's final end on a bucket boundary, not in the future.
    const files = readdirSync(stateDir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(3);
    for (const f of files) {
      const st = JSON.parse(readFileSync(path.join(stateDir, f), 'utf8')) as { domains: Record<string, { finalEndSec: number }> };
      expect(Object.keys(st.domains).sort()).toEqual(DOMAINS);
      for (const d of Object.values(st.domains)) {
        expect(d.finalEndSec % 60).toBe(0);
        expect(d.finalEndSec).toBeLessThanOrEqual(end);
        expect(d.finalEndSec).toBeGreaterThan(end - 3600);
      }
    }
  });

  it('the emulator revises a recent bucket: the stored value follows', async () => {
    let offsetMs = 0;
    emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } }, now: () => Date.now() + offsetMs });
    const url = await emu.start();
    const { file } = config(url, { state: { dir: path.join(tempConfig({}).dir, 'state') }, vendors: { aliyun: { enabled: true, endpoint: url, domains: DOMAINS, apis: ['DescribeDomainRealTimeSrcTrafficData'] } } });
    expect((await runCli(['once', '--config', file], env)).code).toBe(0);
    const nowSec = Math.floor(Date.now() / 1000);
    const recent = Math.floor(nowSec / 60) * 60 - 120; // two minutes old: still provisional
    const key = `a.example.com|traffic_bytes|60|${recent}`;
    const first = (await storedV1(influx, db, recent, recent + 60)).get(key)!;
    const final = emu.finalValue('DescribeDomainRealTimeSrcTrafficData', 'a.example.com', 'Value', recent, 60);
    expect(first).toHaveLength(1);
    expect(first[0]).toBeLessThan(final);
    // Ten minutes later, as far as the vendor is concerned: the bucket has settled.
    offsetMs = 10 * 60_000;
    expect((await runCli(['once', '--config', file], env)).code).toBe(0);
    expect((await storedV1(influx, db, recent, recent + 60)).get(key)).toEqual([final]);
  });

  it('apiVersion 2 through the official client into VictoriaMetrics: 2 h for 3 domains, exact values', async () => {
    emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } } });
    const url = await emu.start();
    const vm = inject('victoriaUrl');
    const measurement = `m${process.pid}x${++dbCounter}`;
    const { file } = tempConfig({
      influx: { url: vm, apiVersion: 2, org: 'org', bucket: 'cdn', token: 'anything', measurement },
      vendors: { aliyun: { enabled: true, endpoint: url, domains: DOMAINS } },
      state: { dir: path.join(tempConfig({}).dir, 'state') },
      log: { level: 'warn' },
    });
    const nowSec = Math.floor(Date.now() / 1000);
    const to = Math.floor((nowSec - 30 * 60) / 300) * 300;
    const from = to - 2 * 3600;
    const r = await runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], env);
    expect(r.code).toBe(0);
    const want = expectedBuckets(emu, from, to, ['DescribeDomainSrcTrafficData', ...RT]);
    const got = await vmExport(vm, measurement, from - 3600, to + 3600, want.length);
    expect(got.size).toBe(want.length);
    for (const w of want) expect(got.get(w.key), w.key).toEqual([w.value]);
  });

  it('two processes on one account slow down instead of failing: throttled calls are retried', async () => {
    emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } } });
    const url = await emu.start();
    const nowSec = Math.floor(Date.now() / 1000);
    const to = Math.floor((nowSec - 30 * 60) / 300) * 300;
    const from = to - 6 * 3600;
    const run = () => {
      const { file, dir } = config(url, { vendors: { aliyun: { enabled: true, endpoint: url, domains: DOMAINS, apis: RT } } });
      return runCli(['backfill', '--from', isoSec(from), '--to', isoSec(to), '--config', file], { ...env, STATE_DIR: path.join(dir, 'state') });
    };
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(emu.limiter.throttled).toBeGreaterThan(0);
    const want = expectedBuckets(emu, from, to, RT);
    const got = await storedV1(influx, db, from, to);
    expect(got.size).toBe(want.length);
    for (const w of want) expect(got.get(w.key)).toEqual([w.value]);
  });
});
