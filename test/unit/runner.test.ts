import { describe, expect, it } from 'vitest';
import type { PassSettings } from '../../src/core/pass.js';
import { Runner } from '../../src/core/runner.js';
import type { HttpRequest, HttpResponse } from '../../src/kernel/http.js';
import type { HttpClient } from '../../src/ports.js';
import { aliyunModule } from '../../src/vendors/aliyun/index.js';
import { tencentModule } from '../../src/vendors/tencent/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { ManualClock, MemorySink, MemoryStore, inProcessHttp, moduleAccount, moduleSettings, staticCredentials, testDeps } from '../support/fakes.js';

const settings: PassSettings = { concurrency: 2, requestTimeoutMs: 1000, maxBodyBytes: 1 << 20, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 100 }, initialLookbackMs: 3600_000, giveUpAfterMs: 86_400_000, recoverFromInflux: false };
const opts = { discoveryIntervalMs: 3600_000, stopGraceMs: 200 };
const API = 'DescribeDomainRealTimeSrcTrafficData';

describe('API budget', () => {
  it('calls per cadence against the limit, per vendor, account and rate key; a warning when it cannot keep up', async () => {
    const deps = testDeps({ clock: new ManualClock(0), http: inProcessHttp(() => ({ status: 500, body: {} })), credentials: staticCredentials({}) });
    const domains = Array.from({ length: 700 }, (_, i) => `d${i}.example.com`);
    const s = moduleSettings(aliyunModule, { apis: ['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'] });
    const one = aliyunModule.createAdapter(s, moduleAccount('one', domains));
    const two = aliyunModule.createAdapter(s, moduleAccount('two', domains.slice(0, 20)));
    const tencent = tencentModule.createAdapter(moduleSettings(tencentModule, { metrics: ['flux', 'bandwidth', '4xx'] }), moduleAccount('default', domains.slice(0, 60)));
    const lines = await new Runner(deps, settings, [one, two, tencent], opts).budget();
    expect(lines).toEqual([
      'budget aliyun DescribeDomainSrcTrafficData (account one): 700 domains, DescribeDomainSrcTrafficData 700 calls every 300 s; 700 calls per 300 s against a limit of 30000 (100/s)',
      'budget aliyun DescribeDomainRealTimeSrcBpsData (account one): 700 domains, DescribeDomainRealTimeSrcBpsData 700 calls every 60 s; 700 calls per 60 s against a limit of 600 (10/s)',
      'warning: aliyun DescribeDomainRealTimeSrcBpsData (account one) needs more calls than its limit allows; passes will stretch to about 70 s, so data arrives later (nothing is lost)',
      // Each account has its own limit: 20 domains fit easily.
      'budget aliyun DescribeDomainSrcTrafficData (account two): 20 domains, DescribeDomainSrcTrafficData 20 calls every 300 s; 20 calls per 300 s against a limit of 30000 (100/s)',
      'budget aliyun DescribeDomainRealTimeSrcBpsData (account two): 20 domains, DescribeDomainRealTimeSrcBpsData 20 calls every 60 s; 20 calls per 60 s against a limit of 600 (10/s)',
      // Tencent's metrics share one limit: 2 + 2 calls (30 domains each) + 60 (one domain per call).
      'budget tencent DescribeOriginData (account default): 60 domains, flux-5min-mainland 2 calls every 300 s, bandwidth-5min-mainland 2 calls every 300 s, 4xx-5min-mainland 60 calls every 300 s; 64 calls per 300 s against a limit of 6000 (20/s)',
    ]);
  });

  it('a failed discovery makes its budget line say so', async () => {
    const deps = testDeps({ clock: new ManualClock(0), http: inProcessHttp(() => ({ status: 403, body: { RequestId: 'R', Code: 'Forbidden.RAM', Message: 'no' } })), credentials: staticCredentials({}) });
    const a = aliyunModule.createAdapter(moduleSettings(aliyunModule, { apis: [API] }), moduleAccount('default', []));
    expect(await new Runner(deps, settings, [a], opts).budget()).toEqual([expect.stringMatching(/^budget aliyun DescribeDomainRealTimeSrcTrafficData \(account default\): unknown, domain discovery failed: aliyun DescribeUserDomains/)]);
  });
});

function twoAccounts(http?: (emu: AliyunEmulator) => HttpClient) {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:20Z'));
  const emu = new AliyunEmulator({ accounts: { AK1: { secret: 's1', domains: ['a.example.com', 'b.example.com'] }, AK2: { secret: 's2', domains: ['c.example.com'] } }, now: () => clock.now() });
  const sink = new MemorySink();
  const store = new MemoryStore();
  const credentials = staticCredentials({ aliyun: { one: { accessKeyId: 'AK1', accessKeySecret: 's1' }, two: { accessKeyId: 'AK2', accessKeySecret: 'WRONG' } } });
  const transport = http ? http(emu) : inProcessHttp((r) => emu.handle(r));
  const deps = testDeps({ clock, http: transport, sink, store, credentials });
  const s = moduleSettings(aliyunModule, { endpoint: 'http://emu', apis: [API] });
  const adapters = [aliyunModule.createAdapter(s, moduleAccount('one', ['a.example.com', 'b.example.com'])), aliyunModule.createAdapter(s, moduleAccount('two', ['c.example.com']))];
  return { clock, emu, sink, store, deps, adapters, transport };
}

describe('passes', () => {
  it('accounts are independent: a refused key fails its own account only, and says so once', async () => {
    const { deps, adapters, sink } = twoAccounts();
    const runner = new Runner(deps, settings, adapters, opts);
    const r = await runner.runAll({ kind: 'collect' });
    expect(r.ok).toBe(false);
    expect(r.fatal).toBeUndefined();
    expect(new Set([...sink.points.values()].map((p) => `${p.account}|${p.domain}`))).toEqual(new Set(['one|a.example.com', 'one|b.example.com']));
    expect(deps.reports).toEqual([expect.stringMatching(/^aliyun DescribeDomainRealTimeSrcTrafficData c\.example\.com: SignatureDoesNotMatch .*account two/)]);
    const health = runner.health();
    expect(health.find((h) => h.account === 'one')).toMatchObject({ lastOkMs: expect.any(Number) });
    expect(health.find((h) => h.account === 'two')).toMatchObject({ lastError: expect.stringMatching(/failures/) });
    expect(health.find((h) => h.account === 'two')!.lastOkMs).toBeUndefined();
  });

  it('--domain restricts the pass; a shard takes only its share of the triples', async () => {
    const { deps, adapters, sink } = twoAccounts();
    await new Runner(deps, settings, [adapters[0]!], { ...opts, onlyDomains: ['b.example.com'] }).runAll({ kind: 'collect' });
    expect(new Set([...sink.points.values()].map((p) => p.domain))).toEqual(new Set(['b.example.com']));
    const many = aliyunModule.createAdapter(moduleSettings(aliyunModule, { apis: [API] }), moduleAccount('one', Array.from({ length: 40 }, (_, i) => `d${i}.example.com`)));
    const shares = await Promise.all([0, 1, 2].map((index) => new Runner(deps, settings, [many], { ...opts, shard: { count: 3, index } }).domainsOf(many)));
    expect(shares.flat().sort()).toEqual([...many.configuredDomains].sort());
    for (const s of shares) expect(s.length).toBeGreaterThan(5);
  });

  it('a sink that refuses the credentials is fatal for run', async () => {
    const { deps, adapters } = twoAccounts();
    const { CollectorError } = await import('../../src/kernel/errors.js');
    const runner = new Runner({ ...deps, sink: { encode: (o, s) => new MemorySink().encode(o, s), write: async () => { throw new CollectorError('sink_auth', 'influx: http://x:8086 refused the credentials (401)'); } } }, settings, [adapters[0]!], opts);
    const r = await runner.runAll({ kind: 'collect' });
    expect(r.fatal).toMatchObject({ kind: 'sink_auth' });
  });
});

/** An HTTP client whose answers wait until released. */
function gated(inner: HttpClient): HttpClient & { release(): void; sent: HttpRequest[] } {
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  const sent: HttpRequest[] = [];
  return {
    sent,
    release: () => {
      open();
      gate = new Promise<void>((r) => (open = r));
    },
    async send(req, o): Promise<HttpResponse> {
      sent.push(req);
      await gate;
      if (o.signal?.aborted) throw Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' });
      return inner.send(req, o);
    },
  };
}

describe('run', () => {
  it('a tick that finds its pass still running is skipped; stop makes no new calls and returns', async () => {
    const g = { http: undefined as unknown as ReturnType<typeof gated> };
    const { deps, adapters } = twoAccounts((emu) => (g.http = gated(inProcessHttp((r) => emu.handle(r)))));
    const runner = new Runner(deps, settings, [adapters[0]!], opts);
    const fatal: unknown[] = [];
    runner.start((e) => fatal.push(e));
    await new Promise((r) => setTimeout(r, 20));
    const inFlight = g.http.sent.length;
    expect(inFlight).toBeGreaterThan(0);
    // A second tick (as the cron would give it) while the pass is still waiting: skipped.
    runner.start((e) => fatal.push(e));
    await new Promise((r) => setTimeout(r, 20));
    expect(g.http.sent.length).toBe(inFlight);
    const stopped = runner.stop();
    g.http.release();
    await stopped;
    const after = g.http.sent.length;
    g.http.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(g.http.sent.length).toBe(after);
    expect(runner.stopSignal.aborted).toBe(true);
    expect(fatal).toEqual([]);
  });
});
