/**
 * The Alibaba module: requests signed and checked by the official signer (through the emulator),
 * minimum calls, recorded answers, every malformed class, error kinds and config problems.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/kernel/http.js';
import type { Sample } from '../../src/kernel/schema.js';
import type { CallSpec, SignContext, StreamSpec, VendorAdapter } from '../../src/kernel/vendor.js';
import { ALIYUN_APIS, aliyunModule, classifyAliyun, parseAliyunData, parseVendorTime, scrub, timeParams, type AliyunApi } from '../../src/vendors/aliyun/index.js';
import { AliyunEmulator, type AliyunFault } from '../emulators/aliyun.js';

const AK = 'LTAI-unit-a';
const SK = 'unit-secret-a';
const AK2 = 'LTAI-unit-b';
const SK2 = 'unit-secret-b';
const NOW = Date.parse('2026-11-20T12:00:00Z');
const H = 3600;
const nowSec = NOW / 1000;

function setup(o: { signatureVersion?: 'acs3' | 'rpc'; token?: string; apis?: readonly AliyunApi[] } = {}) {
  const emu = new AliyunEmulator({
    now: () => NOW,
    accounts: {
      [AK]: { secret: SK, domains: ['a.example.com', 'b.example.com'], ...(o.token ? { securityToken: o.token } : {}) },
      [AK2]: { secret: SK2, domains: ['a.example.com'], rateLimits: { DescribeDomainRealTimeSrcBpsData: 2 } },
    },
  });
  const settings = { endpoint: 'http://cdn.test', apis: o.apis ?? [...ALIYUN_APIS], signatureVersion: o.signatureVersion ?? 'acs3' };
  const mk = (name: string, ak: string, sk: string): { adapter: VendorAdapter; creds: Record<string, string> } => ({
    adapter: aliyunModule.createAdapter(settings, { name, domains: [], values: {} }),
    creds: { accessKeyId: ak, accessKeySecret: sk, ...(o.token ? { securityToken: o.token } : {}) },
  });
  return { emu, a: mk('a', AK, SK), b: mk('b', AK2, SK2) };
}

let nonce = 0;
async function call(emu: AliyunEmulator, stream: StreamSpec, creds: Record<string, string>, c: Omit<CallSpec, 'stream' | 'finalBeforeSec'>): Promise<{ res: HttpResponse; url: URL }> {
  const ctx: SignContext = { nowMs: NOW, nonce: `n-${++nonce}`, credentials: creds };
  const req = stream.buildCall({ ...c, stream, finalBeforeSec: c.window.toSec }, ctx);
  const url = new URL(req.url);
  const headers: Record<string, string> = { host: url.host };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const r = await emu.handle({ method: req.method, url, headers, body: req.body ?? '' });
  return { url, res: { status: r.status, headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) } };
}

const streamOf = (a: VendorAdapter, api: string) => a.streams.find((s) => s.api === api)!;
const win = (fromSec: number, toSec: number, g: number, alignOffsetSec?: number) => ({ fromSec, toSec, granularitySec: g, ...(alignOffsetSec !== undefined ? { alignOffsetSec } : {}) });

async function collect(emu: AliyunEmulator, a: { adapter: VendorAdapter; creds: Record<string, string> }, api: string, domain: string, w: ReturnType<typeof win>) {
  const s = streamOf(a.adapter, api);
  const { res, url } = await call(emu, s, a.creds, { domains: [domain], window: w });
  return { out: s.parseCall({ stream: s, domains: [domain], window: w, finalBeforeSec: w.toSec }, res), url, res };
}

describe('module', () => {
  it('declares the contract keys, credentials and defaults', () => {
    expect(aliyunModule.id).toBe('aliyun');
    expect(aliyunModule.domainsEnv).toBe('ALIYUN_DOMAINS');
    const c = aliyunModule.config as Record<string, Record<string, unknown>>;
    expect(c.endpoint).toMatchObject({ env: 'ALIYUN_CDN_ENDPOINT', default: 'https://cdn.aliyuncs.com' });
    expect(c.accessKeyId).toMatchObject({ env: 'ALIBABA_CLOUD_ACCESS_KEY_ID', credential: true });
    expect(c.accessKeyId!.secret).toBeUndefined();
    expect(c.accessKeySecret).toMatchObject({ env: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', credential: true, secret: true });
    expect(c.securityToken).toMatchObject({ env: 'ALIBABA_CLOUD_SECURITY_TOKEN', credential: true, secret: true, optional: true });
    expect(c.apis!.default).toEqual([...ALIYUN_APIS]);
    expect(ALIYUN_APIS).toHaveLength(7);
    const rates = c.ratePerSec as Record<string, { default: number }>;
    expect(Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v.default]))).toEqual({
      DescribeDomainSrcTrafficData: 100, DescribeDomainRealTimeSrcTrafficData: 10, DescribeDomainRealTimeSrcBpsData: 10,
      DescribeDomainSrcBpsData: 100, DescribeDomainSrcHttpCodeData: 100, DescribeDomainSrcQpsData: 100, DescribeDomainRealTimeSrcHttpCodeData: 10,
      DescribeUserDomains: 100,
    });
  });

  it('streams: one per API, metrics, tiers, settle tails, pacing keys', () => {
    const { a } = setup();
    expect(a.adapter.streams.map((s) => [s.id, s.rateKey, s.cadenceSec, s.maxDomainsPerCall, s.rules.settleSec, s.rules.tiers.map((t) => [t.granularitySec, t.maxSpanSec / 86_400, t.retentionSec / 86_400])])).toEqual([
      ['DescribeDomainSrcTrafficData', 'DescribeDomainSrcTrafficData', 300, 1, 900, [[300, 3, 93], [3600, 31, 186], [86400, 366, 366]]],
      ['DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcTrafficData', 60, 1, 300, [[60, 1 / 24, 7]]],
      ['DescribeDomainRealTimeSrcBpsData', 'DescribeDomainRealTimeSrcBpsData', 60, 1, 300, [[60, 1 / 24, 7]]],
      ['DescribeDomainSrcBpsData', 'DescribeDomainSrcBpsData', 300, 1, 900, [[300, 3, 93], [3600, 31, 186], [86400, 366, 366]]],
      ['DescribeDomainSrcHttpCodeData', 'DescribeDomainSrcHttpCodeData', 300, 1, 900, [[300, 3, 93], [3600, 31, 186], [86400, 366, 366]]],
      ['DescribeDomainSrcQpsData', 'DescribeDomainSrcQpsData', 300, 1, 900, [[300, 3, 93], [3600, 31, 186], [86400, 366, 366]]],
      ['DescribeDomainRealTimeSrcHttpCodeData', 'DescribeDomainRealTimeSrcHttpCodeData', 60, 1, 300, [[60, 1 / 24, 7]]],
    ]);
    expect(a.adapter.streams.map((s) => s.metrics)).toEqual([
      ['traffic_bytes', 'https_traffic_bytes'], ['traffic_bytes'], ['bandwidth_bps'], ['bandwidth_bps'],
      ['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx'], ['requests_per_sec'], ['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx'],
    ]);
    expect(a.adapter.rateLimit('DescribeDomainRealTimeSrcHttpCodeData')).toBe(10);
    expect(a.adapter.rateLimit('DescribeUserDomains')).toBe(100);
    const custom = aliyunModule.createAdapter({ apis: ['DescribeDomainSrcQpsData'], ratePerSec: { DescribeDomainSrcQpsData: 40 }, srcSettleMs: 1_200_000 }, { name: 'x', domains: ['d'], values: {} });
    expect([custom.streams.length, custom.rateLimit('DescribeDomainSrcQpsData'), custom.streams[0]!.rules.settleSec, custom.configuredDomains, custom.account]).toEqual([1, 40, 1200, ['d'], 'x']);
  });

  it('validate names the key', () => {
    const acc = { name: 'default', domains: [], values: {} };
    expect(aliyunModule.validate({ apis: [], endpoint: 'https://cdn.aliyuncs.com' }, acc)).toEqual([expect.stringMatching(/^apis: is empty/)]);
    expect(aliyunModule.validate({ endpoint: 'https://cdn.aliyuncs.com/v1?x=1' }, acc)).toEqual([expect.stringMatching(/^endpoint: must be a base URL/)]);
    expect(aliyunModule.validate({ endpoint: 'https://u:p@cdn.aliyuncs.com' }, acc)).toEqual(['endpoint: must not carry credentials']);
    expect(aliyunModule.validate({ endpoint: 'https://cdn.aliyuncs.com', apis: [...ALIYUN_APIS] }, acc)).toEqual([]);
  });
});

describe('requests: minimum calls, signed as the official signer checks', () => {
  it('an hour of 1-minute data is one call: StartTime = from, EndTime = to − 60 s (inclusive end)', () => {
    expect(timeParams('DescribeDomainRealTimeSrcTrafficData', nowSec - 2 * H, nowSec - H, 60)).toEqual({ StartTime: '2026-11-20T10:00:00Z', EndTime: '2026-11-20T10:59:00Z' });
    expect(timeParams('DescribeDomainSrcQpsData', nowSec - 3 * 86_400, nowSec, 300)).toEqual({ StartTime: '2026-11-17T12:00:00Z', EndTime: '2026-11-20T11:55:00Z', Interval: '300' });
    // One bucket: EndTime must be later than StartTime, so it is the window's end.
    expect(timeParams('DescribeDomainRealTimeSrcBpsData', nowSec - 600, nowSec - 540, 60)).toEqual({ StartTime: '2026-11-20T11:50:00Z', EndTime: '2026-11-20T11:51:00Z' });
  });

  for (const sig of ['acs3', 'rpc'] as const) {
    it(`every API answers 200 with ${sig} (with an STS token), 60 buckets in one call, every bucket exact`, async () => {
      const { emu, a } = setup({ signatureVersion: sig, token: 'sts-token-1' });
      for (const api of ALIYUN_APIS) {
        const g = api.includes('RealTime') ? 60 : 300;
        const from = nowSec - 3 * H;
        const w = win(from, from + 60 * g > nowSec - H ? from + H : from + 60 * g, g);
        const { out } = await collect(emu, a, api, 'a.example.com', w);
        expect(out.ok, `${api} ${JSON.stringify(out)}`).toBe(true);
        if (!out.ok) continue;
        const buckets = (w.toSec - w.fromSec) / g;
        const s = streamOf(a.adapter, api);
        const byMetric = new Map<string, Sample[]>();
        for (const x of out.samples) byMetric.set(x.metric, [...(byMetric.get(x.metric) ?? []), x]);
        for (const m of s.metrics) {
          expect(byMetric.get(m)?.length, `${api} ${m}`).toBe(buckets);
          for (const x of byMetric.get(m)!) expect(x.value, `${api} ${m} ${x.tsSec}`).toBe(emu.finalValue(api, 'a.example.com', m, x.tsSec, g, AK));
        }
        for (const x of out.samples) {
          expect(x.tsSec).toBeGreaterThanOrEqual(w.fromSec);
          expect(x.tsSec).toBeLessThan(w.toSec);
        }
      }
      expect(emu.dataCalls().length).toBe(ALIYUN_APIS.length);
    });
  }

  it('status codes: a class is the sum of its codes; codes are counts', async () => {
    const { emu, a } = setup();
    const w = win(nowSec - 2 * H, nowSec - H, 60);
    const { out } = await collect(emu, a, 'DescribeDomainRealTimeSrcHttpCodeData', 'b.example.com', w);
    if (!out.ok) throw new Error(out.error.message);
    for (let t = w.fromSec; t < w.toSec; t += 60) {
      const at = out.samples.filter((s) => s.tsSec === t);
      for (const cls of ['2', '3', '4', '5']) {
        const sum = at.filter((s) => new RegExp(`^status_${cls}\\d\\d$`).test(s.metric)).reduce((n, s) => n + s.value, 0);
        expect(at.find((s) => s.metric === `status_${cls}xx`)!.value).toBe(sum);
      }
      for (const s of at) expect(Number.isInteger(s.value)).toBe(true);
    }
  });

  it('a one-bucket window sends EndTime = to and the extra bucket at `to` is dropped', async () => {
    const { emu, a } = setup();
    const w = win(nowSec - 900, nowSec - 840, 60);
    const { out, url } = await collect(emu, a, 'DescribeDomainRealTimeSrcTrafficData', 'a.example.com', w);
    expect([url.searchParams.get('StartTime'), url.searchParams.get('EndTime')]).toEqual(['2026-11-20T11:45:00Z', '2026-11-20T11:46:00Z']);
    expect(out.ok && out.samples.map((s) => s.tsSec)).toEqual([w.fromSec]);
    // A longer window never drops: a row at `to` would be the vendor's fault and the core refuses it.
  });

  it('the emulator is strict: a span over 1 h silently gives 300 s data, which the adapter refuses', async () => {
    const { emu, a } = setup();
    const s = streamOf(a.adapter, 'DescribeDomainRealTimeSrcBpsData');
    const w = win(nowSec - 3 * H, nowSec - H, 60);
    const { res } = await call(emu, s, a.creds, { domains: ['a.example.com'], window: w });
    expect(JSON.parse(res.body).DataInterval).toBe('300');
    expect(s.parseCall({ stream: s, domains: ['a.example.com'], window: w, finalBeforeSec: w.toSec }, res)).toMatchObject({ ok: false, error: { kind: 'malformed', message: expect.stringContaining('DataInterval "300" where 60 s was asked for') } });
    // 1-minute data only inside 7 days.
    const old = win(nowSec - 8 * 86_400, nowSec - 8 * 86_400 + H, 60);
    const o = await collect(emu, a, 'DescribeDomainRealTimeSrcTrafficData', 'a.example.com', old);
    expect(o.out).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    // Src* at 300 s: under 3 days per call; a full 3-day window fits (EndTime = to − 300 s).
    const full = await collect(emu, a, 'DescribeDomainSrcHttpCodeData', 'a.example.com', win(nowSec - 4 * 86_400, nowSec - 86_400, 300));
    expect(full.out.ok && full.out.samples.filter((x) => x.metric === 'status_2xx').length).toBe(864);
  });

  it('two accounts: each its own key, domains, data and limits; a wrong key fails alone', async () => {
    const { emu, a, b } = setup();
    const w = win(nowSec - 2 * H, nowSec - H, 60);
    const ra = await collect(emu, a, 'DescribeDomainRealTimeSrcTrafficData', 'a.example.com', w);
    const rb = await collect(emu, b, 'DescribeDomainRealTimeSrcTrafficData', 'a.example.com', w);
    if (!ra.out.ok || !rb.out.ok) throw new Error('not ok');
    expect(ra.out.samples.map((s) => s.value)).not.toEqual(rb.out.samples.map((s) => s.value));
    expect(rb.out.samples[0]!.value).toBe(emu.finalValue('DescribeDomainRealTimeSrcTrafficData', 'a.example.com', 'traffic_bytes', w.fromSec, 60, AK2));
    const notMine = await collect(emu, b, 'DescribeDomainRealTimeSrcTrafficData', 'b.example.com', w);
    expect(notMine.out).toMatchObject({ ok: false, error: { kind: 'not_found', vendorCode: 'InvalidDomain.NotFound' } });
    const wrong = await collect(emu, { adapter: b.adapter, creds: { accessKeyId: AK2, accessKeySecret: 'not-the-secret' } }, 'DescribeDomainSrcQpsData', 'a.example.com', win(nowSec - 2 * H, nowSec - H, 300));
    expect(wrong.out).toMatchObject({ ok: false, error: { kind: 'auth', vendorCode: 'SignatureDoesNotMatch' } });
    expect(JSON.stringify(wrong.out)).not.toContain('not-the-secret');
    // Account b's own limit (2/s) throttles b, not a.
    for (let i = 0; i < 2; i++) expect((await collect(emu, b, 'DescribeDomainRealTimeSrcBpsData', 'a.example.com', w)).out.ok).toBe(true);
    expect((await collect(emu, b, 'DescribeDomainRealTimeSrcBpsData', 'a.example.com', w)).out).toMatchObject({ ok: false, error: { kind: 'throttled' } });
    expect((await collect(emu, a, 'DescribeDomainRealTimeSrcBpsData', 'a.example.com', w)).out.ok).toBe(true);
  });
});

const fixture = (p: string): HttpResponse => ({ status: 200, headers: {}, body: readFileSync(new URL(`../fixtures/aliyun/${p}`, import.meta.url), 'utf8') });
const t = (iso: string) => Date.parse(iso) / 1000;

describe('recorded answers (test/fixtures/aliyun/README.md)', () => {
  it('DescribeDomainSrcHttpCodeData: Count is the count (Proportion, a percentage, is not written); an empty list is no traffic', () => {
    const out = parseAliyunData({ api: 'DescribeDomainSrcHttpCodeData', domain: 'example.com', window: win(t('2015-11-30T05:30:00Z'), t('2015-11-30T05:40:00Z'), 300) }, fixture('src-http-code.doc.json'));
    if (!out.ok) throw new Error(out.error.message);
    const at = (iso: string) => Object.fromEntries(out.samples.filter((s) => s.tsSec === t(iso)).map((s) => [s.metric, s.value]));
    expect(at('2015-11-30T05:30:00Z')).toEqual({ status_200: 2300, status_206: 100, status_304: 700, status_404: 300, status_502: 25, status_2xx: 2400, status_3xx: 700, status_4xx: 300, status_5xx: 25 });
    expect(at('2015-11-30T05:35:00Z')).toEqual({ status_2xx: 0, status_3xx: 0, status_4xx: 0, status_5xx: 0 });
    expect(out.samples.every((s) => s.intervalSec === 300 && s.domain === 'example.com' && s.raw === undefined)).toBe(true);
  });

  it('DescribeDomainRealTimeSrcHttpCodeData: counts (Proportion is a fraction here)', () => {
    const out = parseAliyunData({ api: 'DescribeDomainRealTimeSrcHttpCodeData', domain: 'example.com', window: win(t('2019-11-30T05:39:00Z'), t('2019-11-30T05:41:00Z'), 60) }, fixture('realtime-src-http-code.doc.json'));
    if (!out.ok) throw new Error(out.error.message);
    expect(out.samples.filter((s) => s.tsSec === t('2019-11-30T05:39:00Z')).map((s) => [s.metric, s.value])).toEqual([
      ['status_200', 100], ['status_404', 60], ['status_500', 1], ['status_2xx', 100], ['status_3xx', 0], ['status_4xx', 60], ['status_5xx', 1],
    ]);
    // One-bucket window: the inclusive end brings 05:40 along, which is dropped.
    const one = parseAliyunData({ api: 'DescribeDomainRealTimeSrcHttpCodeData', domain: 'example.com', window: win(t('2019-11-30T05:39:00Z'), t('2019-11-30T05:40:00Z'), 60) }, fixture('realtime-src-http-code.doc.json'));
    expect(one.ok && [...new Set(one.samples.map((s) => s.tsSec))]).toEqual([t('2019-11-30T05:39:00Z')]);
  });

  it('DescribeDomainSrcQpsData and DescribeDomainSrcBpsData', () => {
    const qps = parseAliyunData({ api: 'DescribeDomainSrcQpsData', domain: 'example.com', window: win(t('2015-12-10T21:00:00Z'), t('2015-12-10T21:10:00Z'), 300) }, fixture('src-qps.doc.json'));
    expect(qps.ok && qps.samples).toEqual([
      { domain: 'example.com', metric: 'requests_per_sec', intervalSec: 300, tsSec: t('2015-12-10T21:00:00Z'), value: 0 },
      { domain: 'example.com', metric: 'requests_per_sec', intervalSec: 300, tsSec: t('2015-12-10T21:05:00Z'), value: 12.75 },
    ]);
    const bps = parseAliyunData({ api: 'DescribeDomainSrcBpsData', domain: 'example.com', window: win(t('2019-12-10T20:00:00Z'), t('2019-12-10T20:10:00Z'), 300) }, fixture('src-bps.doc.json'));
    expect(bps.ok && bps.samples.map((s) => [s.metric, s.value])).toEqual([['bandwidth_bps', 500], ['bandwidth_bps', 0]]);
  });

  it('older answers: seed 000 (SrcFlowDataPerInterval), seeds 001/002', () => {
    const s0 = parseAliyunData({ api: 'DescribeDomainSrcTrafficData', domain: 'example.com', window: win(t('2015-12-10T20:00:00Z'), t('2015-12-10T21:05:00Z'), 300) }, fixture('src-traffic.seed000.json'));
    expect(s0.ok && s0.samples.map((s) => [s.metric, s.tsSec, s.value])).toEqual([
      ['traffic_bytes', t('2015-12-10T21:00:00Z'), 0], ['https_traffic_bytes', t('2015-12-10T21:00:00Z'), 0],
      ['traffic_bytes', t('2015-12-10T20:35:00Z'), 0], ['https_traffic_bytes', t('2015-12-10T20:35:00Z'), 0],
    ]);
    const bps = parseAliyunData({ api: 'DescribeDomainRealTimeSrcBpsData', domain: 'example.com', window: win(t('2015-12-10T20:00:00Z'), t('2015-12-10T20:01:00Z'), 60) }, fixture('realtime-src-bps.seed002.json'));
    expect(bps.ok && bps.samples).toEqual([{ domain: 'example.com', metric: 'bandwidth_bps', intervalSec: 60, tsSec: t('2015-12-10T20:00:00Z'), value: 821 }]);
  });

  it('values are passed on as sent: odd ones NaN with raw, the core decides', () => {
    const out = parseAliyunData({ api: 'DescribeDomainSrcTrafficData', domain: 'example.com', window: win(t('2026-11-20T10:00:00Z'), t('2026-11-20T10:15:00Z'), 300) }, fixture('src-traffic.current.json'));
    expect(out.ok && out.samples.map((s) => [s.metric, s.value, s.raw])).toEqual([
      ['traffic_bytes', 1234567890123, undefined], ['https_traffic_bytes', 423, undefined],
      ['traffic_bytes', 98765.5, undefined], ['https_traffic_bytes', 0, undefined],
      ['traffic_bytes', Number.NaN, '"-"'], ['https_traffic_bytes', Number.NaN, '""'],
    ]);
  });
});

describe('every malformed class (emulator fault switches)', () => {
  const cases: [AliyunFault, string, RegExp][] = [
    ['missing-container', 'DescribeDomainSrcHttpCodeData', /HttpCodeData is missing/],
    ['null-container', 'DescribeDomainSrcQpsData', /SrcQpsDataPerInterval is null/],
    ['container-not-list', 'DescribeDomainRealTimeSrcTrafficData', /DataModule is not a list/],
    ['error-object-200', 'DescribeDomainSrcBpsData', /error object "UnexpectedStatus" in a 200 answer/],
    ['non-json', 'DescribeDomainRealTimeSrcHttpCodeData', /not JSON/],
    ['truncated', 'DescribeDomainSrcTrafficData', /not JSON/],
    ['other-domain', 'DescribeDomainRealTimeSrcBpsData', /about "someone-else.example.net", not a.example.com/],
    ['other-interval', 'DescribeDomainSrcQpsData', /DataInterval "3600" where 300 s was asked for/],
    ['zoneless', 'DescribeDomainRealTimeSrcHttpCodeData', /has no zone/],
  ];
  it.each(cases)('%s (%s) → malformed', async (fault, api, message) => {
    const { emu, a } = setup();
    emu.inject({ api, fault, domain: 'a.example.com' });
    const g = api.includes('RealTime') ? 60 : 300;
    const { out } = await collect(emu, a, api, 'a.example.com', win(nowSec - 2 * H, nowSec - H, g));
    expect(out).toMatchObject({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: expect.stringMatching(message) } });
    if (!out.ok) expect(out.error.message.split('\n')).toHaveLength(1);
    // The fault was one answer: the next is good again.
    expect((await collect(emu, a, api, 'a.example.com', win(nowSec - 2 * H, nowSec - H, g))).out.ok).toBe(true);
  });

  it('off-grid timestamp is returned as is (the core refuses it), never aligned', async () => {
    const { emu, a } = setup();
    emu.inject({ api: 'DescribeDomainSrcQpsData', fault: 'off-grid' });
    const w = win(nowSec - 2 * H, nowSec - H, 300);
    const { out } = await collect(emu, a, 'DescribeDomainSrcQpsData', 'a.example.com', w);
    expect(out.ok && out.samples[0]!.tsSec).toBe(w.fromSec + 30);
  });

  it('a fault for one domain leaves the other alone; html-500 is unavailable; a known code in a 200 is classified', async () => {
    const { emu, a } = setup();
    emu.inject({ fault: 'html-500', domain: 'b.example.com' });
    const w = win(nowSec - 2 * H, nowSec - H, 300);
    expect((await collect(emu, a, 'DescribeDomainSrcQpsData', 'a.example.com', w)).out.ok).toBe(true);
    const html = await collect(emu, a, 'DescribeDomainSrcQpsData', 'b.example.com', w);
    expect(html.out).toMatchObject({ ok: false, error: { kind: 'unavailable', vendorCode: 'HTTP500', message: 'HTTP 500' } });
    emu.inject({ fault: 'error-object-200', code: 'Throttling.User' });
    expect((await collect(emu, a, 'DescribeDomainSrcQpsData', 'a.example.com', w)).out).toMatchObject({ ok: false, error: { kind: 'throttled', vendorCode: 'Throttling.User' } });
  });

  it.each([
    ['value-null', 'null'],
    ['value-empty', ''],
    ['value-abc', 'abc'],
    ['value-nan', 'NaN'],
    ['value-infinity', 'Infinity'],
  ] as const)('%s: NaN with raw, for a series and for a status code (and its class)', async (fault, sent) => {
    // The raw value is reported as the answer held it: a string quoted, JSON null as null.
    const raw = fault === 'value-null' ? sent : JSON.stringify(sent);
    const { emu, a } = setup();
    const w = win(nowSec - 2 * H, nowSec - H, 300);
    emu.inject({ api: 'DescribeDomainSrcTrafficData', fault });
    const s = await collect(emu, a, 'DescribeDomainSrcTrafficData', 'a.example.com', w);
    expect(s.out.ok && s.out.samples[0]).toMatchObject({ metric: 'traffic_bytes', tsSec: w.fromSec, raw });
    expect(s.out.ok && Number.isNaN(s.out.samples[0]!.value)).toBe(true);
    emu.inject({ api: 'DescribeDomainSrcHttpCodeData', fault });
    const c = await collect(emu, a, 'DescribeDomainSrcHttpCodeData', 'a.example.com', w);
    if (!c.out.ok) throw new Error(c.out.error.message);
    const first = c.out.samples.filter((x) => x.tsSec === w.fromSec);
    expect(first[0]).toMatchObject({ metric: 'status_200', raw });
    expect(Number.isNaN(first[0]!.value)).toBe(true);
    expect(Number.isNaN(first.find((x) => x.metric === 'status_2xx')!.value)).toBe(true);
    expect(first.find((x) => x.metric === 'status_2xx')!.raw).toBe(`200=${raw}`);
  });

  it.each([
    ['value-negative', -5],
    ['value-fraction', 1.5],
  ] as const)('%s is passed on as the number', async (fault, value) => {
    const { emu, a } = setup();
    emu.inject({ api: 'DescribeDomainRealTimeSrcHttpCodeData', fault });
    const w = win(nowSec - 2 * H, nowSec - H, 60);
    const { out } = await collect(emu, a, 'DescribeDomainRealTimeSrcHttpCodeData', 'a.example.com', w);
    expect(out.ok && out.samples[0]).toMatchObject({ metric: 'status_200', value });
  });

  it('status-code rows that cannot be read', () => {
    const asked = { api: 'DescribeDomainSrcHttpCodeData' as const, domain: 'example.com', window: win(0, 600, 300) };
    const body = (value: unknown) => ({ status: 200, headers: {}, body: JSON.stringify({ DataInterval: '300', DomainName: 'example.com', HttpCodeData: { UsageData: [{ TimeStamp: '1970-01-01T00:00:00Z', Value: value }] } }) });
    expect(parseAliyunData(asked, body(null))).toMatchObject({ ok: false, error: { kind: 'malformed', message: expect.stringContaining('Value is null') } });
    expect(parseAliyunData(asked, body({ CodeProportionData: null }))).toMatchObject({ ok: false, error: { message: expect.stringContaining('CodeProportionData is null') } });
    expect(parseAliyunData(asked, body({ CodeProportionData: [{ Code: 'abc', Count: '1' }] }))).toMatchObject({ ok: false, error: { message: expect.stringContaining('"abc" is not an HTTP status code') } });
    expect(parseAliyunData(asked, body({ CodeProportionData: [{ Code: '200', Count: '1' }, { Code: '200', Count: '2' }] }))).toMatchObject({ ok: false, error: { message: expect.stringContaining('listed twice') } });
    const noCount = parseAliyunData(asked, body({ CodeProportionData: [{ Code: 200, Proportion: '100' }] }));
    expect(noCount.ok && noCount.samples[0]).toMatchObject({ metric: 'status_200', raw: '(absent)' });
  });

  it('answers without the asked interval, with a duplicated bucket, or a row that is not an object', () => {
    const asked = { api: 'DescribeDomainSrcQpsData' as const, domain: 'example.com', window: win(0, 600, 300) };
    const body = (b: unknown) => ({ status: 200, headers: {}, body: JSON.stringify(b) });
    expect(parseAliyunData(asked, body({ SrcQpsDataPerInterval: { DataModule: [] } }))).toMatchObject({ ok: false, error: { message: expect.stringContaining('DataInterval (absent)') } });
    const row = { TimeStamp: '1970-01-01T00:00:00Z', Value: '1' };
    expect(parseAliyunData(asked, body({ DataInterval: '300', SrcQpsDataPerInterval: { DataModule: [row, row] } }))).toMatchObject({ ok: false, error: { message: expect.stringContaining('appears twice') } });
    expect(parseAliyunData(asked, body({ DataInterval: '300', SrcQpsDataPerInterval: { DataModule: [7] } }))).toMatchObject({ ok: false, error: { message: expect.stringContaining('not an object') } });
    expect(parseAliyunData(asked, body([1, 2]))).toMatchObject({ ok: false, error: { message: expect.stringContaining('not a JSON object') } });
    // No traffic is said with zero rows or zero values: an empty list is a valid answer (the core checks completeness).
    expect(parseAliyunData(asked, body({ DataInterval: '300', DomainName: 'EXAMPLE.com', SrcQpsDataPerInterval: { DataModule: [] } }))).toEqual({ ok: true, samples: [] });
  });
});

describe('times', () => {
  it.each([
    ['2026-11-20T10:00:00Z', t('2026-11-20T10:00:00Z')],
    ['2026-11-20T10:00Z', t('2026-11-20T10:00:00Z')],
    ['2026-11-20T18:00:00+08:00', t('2026-11-20T10:00:00Z')],
    ['2026-11-20T10:00:00', 'has no zone'],
    ['2026-11-20 10:00:00', 'has no zone'],
    ['2026-02-30T00:00:00Z', 'not a calendar time'],
    ['2026-11-20T24:00:00Z', 'not a calendar time'],
    ['yesterday', 'is not a time'],
    [1763632800, 'is not a time'],
  ] as const)('%s', (v, expected) => {
    const r = parseVendorTime(v);
    if (typeof expected === 'number') expect(r).toBe(expected);
    else expect(r).toContain(expected);
  });
});

describe('errors', () => {
  it.each([
    [400, 'Throttling.User', 'throttled'],
    [503, 'Throttling', 'throttled'],
    [400, 'Throttling.Api', 'throttled'],
    [503, 'ServiceUnavailable', 'unavailable'],
    [500, 'InternalError', 'unavailable'],
    [403, 'ServiceBusy', 'unavailable'],
    [500, 'InvalidDomain.Configure_failed', 'unavailable'],
    [400, 'SignatureDoesNotMatch', 'auth'],
    [400, 'IncompleteSignature', 'auth'],
    [404, 'InvalidAccessKeyId.NotFound', 'auth'],
    [400, 'InvalidAccessKeyId.Inactive', 'auth'],
    [400, 'InvalidSecurityToken.Expired', 'auth'],
    [400, 'MissingSecurityToken', 'auth'],
    [400, 'InvalidTimeStamp.Expired', 'clock'],
    [400, 'SignatureNonceUsed', 'clock'],
    [400, 'InvalidStartTime.Malformed', 'invalid'],
    [400, 'InvalidEndTime.Mismatch', 'invalid'],
    [400, 'InvalidStartTime.ValueNotSupported', 'invalid'],
    [400, 'MissingParameter', 'invalid'],
    [403, 'Forbidden.RAM', 'invalid'],
    [403, 'OperationDenied', 'invalid'],
    [404, 'InvalidDomain.NotFound', 'not_found'],
    [404, 'InvalidDomain.Offline', 'not_found'],
    [502, undefined, 'unavailable'],
    [504, undefined, 'timeout'],
    [429, undefined, 'throttled'],
  ])('HTTP %i %s is %s', (status, code, kind) => {
    const e = classifyAliyun(status, code ? { Code: code, Message: 'm', RequestId: 'R-1' } : undefined, {});
    expect(e.kind).toBe(kind);
    if (code) expect(e).toMatchObject({ vendorCode: code, requestId: 'R-1' });
  });

  it('messages are one line, cut, and never echo signatures or tokens', () => {
    const m = scrub('Specified signature is not matched with our calculation.\n server string to sign is:GET&%2F&AccessKeyId%3DLTAIsecret Signature=abc123');
    expect(m).toBe('Specified signature is not matched with our calculation.');
    expect(scrub('bad Authorization: ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=host,Signature=deadbeef')).not.toMatch(/LTAIx|deadbeef/);
    expect(scrub('SecurityToken=tok-123 is expired')).toBe('SecurityToken=*** is expired');
    expect(scrub('x'.repeat(500)).length).toBeLessThanOrEqual(200);
  });
});
