import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { runPass, type CollectSettings } from '../../src/core/collect.js';
import { planRange } from '../../src/core/window.js';
import { buildHuaweiRequest, classifyHuawei, createHuaweiAdapter, parseTraffic, type HuaweiConfig } from '../../src/vendors/huawei/index.js';
import { apigAuthorization, apigCanonicalRequest, sdkDate } from '../../src/vendors/huawei/sign.js';
import { HuaweiEmulator } from '../emulators/huawei.js';
import { ManualClock, MemorySink, inProcessHttp, staticCredentials, testDeps } from '../support/fakes.js';

const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as { AKSKSigner: { sign(r: Record<string, unknown>, c: { getAk(): string; getSk(): string }): Record<string, string> } };
const AK = 'QTWAOYTTINDUT2QVKYUC';
const SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';

describe('SDK-HMAC-SHA256, published vectors (VENDORS.md C.3)', () => {
  it('H-1 VPC list: the canonical URI ends with /', () => {
    const i = {
      method: 'GET', path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs', query: { limit: '2', marker: '13551d6b-755d-4757-b956-536f674975c0' },
      headers: { 'Content-Type': 'application/json', Host: 'service.region.example.com', 'X-Sdk-Date': '20191115T033655Z' }, body: '',
    };
    expect(createHash('sha256').update(apigCanonicalRequest(i).canonical).digest('hex')).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    expect(apigAuthorization(i, AK, SK)).toBe('SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe');
  });
  it('H-2 Live v2 with project id and STS token, as the adapter builds it', () => {
    const req = buildHuaweiRequest(
      { endpoint: 'https://live.cn-north-4.myhuaweicloud.com' },
      '/v2/0123456789abcdef0123456789abcdef/stats/traffic/detail',
      { play_domains: 'play.example.com', interval: '300', start_time: '2020-06-04T07:00:00Z', end_time: '2020-06-04T07:04:59Z' },
      { nowMs: Date.parse('2020-06-04T07:10:00Z'), nonce: '', credentials: { ak: AK, sk: SK, securityToken: 'test-token', projectId: '0123456789abcdef0123456789abcdef' } },
    );
    expect(req.headers['x-sdk-date']).toBe('20200604T071000Z');
    expect(req.headers.authorization).toBe('SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature=9207e4daa117bbc8a35f992d4685ae40150914a876fac445c9e4312936bb7ade');
  });
  it('agrees with the official signer (@huaweicloud/huaweicloud-sdk-core) on random inputs', () => {
    for (let i = 0; i < 200; i++) {
      const ms = 1_500_000_000_000 + Math.floor(Math.random() * 400_000_000_000);
      const query: Record<string, string> = {};
      for (let k = 0; k < i % 5; k++) query[`k${k}_${randomBytes(2).toString('hex')}`] = `${randomBytes(i % 7).toString('base64')} :/中~*`;
      const headers: Record<string, string> = { 'content-type': 'application/json', host: 'live.cn-north-4.myhuaweicloud.com', 'x-project-id': randomBytes(16).toString('hex'), 'x-sdk-date': sdkDate(ms) };
      if (i % 2) headers['x-security-token'] = randomBytes(20).toString('base64');
      const path = `/v2/${headers['x-project-id']}/stats/traffic/detail`;
      const sk = randomBytes(20).toString('base64');
      const ours = apigAuthorization({ method: 'GET', path, query, headers, body: '' }, 'AKRANDOM', sk);
      const { 'x-sdk-date': date, ...rest } = headers;
      const theirs = AKSKSigner.sign({ method: 'GET', endpoint: `https://live.cn-north-4.myhuaweicloud.com${path}`, queryParams: query, headers: { ...rest, 'X-Sdk-Date': date } }, { getAk: () => 'AKRANDOM', getSk: () => sk }).Authorization;
      expect(ours).toBe(theirs);
    }
  });
});

const cfg = (over: Partial<HuaweiConfig> = {}): HuaweiConfig => ({ endpoint: 'http://live.emulator:8080', ak: AK, projectId: 'proj1', domains: ['p1.example.com', 'p2.example.com'], apis: ['stats/traffic/detail', 'stream/traffic'], ratePerSec: 10, settleMs: 3 * 3600_000, ...over });

describe('windows', () => {
  it('start on a boundary, end one second before the next', () => {
    const a = createHuaweiAdapter(cfg());
    const req = a.buildCall({ stream: a.streams[0]!, domains: ['p1.example.com'], window: { fromSec: Date.parse('2020-06-04T07:00:00Z') / 1000, toSec: Date.parse('2020-06-04T08:00:00Z') / 1000, granularitySec: 300 } }, { nowMs: 0, nonce: '', credentials: { ak: AK, sk: SK, projectId: 'proj1' } });
    const q = new URL(req.url).searchParams;
    expect([q.get('start_time'), q.get('end_time'), q.get('interval'), q.get('play_domains')]).toEqual(['2020-06-04T07:00:00Z', '2020-06-04T07:59:59Z', '300', 'p1.example.com']);
  });
  it('spans of 31 days (v2) and 30 days (legacy)', () => {
    const a = createHuaweiAdapter(cfg());
    const now = Date.parse('2026-11-20T00:00:00Z') / 1000;
    const v2 = planRange({ nowSec: now, fromSec: now - 80 * 86400, toSec: now, rules: a.streams[0]!.rules });
    const v1 = planRange({ nowSec: now, fromSec: now - 80 * 86400, toSec: now, rules: a.streams[1]!.rules });
    expect(Math.max(...v2.windows.map((w) => w.toSec - w.fromSec))).toBe(31 * 86400);
    expect(Math.max(...v1.windows.map((w) => w.toSec - w.fromSec))).toBe(30 * 86400);
    expect(v2.windows).toHaveLength(3);
    expect(v1.windows).toHaveLength(3);
  });
});

describe('parsing and errors', () => {
  const a = createHuaweiAdapter(cfg());
  const call = { stream: a.streams[0]!, domains: ['p1.example.com'], window: { fromSec: 0, toSec: 600, granularitySec: 300 } };
  it('v2 data_list and legacy traffic_info, bytes at bucket start; bad values are errors for their bucket', () => {
    const v2 = parseTraffic('stats/traffic/detail', call, { status: 200, headers: { 'x-request-id': 'r' }, body: JSON.stringify({ data_list: [{ value: 1024, time: '2020-06-04T07:00:00Z' }, { value: null, time: '2020-06-04T07:05:00Z' }] }) });
    expect(v2).toMatchObject({ ok: true, samples: [{ domain: 'p1.example.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: Date.parse('2020-06-04T07:00:00Z') / 1000, value: 1024 }] });
    expect(v2.ok && v2.badBuckets).toHaveLength(1);
    const v1 = parseTraffic('stream/traffic', call, { status: 200, headers: {}, body: JSON.stringify({ total: 1, traffic_info: [{ traffic: 1024, timestamp: '2018-05-19T21:10:15Z' }] }) });
    expect(v1).toMatchObject({ ok: true, samples: [{ tsSec: Date.parse('2018-05-19T21:10:00Z') / 1000, value: 1024 }] });
  });
  it.each([
    [429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, 'throttled'],
    [503, {}, 'unavailable'],
    [401, { error_code: 'APIGW.0301', error_msg: 'verify aksk signature fail' }, 'auth'],
    [403, { error_code: 'APIGW.0306', error_msg: 'denied' }, 'invalid'],
    [404, { error_code: 'APIGW.0311', error_msg: 'project' }, 'not_found'],
    [400, { error_code: 'LIVE.100011001', error_msg: 'Request Illegal' }, 'invalid'],
  ])('HTTP %i %j is %s, with the X-Request-Id', (status, body, kind) => {
    expect(classifyHuawei(status, body, { 'x-request-id': 'req-1' })).toMatchObject({ kind, requestId: 'req-1' });
  });
});

const settings: CollectSettings = { concurrency: 1, requestTimeoutMs: 1000, retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2000 }, initialLookbackMs: 3_600_000 };

describe('against the emulator', () => {
  it('both APIs give the same points; throttling is retried; discovery lists pull domains that are on', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:30Z'));
    const emu = new HuaweiEmulator({
      accounts: { [AK]: { sk: SK, projectId: 'proj1', securityToken: 'tok', domains: [{ domain: 'p1.example.com' }, { domain: 'p2.example.com' }, { domain: 'push.example.com', type: 'push' }, { domain: 'off.example.com', status: 'off' }] } },
      now: () => clock.now(),
      rateLimit: 1,
    });
    const sink = new MemorySink();
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), sink, credentials: staticCredentials({ huawei: { ak: AK, sk: SK, projectId: 'proj1', securityToken: 'tok' } }) });
    const a = createHuaweiAdapter(cfg({ domains: [], ratePerSec: 10 }));
    const { discoverDomains } = await import('../../src/core/collect.js');
    const domains = await discoverDomains(deps, settings, a);
    expect(domains).toEqual(['p1.example.com', 'p2.example.com']);
    const from = Date.parse('2026-11-20T07:00:00Z') / 1000;
    const to = Date.parse('2026-11-20T09:00:00Z') / 1000;
    const byApi: Record<string, Map<string, number>> = {};
    for (const s of a.streams) {
      const before = new Map(sink.points);
      sink.points.clear();
      await runPass(deps, { ...settings, concurrency: 4 }, a, s, domains, { kind: 'range', fromSec: from, toSec: to });
      byApi[s.id] = new Map([...sink.points].map(([k, p]) => [k, p.value]));
      for (const [k, v] of before) sink.points.set(k, v);
    }
    expect(emu.limiter.throttled).toBeGreaterThan(0);
    expect(byApi['stats_traffic_detail']!.size).toBe(2 * 24);
    expect([...byApi['stream_traffic']!]).toEqual([...byApi['stats_traffic_detail']!]);
    for (const [k, v] of byApi['stats_traffic_detail']!) {
      const [, d, , , ts] = k.split('|');
      expect(v).toBe(emu.servedValue(d!, Number(ts), 300, clock.now()));
    }
  });

  it('a wrong secret is APIGW.0301, reported with the request id after one credential reload', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:30Z'));
    const emu = new HuaweiEmulator({ accounts: { [AK]: { sk: SK, projectId: 'proj1', domains: [{ domain: 'p1.example.com' }] } }, now: () => clock.now() });
    const creds = staticCredentials({ huawei: { ak: AK, sk: 'wrong', projectId: 'proj1' } });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: creds });
    const a = createHuaweiAdapter(cfg({ domains: ['p1.example.com'], apis: ['stats/traffic/detail'] }));
    await expect(runPass(deps, settings, a, a.streams[0]!, ['p1.example.com'], { kind: 'collect' })).rejects.toThrow();
    expect(creds.reloads).toBe(1);
    expect(deps.reports).toEqual([expect.stringMatching(/^huawei ListDomainTrafficDetail p1\.example\.com: APIGW\.0301 Incorrect IAM .*\(RequestId hw-[0-9a-f]+\); check the credentials$/)]);
  });
});
