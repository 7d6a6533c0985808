import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { runPass, type CollectSettings } from '../../src/core/collect.js';
import { classifyTencent, createTencentAdapter, fromBeijing, parseOriginData, toBeijing, type TencentConfig } from '../../src/vendors/tencent/index.js';
import { tc3Authorization, tc3CanonicalRequest, tc3Signature } from '../../src/vendors/tencent/sign.js';
import { TencentEmulator } from '../emulators/tencent.js';
import { ManualClock, MemorySink, inProcessHttp, staticCredentials, testDeps } from '../support/fakes.js';

const require = createRequire(import.meta.url);
const Sign = (require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign') as { default: { sign3(o: Record<string, unknown>): string } }).default;
const T1_BODY = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
const T1 = { method: 'POST' as const, host: 'cvm.tencentcloudapi.com', path: '/', query: '', contentType: 'application/json; charset=utf-8', payload: T1_BODY, timestampSec: 1551113065, service: 'cvm' };

describe('TC3-HMAC-SHA256, published vectors (VENDORS.md B.3)', () => {
  it('T-1', () => {
    expect(createHash('sha256').update(T1_BODY).digest('hex')).toBe('35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064');
    expect(createHash('sha256').update(tc3CanonicalRequest(T1).canonical).digest('hex')).toBe('5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
    expect(tc3Signature(T1, 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE').signature).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
    expect(tc3Authorization(T1, 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE', 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE')).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
    );
  });
  it('T-2: x-tc-action signed with its value lower-cased', () => {
    const i = { ...T1, extraSigned: { 'x-tc-action': 'DescribeInstances' } };
    expect(createHash('sha256').update(tc3CanonicalRequest(i).canonical).digest('hex')).toBe('7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84');
    expect(tc3Signature(i, '*'.repeat(32)).signature).toBe('10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f');
  });
  it('T-3 CDN GET and T-4 CDN POST', () => {
    const get = { method: 'GET' as const, host: 'cdn.tencentcloudapi.com', path: '/', query: 'Domains.0=www.example.com&EndTime=2018-09-04%2011%3A00%3A00&Interval=5min&Metric=flux&StartTime=2018-09-04%2010%3A40%3A00', contentType: 'application/x-www-form-urlencoded', payload: '', timestampSec: 1536029400, service: 'cdn' };
    expect(tc3Signature(get, 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE').signature).toBe('d74f4c16bdfe9169ab6c3c1632c2ae80e40192ec7f7cd1362f5a2c45c028e2c4');
    const post = { ...get, method: 'POST' as const, query: '', contentType: 'application/json', payload: '{"StartTime":"2018-09-04 10:40:00","EndTime":"2018-09-04 11:00:00","Metric":"flux","Domains":["www.example.com"],"Interval":"5min"}' };
    expect(tc3Signature(post, 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE').signature).toBe('73845b0b66a8b9990d3d3738ecf2dccfcd9ba33c8fa38df28e5ce939c6671728');
  });
  it('agrees with the official signer (tencentcloud-sdk-nodejs-common) on random inputs, across UTC dates', () => {
    for (let i = 0; i < 300; i++) {
      const ts = 1_500_000_000 + Math.floor(Math.random() * 400_000_000);
      const body = JSON.stringify({ StartTime: toBeijing(ts - 3600), EndTime: toBeijing(ts), Metric: 'flux', Domains: [randomBytes(4).toString('hex') + '.example.com'], Note: randomBytes(i % 17).toString('base64') + '中' });
      const sk = randomBytes(16).toString('base64');
      const ours = tc3Authorization({ method: 'POST', host: 'cdn.tencentcloudapi.com', path: '/', query: '', contentType: 'application/json', payload: body, timestampSec: ts, service: 'cdn' }, 'AKIDtest', sk);
      expect(ours).toBe(Sign.sign3({ method: 'POST', url: 'https://cdn.tencentcloudapi.com/', payload: Buffer.from(body), timestamp: ts, service: 'cdn', secretId: 'AKIDtest', secretKey: sk, headers: { 'Content-Type': 'application/json' } }));
    }
  });
  it('the credential date is the UTC date, not Beijing: 07:59 in Beijing is the day before', () => {
    const ts = Date.parse('2026-11-20T23:59:00Z') / 1000; // 2026-11-21 07:59 in Beijing
    expect(tc3Authorization({ ...T1, timestampSec: ts }, 'id', 'k')).toContain('Credential=id/2026-11-20/cvm/tc3_request');
  });
});

describe('Beijing time', () => {
  it.each([
    ['2026-11-20T16:00:00Z', '2026-11-21 00:00:00'],
    ['2026-11-30T15:59:00Z', '2026-11-30 23:59:00'],
    ['2026-11-30T16:00:00Z', '2026-12-01 00:00:00'],
    ['2026-12-31T16:05:00Z', '2027-01-01 00:05:00'],
    ['2028-02-28T16:00:00Z', '2028-02-29 00:00:00'],
  ])('%s is %s', (utc, bj) => {
    const sec = Date.parse(utc) / 1000;
    expect(toBeijing(sec)).toBe(bj);
    expect(fromBeijing(bj)).toBe(sec);
  });
  it('refuses what is not a Beijing time string', () => {
    expect(fromBeijing('2026-11-20T10:00:00Z')).toBeNaN();
  });
});

const settings: CollectSettings = { concurrency: 4, requestTimeoutMs: 1000, retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2000 }, initialLookbackMs: 3_600_000 };
const DOMAINS = Array.from({ length: 35 }, (_, i) => `d${i}.example.com`);

function cfg(over: Partial<TencentConfig> = {}): TencentConfig {
  return { endpoint: 'https://cdn.tencentcloudapi.com', secretId: 'AKIDtest', domains: DOMAINS, metrics: ['flux', 'failRate', '4xx', 'statusCode'], interval: '5min', area: 'mainland', ratePerSec: 20, settleMs: 600_000, ...over };
}

describe('request plan against the emulator', () => {
  it('30 domains per call with Detail, one per call for status codes; times in Beijing; values and UTC instants exact', async () => {
    const clock = new ManualClock(Date.parse('2026-11-30T17:02:10Z')); // 2026-12-01 01:02 in Beijing
    const emu = new TencentEmulator({ accounts: { AKIDtest: { secretKey: 'sk', domains: DOMAINS.map((domain) => ({ domain })) } }, now: () => clock.now() });
    const http = inProcessHttp((r) => emu.handle(r));
    const sink = new MemorySink();
    const deps = testDeps({ clock, http, sink, credentials: staticCredentials({ tencent: { secretId: 'AKIDtest', secretKey: 'sk' } }) });
    const adapter = createTencentAdapter(cfg());
    const from = Date.parse('2026-11-30T14:00:00Z') / 1000;
    const to = Date.parse('2026-11-30T17:00:00Z') / 1000;
    for (const s of adapter.streams) await runPass(deps, { ...settings, concurrency: 1 }, adapter, s, DOMAINS, { kind: 'range', fromSec: from, toSec: to });
    const calls = emu.dataCalls();
    expect(calls.filter((c) => c.params.Metric === 'flux').map((c) => c.domains.length)).toEqual([30, 5]);
    expect(calls.filter((c) => c.params.Metric === '4xx')).toHaveLength(35);
    expect(calls).toHaveLength(2 + 2 + 35 + 35);
    expect(emu.limiter.throttled).toBe(0);
    const first = calls[0]!.params as unknown as Record<string, unknown>;
    expect(first).toMatchObject({ StartTime: '2026-11-30 22:00:00', EndTime: '2026-12-01 00:55:00', TimeZone: 'UTC+08:00', Detail: true, Area: 'mainland' });
    // Every bucket of every domain once, at its UTC start, with the value the emulator serves.
    const n = (to - from) / 300;
    const byMetric = (m: string) => [...sink.points.values()].filter((p) => p.metric === m);
    expect(byMetric('traffic_bytes')).toHaveLength(35 * n);
    expect(byMetric('status_4xx')).toHaveLength(35 * n);
    expect(byMetric('status_404').length).toBe(35 * n);
    for (const p of sink.points.values()) {
      expect(p.tsSec % 300).toBe(0);
      expect(p.tsSec).toBeGreaterThanOrEqual(from);
      expect(p.tsSec).toBeLessThan(to);
      const b = emu.bucket(p.domain, p.tsSec, 300, clock.now());
      const src = { traffic_bytes: 'flux', fail_rate_pct: 'failRate', status_2xx: '2xx', status_3xx: '3xx', status_4xx: '4xx', status_5xx: '5xx' }[p.metric as 'traffic_bytes'] ?? p.metric.replace('status_', '');
      expect(p.value, `${p.metric} ${p.domain} ${p.tsSec}`).toBe(b[src]);
    }
  });

  it('min is chunked to 24 h; overseas is refused by configuration, not by the vendor', () => {
    const a = createTencentAdapter(cfg({ interval: 'min' }));
    expect(a.streams[0]!.rules.tiers[0]).toMatchObject({ granularitySec: 60, maxSpanSec: 86_400 });
    const d = createTencentAdapter(cfg({ interval: 'day' }));
    expect(d.streams[0]!.rules.tiers[0]).toMatchObject({ granularitySec: 86_400, alignOffsetSec: -28_800 });
  });
});

describe('parsing and errors', () => {
  const call = (domains: string[]) => ({ stream: createTencentAdapter(cfg()).streams[0]!, domains, window: { fromSec: Date.parse('2026-11-20T02:00:00Z') / 1000, toSec: Date.parse('2026-11-20T02:10:00Z') / 1000, granularitySec: 300 } });
  const res = (body: unknown) => ({ status: 200, headers: {}, body: JSON.stringify(body) });

  it('several domains and status codes; a missing or non-numeric value is an error for its bucket', () => {
    const out = parseOriginData(call(['a.com', 'b.com']), res({
      Response: {
        RequestId: 'r',
        Interval: '5min',
        Data: [
          { Resource: 'a.com', OriginData: [{ Metric: '4xx', DetailData: [{ Time: '2026-11-20 10:00:00', Value: 7 }, { Time: '2026-11-20 10:05:00', Value: 9 }] }, { Metric: '404', DetailData: [{ Time: '2026-11-20 10:00:00', Value: 5 }, { Time: '2026-11-20 10:05:00' }] }] },
          { Resource: 'b.com', OriginData: [{ Metric: 'flux', DetailData: [{ Time: '2026-11-20 10:00:00', Value: 123456789012 }, { Time: '2026-11-20 10:05:00', Value: 'x' }] }] },
        ],
      },
    }));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.samples.map((s) => [s.domain, s.metric, s.tsSec, s.value])).toEqual([
      ['a.com', 'status_4xx', Date.parse('2026-11-20T02:00:00Z') / 1000, 7],
      ['a.com', 'status_4xx', Date.parse('2026-11-20T02:05:00Z') / 1000, 9],
      ['a.com', 'status_404', Date.parse('2026-11-20T02:00:00Z') / 1000, 5],
      ['b.com', 'traffic_bytes', Date.parse('2026-11-20T02:00:00Z') / 1000, 123456789012],
    ]);
    expect(out.badBuckets).toHaveLength(2);
  });

  it.each([
    ['RequestLimitExceeded', 'throttled'],
    ['RequestLimitExceeded.UinLimitExceeded', 'throttled'],
    ['InternalError.CdnQuerySystemError', 'unavailable'],
    ['ServiceUnavailable', 'unavailable'],
    ['AuthFailure.SignatureExpire', 'clock'],
    ['AuthFailure.SignatureFailure', 'auth'],
    ['InvalidParameter.CdnStatTooManyDomains', 'invalid'],
    ['UnauthorizedOperation.CdnAccountUnauthorized', 'invalid'],
    ['ResourceNotFound.CdnHostNotExists', 'not_found'],
  ])('%s is %s', (code, kind) => {
    expect(classifyTencent(200, { Response: { Error: { Code: code, Message: 'm' }, RequestId: 'rid' } })).toMatchObject({ kind, vendorCode: code, requestId: 'rid' });
  });

  it('a signature the clock made stale is reported as a clock problem', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
    const emu = new TencentEmulator({ accounts: { AKIDtest: { secretKey: 'sk', domains: [{ domain: 'a.com' }] } }, now: () => clock.now() + 10 * 60_000 });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ tencent: { secretId: 'AKIDtest', secretKey: 'sk' } }) });
    const a = createTencentAdapter(cfg({ domains: ['a.com'], metrics: ['flux'] }));
    await expect(runPass(deps, settings, a, a.streams[0]!, ['a.com'], { kind: 'collect' })).rejects.toThrow();
    expect(deps.reports[0]).toMatch(/^tencent DescribeOriginData flux a\.com: AuthFailure\.SignatureExpire .*RequestId tc-.*check this machine's clock/);
  });
});

describe('STS', () => {
  it('X-TC-Token carries the session token (unsigned, as the SDK sends it); a wrong one is AuthFailure.TokenFailure', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:30Z'));
    const emu = new TencentEmulator({ accounts: { AKIDsts: { secretKey: 'sk', token: 'session-token', domains: [{ domain: 'a.com' }] } }, now: () => clock.now() });
    const a = createTencentAdapter(cfg({ secretId: 'AKIDsts', domains: ['a.com'], metrics: ['flux'] }));
    const ok = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ tencent: { secretId: 'AKIDsts', secretKey: 'sk', sessionToken: 'session-token' } }) });
    const s = await runPass(ok, settings, a, a.streams[0]!, ['a.com'], { kind: 'collect' });
    expect(s.failedCalls).toBe(0);
    const req = a.buildCall({ stream: a.streams[0]!, domains: ['a.com'], window: { fromSec: 0, toSec: 300, granularitySec: 300 } }, { nowMs: clock.now(), nonce: '', credentials: { secretId: 'AKIDsts', secretKey: 'sk', sessionToken: 'session-token' } });
    expect(req.headers['x-tc-token']).toBe('session-token');
    expect(req.headers.authorization).toContain('SignedHeaders=content-type;host,');
    const bad = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ tencent: { secretId: 'AKIDsts', secretKey: 'sk', sessionToken: 'stale' } }) });
    await expect(runPass(bad, settings, a, a.streams[0]!, ['a.com'], { kind: 'collect' })).rejects.toThrow();
    expect(bad.reports[0]).toMatch(/AuthFailure\.TokenFailure/);
  });
});
