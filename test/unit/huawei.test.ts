/**
 * Huawei Cloud Live module: APIG signing (published vectors and the official signer), config keys,
 * requests and answers against the emulator (which verifies every signature with
 * @huaweicloud/huaweicloud-sdk-core), recorded answers (seed 004, the v2 model), every fault class,
 * the error table.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../../src/kernel/http.js';
import type { AccountConfig, CallSpec, KeySpec, SignContext, StreamSpec } from '../../src/kernel/vendor.js';
import { signedGet } from '../../src/vendors/huawei/api.js';
import { classifyHuawei, huaweiModule, zonedSeconds } from '../../src/vendors/huawei/index.js';
import { apigAuthorization, apigCanonicalRequest, sdkDate } from '../../src/vendors/huawei/sign.js';
import type { FaultName } from '../emulators/faults.js';
import { HuaweiEmulator } from '../emulators/huawei.js';

const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as { AKSKSigner: { sign(r: Record<string, unknown>, c: { getAk(): string; getSk(): string }): Record<string, string> } };
const AK = 'QTWAOYTTINDUT2QVKYUC';
const SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';

describe('SDK-HMAC-SHA256, published vectors (VENDORS.md C.3)', () => {
  it('H-1 VPC list: the canonical URI ends with /', () => {
    const i = {
      method: 'GET',
      path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
      query: { limit: '2', marker: '13551d6b-755d-4757-b956-536f674975c0' },
      headers: { 'Content-Type': 'application/json', Host: 'service.region.example.com', 'X-Sdk-Date': '20191115T033655Z' },
      body: '',
    };
    expect(createHash('sha256').update(apigCanonicalRequest(i).canonical).digest('hex')).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    expect(apigAuthorization(i, AK, SK)).toBe('SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe');
  });
  it('H-2 Live v2 with project id and STS token, as the adapter builds it', () => {
    const req = signedGet(
      'https://live.cn-north-4.myhuaweicloud.com',
      '/v2/0123456789abcdef0123456789abcdef/stats/traffic/detail',
      { play_domains: 'play.example.com', interval: '300', start_time: '2020-06-04T07:00:00Z', end_time: '2020-06-04T07:04:59Z' },
      { nowMs: Date.parse('2020-06-04T07:10:00Z'), nonce: '', credentials: { ak: AK, sk: SK, securityToken: 'test-token', projectId: '0123456789abcdef0123456789abcdef' } },
    );
    expect(req.headers['x-sdk-date']).toBe('20200604T071000Z');
    expect(req.headers.authorization).toBe('SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature=9207e4daa117bbc8a35f992d4685ae40150914a876fac445c9e4312936bb7ade');
  });
  it('agrees with the official signer on random inputs', () => {
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

const account = (name = 'default', domains: string[] = []): AccountConfig => ({ name, domains, values: {} });
const defaults = (): Record<string, unknown> => Object.fromEntries(Object.entries(huaweiModule.config).map(([k, v]) => [k, (v as KeySpec).default]));
const settings = (over: Record<string, unknown> = {}) => ({ ...defaults(), endpoint: 'http://live.emulator:8080', apis: ['stats/traffic/detail', 'stream/traffic'], ...over });

describe('huaweiModule', () => {
  it('declares the contract keys with their env vars', () => {
    const c = huaweiModule.config as Record<string, KeySpec>;
    expect(Object.keys(c).sort()).toEqual(['ak', 'apis', 'endpoint', 'projectId', 'ratePerSec', 'securityToken', 'settleMs', 'sk']);
    expect([c.endpoint!.env, c.ak!.env, c.sk!.env, c.securityToken!.env, c.projectId!.env]).toEqual(['HUAWEI_LIVE_ENDPOINT', 'HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_SECURITY_TOKEN', 'HUAWEICLOUD_SDK_PROJECT_ID']);
    expect([c.sk!.secret, c.securityToken!.secret, c.securityToken!.optional, c.projectId!.credential, c.ak!.secret]).toEqual([true, true, true, true, undefined]);
    expect(c.apis!.default).toEqual(['stats/traffic/detail']);
    expect(huaweiModule.domainsEnv).toBe('HUAWEI_DOMAINS');
    expect(huaweiModule.validate(settings(), account())).toEqual([]);
    expect(huaweiModule.validate(settings({ apis: [] }), account())).toEqual(['apis: name at least one of stats/traffic/detail, stream/traffic']);
  });
  it('streams: play_traffic_bytes, one domain a call, 31/30 days a call, 1 year / 3 months of history', () => {
    const a = huaweiModule.createAdapter(settings(), account('live-a', ['p1.example.com']));
    expect(a).toMatchObject({ module: 'huawei', vendor: 'huawei', account: 'live-a', configuredDomains: ['p1.example.com'] });
    expect(a.streams.map((s) => [s.id, s.api, s.rateKey, s.maxDomainsPerCall, s.metrics, s.rules.tiers])).toEqual([
      ['stats_traffic_detail', 'ListDomainTrafficDetail', 'stats/traffic/detail', 1, ['play_traffic_bytes'], [{ granularitySec: 300, maxSpanSec: 31 * 86_400, retentionSec: 365 * 86_400 }]],
      ['stream_traffic', 'ShowTraffic', 'stream/traffic', 1, ['play_traffic_bytes'], [{ granularitySec: 300, maxSpanSec: 30 * 86_400, retentionSec: 90 * 86_400 }]],
    ]);
    expect(a.streams[0]!.rules.settleSec).toBe(3 * 3600);
  });
  it('start on a boundary, end one second before the next; the project id from the credentials', () => {
    const s = huaweiModule.createAdapter(settings(), account()).streams[0]!;
    const from = Date.parse('2020-06-04T07:00:00Z') / 1000;
    const req = s.buildCall({ stream: s, domains: ['p1.example.com'], window: { fromSec: from, toSec: from + 3600, granularitySec: 300 }, finalBeforeSec: from + 3600 }, { nowMs: 0, nonce: '', credentials: { ak: AK, sk: SK, projectId: 'proj1' } });
    const u = new URL(req.url);
    expect(u.pathname).toBe('/v2/proj1/stats/traffic/detail');
    expect([u.searchParams.get('start_time'), u.searchParams.get('end_time'), u.searchParams.get('interval'), u.searchParams.get('play_domains')]).toEqual(['2020-06-04T07:00:00Z', '2020-06-04T07:59:59Z', '300', 'p1.example.com']);
  });
});

// ---- against the emulator -------------------------------------------------------------------------

const NOW = Date.parse('2026-11-20T13:00:30Z');
const FROM = Date.parse('2026-11-20T07:00:00Z') / 1000;
const TO = Date.parse('2026-11-20T09:00:00Z') / 1000; // settled at NOW (3 h)
const ACCOUNTS = {
  [AK]: { sk: SK, projectId: 'proj1', securityToken: 'tok', domains: [{ domain: 'p1.example.com' }, { domain: 'p2.example.com' }, { domain: 'push.example.com', type: 'push' as const }, { domain: 'off.example.com', status: 'off' as const }] },
  AKTWO: { sk: 'sk-two', projectId: 'proj2', rateLimit: 2, domains: [{ domain: 'q1.example.com' }] },
};
const CREDS = { ak: AK, sk: SK, projectId: 'proj1', securityToken: 'tok' };
const CREDS2 = { ak: 'AKTWO', sk: 'sk-two', projectId: 'proj2' };
const ctx = (credentials: Record<string, string>): SignContext => ({ nowMs: NOW, nonce: 'n', credentials });
const spec = (stream: StreamSpec, domains: string[], fromSec = FROM, toSec = TO): CallSpec => ({ stream, domains, window: { fromSec, toSec, granularitySec: 300 }, finalBeforeSec: toSec });

async function exchange(emu: HuaweiEmulator, req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const headers: Record<string, string> = { host: url.host };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const r = await emu.handle({ method: req.method, url, headers, body: req.body ?? '' });
  return { status: r.status, headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) };
}

describe('against the emulator', () => {
  it('both APIs give the same play_traffic_bytes, every bucket exact; discovery lists pull domains that are on', async () => {
    const emu = new HuaweiEmulator({ accounts: ACCOUNTS, now: () => NOW });
    const a = huaweiModule.createAdapter(settings(), account());
    const page = a.discovery.parsePage(0, await exchange(emu, a.discovery.buildPage(0, ctx(CREDS))));
    expect(page).toEqual({ ok: true, domains: ['p1.example.com', 'p2.example.com'] });
    const byApi: Record<string, [string, number, number][]> = {};
    for (const s of a.streams) {
      byApi[s.id] = [];
      for (const d of ['p1.example.com', 'p2.example.com']) {
        const out = s.parseCall(spec(s, [d]), await exchange(emu, s.buildCall(spec(s, [d]), ctx(CREDS))));
        expect(out.ok, JSON.stringify(!out.ok && out.error)).toBe(true);
        if (out.ok) byApi[s.id]!.push(...out.samples.map((x) => [x.domain, x.tsSec, x.value] as [string, number, number]));
        if (out.ok) expect(new Set(out.samples.map((x) => `${x.metric}|${x.intervalSec}`))).toEqual(new Set(['play_traffic_bytes|300']));
      }
    }
    expect(byApi.stats_traffic_detail).toHaveLength(2 * 24);
    expect(byApi.stream_traffic).toEqual(byApi.stats_traffic_detail);
    for (const [d, ts, v] of byApi.stats_traffic_detail!) expect(v).toBe(emu.finalValue(d, ts));
  });

  it('each account: its own key, project and rate limit', async () => {
    const emu = new HuaweiEmulator({ accounts: ACCOUNTS, now: () => NOW });
    const s = huaweiModule.createAdapter(settings(), account()).streams[0]!;
    const kind = async (creds: Record<string, string>, d: string) => {
      const o = s.parseCall(spec(s, [d]), await exchange(emu, s.buildCall(spec(s, [d]), ctx(creds))));
      return o.ok ? 'ok' : `${o.error.kind} ${o.error.vendorCode}`;
    };
    expect(await kind({ ...CREDS2, sk: SK }, 'q1.example.com')).toBe('auth APIGW.0301');
    expect(await kind({ ...CREDS2, projectId: 'proj1' }, 'q1.example.com')).toBe('auth APIGW.0311');
    expect([await kind(CREDS2, 'q1.example.com'), await kind(CREDS2, 'q1.example.com'), await kind(CREDS2, 'q1.example.com')]).toEqual(['ok', 'ok', 'throttled APIGW.0308']);
    expect(await kind(CREDS, 'p1.example.com')).toBe('ok');
    expect(await kind({ ...CREDS, securityToken: 'stale' }, 'p1.example.com')).toBe('auth APIGW.0301');
  });
});

describe('an answer is trusted only when it proves itself', () => {
  const a = huaweiModule.createAdapter(settings(), account());
  const run = async (fault: FaultName, stream = a.streams[0]!) => {
    const emu = new HuaweiEmulator({ accounts: ACCOUNTS, now: () => NOW });
    emu.inject({ fault, api: stream.rateKey });
    return stream.parseCall(spec(stream, ['p1.example.com']), await exchange(emu, stream.buildCall(spec(stream, ['p1.example.com']), ctx(CREDS))));
  };

  it.each<[FaultName, string, RegExp]>([
    ['missing-container', 'stats/traffic/detail', /^data_list is missing$/],
    ['null-container', 'stats/traffic/detail', /^data_list is null$/],
    ['missing-container', 'stream/traffic', /^traffic_info is missing$/],
    ['null-container', 'stream/traffic', /^traffic_info is null$/],
    ['non-json', 'stats/traffic/detail', /^the answer is not JSON$/],
    ['truncated', 'stats/traffic/detail', /^the answer is not JSON$/],
    ['zoneless-time', 'stats/traffic/detail', /^time "2026-11-20T07:00:00" is not a time with its zone$/],
    ['zoneless-time', 'stream/traffic', /^timestamp "2026-11-20T07:00:00" is not a time with its zone$/],
    ['unparseable-time', 'stats/traffic/detail', /^time "2026-02-30T25:61:00Z" is not a time with its zone$/],
  ])('%s (%s) → malformed', async (fault, api, message) => {
    const out = await run(fault, a.streams.find((s) => s.rateKey === api)!);
    expect(out).toMatchObject({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed' } });
    expect(!out.ok && out.error.message).toMatch(message);
  });

  it('an error object with HTTP 200 cannot be trusted: malformed (retried) under its own code; an HTML 500 is unavailable', async () => {
    expect(await run('error-200')).toMatchObject({ ok: false, error: { kind: 'malformed', vendorCode: 'LIVE.100011009' } });
    expect(await run('html-500')).toMatchObject({ ok: false, error: { kind: 'unavailable', vendorCode: 'HTTP500' } });
  });

  it('60 s rows in a 300 s answer and off-grid times come back as they are, for the core to refuse; never aligned', async () => {
    const other = await run('other-interval');
    expect(other.ok && other.samples.filter((s) => s.tsSec % 300 !== 0).map((s) => s.tsSec - FROM)).toEqual([60]);
    const off = await run('off-grid');
    expect(off.ok && off.samples.filter((s) => s.tsSec % 300 !== 0).map((s) => s.tsSec - FROM)).toEqual([150]);
  });

  it.each<[FaultName, number, string | undefined]>([
    ['value-null', NaN, 'null'],
    ['value-empty', NaN, '""'],
    ['value-abc', NaN, '"abc"'],
    ['value-NaN', NaN, '"NaN"'],
    ['value-Infinity', NaN, '"Infinity"'],
    ['value-negative', -5, undefined],
    ['value-fraction', 1.5, undefined],
  ])('%s: the bucket comes back as %s (raw %s), nothing dropped', async (fault, value, raw) => {
    const out = await run(fault);
    expect(out.ok && out.samples).toHaveLength(24);
    expect(out.ok && out.samples[0]).toMatchObject({ tsSec: FROM, value, ...(raw ? { raw } : {}) });
  });

  it('foreign-domain does not apply to Live (rows carry no domain); several domains in one call are refused', () => {
    const emu = new HuaweiEmulator({ accounts: ACCOUNTS, now: () => NOW });
    expect(() => emu.inject({ fault: 'foreign-domain' })).toThrow(/does not apply/);
    const s = a.streams[0]!;
    expect(s.parseCall(spec(s, ['a', 'b']), { status: 200, headers: {}, body: '{"data_list": []}' })).toMatchObject({ ok: false, error: { kind: 'malformed', message: '2 domains in one call; their series would be merged' } });
  });
});

describe('recorded answers (test/fixtures/huawei)', () => {
  const fixture = (p: string): HttpResponse => ({ status: 200, headers: { 'x-request-id': 'hw-rec' }, body: readFileSync(new URL(`../fixtures/huawei/${p}`, import.meta.url), 'utf8') });
  const t = (iso: string) => Date.parse(iso) / 1000;
  const a = huaweiModule.createAdapter(settings(), account());
  it('seed 004 (ShowTraffic doc example): the unaligned 21:10:15 is returned as it is, so the core refuses it as off-grid', () => {
    const s = a.streams[1]!;
    expect(s.parseCall(spec(s, ['play.example.com'], t('2018-05-19T21:10:00Z'), t('2018-05-19T21:15:00Z')), fixture('stream-traffic.seed004.json'))).toEqual({
      ok: true,
      samples: [{ domain: 'play.example.com', metric: 'play_traffic_bytes', intervalSec: 300, tsSec: t('2018-05-19T21:10:15Z'), value: 1024 }],
    });
  });
  it('the v2 data_list (ListDomainTrafficDetail model): bytes at bucket starts, zero where nothing was played', () => {
    const s = a.streams[0]!;
    const out = s.parseCall(spec(s, ['play.example.com'], t('2020-06-04T07:00:00Z'), t('2020-06-04T07:10:00Z')), fixture('traffic-detail.v2.json'));
    expect(out.ok && out.samples.map((x) => [x.metric, x.tsSec, x.value])).toEqual([
      ['play_traffic_bytes', t('2020-06-04T07:00:00Z'), 5242880],
      ['play_traffic_bytes', t('2020-06-04T07:05:00Z'), 0],
    ]);
  });
});

describe('errors and times', () => {
  it.each<[number, string | undefined, string]>([
    [429, 'APIGW.0308', 'throttled'],
    [200, 'APIGW.0308', 'throttled'],
    [401, 'APIGW.0301', 'auth'],
    [403, 'APIGW.0306', 'auth'],
    [401, 'APIGW.0307', 'auth'],
    [404, 'APIGW.0311', 'auth'],
    [404, 'APIGW.0101', 'invalid'],
    [400, 'LIVE.100011001', 'invalid'],
    [500, 'LIVE.100011009', 'unavailable'],
    [503, undefined, 'unavailable'],
    [502, undefined, 'unavailable'],
    [404, undefined, 'not_found'],
    [401, undefined, 'auth'],
  ])('HTTP %i %s is %s', (status, code, kind) => expect(classifyHuawei(status, code)).toBe(kind));

  it('the request id comes from X-Request-Id; messages are one scrubbed line', () => {
    const s = huaweiModule.createAdapter(settings(), account()).streams[0]!;
    const out = s.parseCall(spec(s, ['p']), { status: 401, headers: { 'x-request-id': 'req-1' }, body: JSON.stringify({ error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information:\nAuthorization: SDK-HMAC-SHA256 Access=AKSECRET, Signature=deadbeef' }) });
    expect(out).toMatchObject({ ok: false, error: { kind: 'auth', vendorCode: 'APIGW.0301', requestId: 'req-1' } });
    expect(!out.ok && out.error.message).not.toMatch(/AKSECRET|deadbeef|\n/);
  });

  it.each([
    ['2026-11-20T07:00:00Z', Date.parse('2026-11-20T07:00:00Z') / 1000],
    ['2026-11-20T15:00:00+08:00', Date.parse('2026-11-20T07:00:00Z') / 1000],
    ['2026-11-20T07:00:00', NaN],
    ['2026-11-20 07:00:00Z', NaN],
    ['2026-02-30T07:00:00Z', NaN],
    ['2026-11-20T24:00:00Z', NaN],
  ])('%s → %s', (s, want) => expect(zonedSeconds(s)).toBe(want));
});
