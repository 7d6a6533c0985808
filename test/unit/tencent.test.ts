/**
 * Tencent module: signing (published vectors and the official signer), config keys and validate(),
 * per-area streams and the request plan against the emulator (which verifies every signature with
 * tencentcloud-sdk-nodejs-common), strict answers (every fault class → malformed), the error table.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse } from '../../src/kernel/http.js';
import type { AccountConfig, CallOutcome, CallSpec, KeySpec, SignContext, StreamSpec, VendorAdapter } from '../../src/kernel/vendor.js';
import { vendorMessage } from '../../src/vendors/encode.js';
import { fromBeijing, toBeijing } from '../../src/vendors/tencent/api.js';
import { areasOf, classifyCode, tencentModule } from '../../src/vendors/tencent/index.js';
import { Tc3KeyCache, tc3Authorization, tc3CanonicalRequest, tc3Signature } from '../../src/vendors/tencent/sign.js';
import type { FaultName } from '../emulators/faults.js';
import { TencentEmulator, type Area } from '../emulators/tencent.js';

const require = createRequire(import.meta.url);
const Sign = (require('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign') as { default: { sign3(o: Record<string, unknown>): string } }).default;
const T1_BODY = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
const T1 = { method: 'POST' as const, host: 'cvm.tencentcloudapi.com', path: '/', query: '', contentType: 'application/json; charset=utf-8', payload: T1_BODY, timestampSec: 1551113065, service: 'cvm' };

describe('TC3-HMAC-SHA256, published vectors (VENDORS.md B.3)', () => {
  it('T-1', () => {
    expect(createHash('sha256').update(tc3CanonicalRequest(T1).canonical).digest('hex')).toBe('5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
    expect(tc3Authorization(T1, 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE', 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE')).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
    );
  });
  it('T-2: x-tc-action signed with its value lower-cased', () => {
    const i = { ...T1, extraSigned: { 'x-tc-action': 'DescribeInstances' } };
    expect(tc3Signature(i, '*'.repeat(32)).signature).toBe('10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f');
  });
  it('a signing key kept per adapter signs as a fresh one across UTC dates, rotated secrets and services', () => {
    const keys = new Tc3KeyCache();
    // Steps: same day twice, a rotated secret, the next UTC day (1 s after midnight), back to the first secret, another service.
    const steps: [number, string, string][] = [
      [1551113065, 'secret-a', 'cdn'],
      [1551113999, 'secret-a', 'cdn'],
      [1551114000, 'secret-b', 'cdn'],
      [1551139201, 'secret-b', 'cdn'],
      [1551139202, 'secret-a', 'cdn'],
      [1551139203, 'secret-a', 'cvm'],
    ];
    for (const [timestampSec, sk, service] of steps) {
      const i = { ...T1, timestampSec, service };
      expect(tc3Signature(i, sk, keys)).toEqual(tc3Signature(i, sk));
    }
    expect(tc3Authorization(T1, 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE', 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE', keys)).toContain('Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
  });
  it('agrees with the official signer on random inputs, across UTC dates', () => {
    for (let i = 0; i < 200; i++) {
      const ts = 1_500_000_000 + Math.floor(Math.random() * 400_000_000);
      const body = JSON.stringify({ StartTime: toBeijing(ts - 3600), EndTime: toBeijing(ts), Metric: 'flux', Domains: [randomBytes(4).toString('hex') + '.example.com'], Note: randomBytes(i % 17).toString('base64') + '中' });
      const sk = randomBytes(16).toString('base64');
      const ours = tc3Authorization({ method: 'POST', host: 'cdn.tencentcloudapi.com', path: '/', query: '', contentType: 'application/json', payload: body, timestampSec: ts, service: 'cdn' }, 'AKIDtest', sk);
      expect(ours).toBe(Sign.sign3({ method: 'POST', url: 'https://cdn.tencentcloudapi.com/', payload: Buffer.from(body), timestamp: ts, service: 'cdn', secretId: 'AKIDtest', secretKey: sk, headers: { 'Content-Type': 'application/json' } }));
    }
  });
});

describe('UTC+8 time strings', () => {
  it.each([
    ['2026-11-20T16:00:00Z', '2026-11-21 00:00:00'],
    ['2026-12-31T16:05:00Z', '2027-01-01 00:05:00'],
    ['2028-02-28T16:00:00Z', '2028-02-29 00:00:00'],
  ])('%s is %s', (utc, bj) => {
    expect(toBeijing(Date.parse(utc) / 1000)).toBe(bj);
    expect(fromBeijing(bj)).toBe(Date.parse(utc) / 1000);
  });
  it.each(['2026-11-20T10:00:00Z', '2026-02-30 00:00:00', '2026-11-20 24:00:00', '2026-11-20 10:00', ''])('refuses %j', (s) => expect(fromBeijing(s)).toBeNaN());
});

// ---- module, config, validate -------------------------------------------------------------------

const account = (values: Record<string, unknown> = {}, name = 'default', domains: string[] = []): AccountConfig => ({ name, domains, values });
const defaults = (): Record<string, unknown> => Object.fromEntries(Object.entries(tencentModule.config).map(([k, v]) => [k, (v as KeySpec).default]));
const settings = (over: Record<string, unknown> = {}) => ({ ...defaults(), endpoint: 'https://cdn.tencentcloudapi.com', ...over });

describe('tencentModule config and validate()', () => {
  it('declares the contract keys with their env vars; secrets are secret; areas and area are per account', () => {
    const c = tencentModule.config as Record<string, KeySpec>;
    expect(Object.keys(c).sort()).toEqual(['area', 'areas', 'endpoint', 'interval', 'metrics', 'ratePerSec', 'secretId', 'secretKey', 'sessionToken', 'settleMs']);
    expect([c.endpoint!.env, c.secretId!.env, c.secretKey!.env, c.sessionToken!.env]).toEqual(['TENCENT_CDN_ENDPOINT', 'TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN']);
    expect([c.secretKey!.secret, c.sessionToken!.secret, c.sessionToken!.optional, c.secretId!.secret]).toEqual([true, true, true, undefined]);
    expect(c.areas).toMatchObject({ default: ['mainland'], perAccount: true });
    expect(c.area!.perAccount).toBe(true);
    expect(c.interval!.default).toBe('5min');
    expect(c.metrics!.default).toEqual(['flux', 'bandwidth', 'request', 'failRequest', 'failRate', 'statusCode', '2xx', '3xx', '4xx', '5xx']);
    expect(tencentModule.domainsEnv).toBe('TENCENT_DOMAINS');
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['defaults', {}, {}, []],
    ['min overseas', { interval: 'min', areas: ['mainland', 'overseas'] }, {}, ['interval: "min" is not served for the area "overseas"; use 5min']],
    ['min overseas (shorthand)', { interval: 'min', area: 'overseas' }, {}, ['interval: "min" is not served for the area "overseas"; use 5min']],
    ['min overseas (one account)', { interval: 'min' }, { areas: ['overseas'] }, ['interval: "min" is not served for the area "overseas"; use 5min']],
    ['min mainland', { interval: 'min' }, {}, []],
    ['settle too short', { settleMs: 599_999 }, {}, ['settleMs: 599999 is shorter than the 600000 ms Tencent may still revise a bucket']],
    ['no area', { areas: [] }, {}, ['areas: name at least one of mainland, overseas']],
    ['area and areas disagree', { area: 'overseas', areas: ['mainland', 'overseas'] }, {}, ['area: "overseas" and areas ["mainland","overseas"] disagree; set one of them']],
    ['area with the default areas', { area: 'overseas' }, {}, []],
    ['no metric', { metrics: [] }, {}, ['metrics: name at least one of flux, bandwidth, request, failRequest, failRate, statusCode, 2xx, 3xx, 4xx, 5xx']],
  ])('%s', (_name, over, values, problems) => {
    expect(tencentModule.validate(settings(over), account(values))).toEqual(problems);
  });

  it('an account with its own areas overrides the vendor-wide ones; `area` is a one-area list', () => {
    expect(areasOf(settings({ areas: ['mainland', 'overseas'] }), account({ areas: ['overseas'] })).areas).toEqual(['overseas']);
    expect(areasOf(settings({ area: 'overseas' }), account()).areas).toEqual(['overseas']);
    expect(areasOf(settings({ areas: ['overseas', 'mainland', 'overseas'] }), account()).areas).toEqual(['mainland', 'overseas']);
  });
});

// ---- streams and the request plan against the emulator ------------------------------------------

const NOW = Date.parse('2026-11-30T17:02:10Z'); // 2026-12-01 01:02 in UTC+8
const ctx = (credentials: Record<string, string>): SignContext => ({ nowMs: NOW, nonce: 'n', credentials });

/** The exchange as it goes over the wire, handled in-process by the emulator. */
async function exchange(emu: TencentEmulator, req: HttpRequest, clock?: { t: number }, stepMs = 0): Promise<HttpResponse> {
  if (clock) clock.t += stepMs;
  const url = new URL(req.url);
  const headers: Record<string, string> = { host: url.host };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const r = await emu.handle({ method: req.method, url, headers, body: req.body ?? '' });
  return { status: r.status, headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])), body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) };
}

function spec(stream: StreamSpec, domains: string[], fromSec: number, toSec: number): CallSpec {
  const g = stream.rules.tiers[0].granularitySec;
  return { stream, domains, window: { fromSec, toSec, granularitySec: g, ...(stream.rules.tiers[0].alignOffsetSec !== undefined ? { alignOffsetSec: stream.rules.tiers[0].alignOffsetSec } : {}) }, finalBeforeSec: toSec };
}

/** What the core does for one window: batches of maxDomainsPerCall, every answer parsed. */
async function collect(emu: TencentEmulator, a: VendorAdapter, creds: Record<string, string>, domains: string[], fromSec: number, toSec: number, clock: { t: number }): Promise<Map<string, CallOutcome[]>> {
  const out = new Map<string, CallOutcome[]>();
  for (const s of a.streams) {
    const list: CallOutcome[] = [];
    for (let i = 0; i < domains.length; i += s.maxDomainsPerCall) {
      const call = spec(s, domains.slice(i, i + s.maxDomainsPerCall), fromSec, toSec);
      // Paced at 4 calls/s, under every account's limit, as the core paces them.
      list.push(s.parseCall(call, await exchange(emu, s.buildCall(call, { ...ctx(creds), nowMs: clock.t }), clock, 250)));
    }
    out.set(s.id, list);
  }
  return out;
}

const ACCOUNTS = {
  AKIDone: { secretKey: 'key-one', domains: [{ domain: 'cn.one.com', area: 'mainland' as const }, { domain: 'both.one.com', area: 'global' as const }, { domain: 'intl.one.com', area: 'overseas' as const }] },
  AKIDtwo: { secretKey: 'key-two', rateLimit: 5, domains: Array.from({ length: 32 }, (_, i) => ({ domain: `d${i}.two.com`, area: i % 2 ? ('global' as const) : ('mainland' as const) })) },
};
const emulator = (clock = { t: NOW }) => new TencentEmulator({ accounts: ACCOUNTS, now: () => clock.t });
const FROM = Date.parse('2026-11-30T15:30:00Z') / 1000;
/** Every bucket before this has settled at NOW (settle 10 minutes): values do not depend on when they are read. */
const TO = Date.parse('2026-11-30T16:30:00Z') / 1000;

describe('streams per (metric, area)', () => {
  it('ids, areas, declared metrics, batching and tiers', () => {
    const a = tencentModule.createAdapter(settings({ areas: ['mainland', 'overseas'], metrics: ['flux', 'statusCode', '4xx'] }), account({}, 'biz-a'));
    expect(a).toMatchObject({ module: 'tencent', vendor: 'tencent', account: 'biz-a', configuredDomains: [] });
    expect(a.streams.map((s) => [s.id, s.area, s.maxDomainsPerCall, s.metrics])).toEqual([
      ['flux-5min-mainland', 'mainland', 30, ['traffic_bytes']],
      ['statusCode-5min-mainland', 'mainland', 1, ['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx']],
      ['4xx-5min-mainland', 'mainland', 1, ['status_4xx']],
      ['flux-5min-overseas', 'overseas', 30, ['traffic_bytes']],
      ['statusCode-5min-overseas', 'overseas', 1, ['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx']],
      ['4xx-5min-overseas', 'overseas', 1, ['status_4xx']],
    ]);
    expect(new Set(a.streams.map((s) => s.rateKey))).toEqual(new Set(['DescribeOriginData']));
    expect(a.rateLimit('DescribeOriginData')).toBe(20);
    expect(a.streams[0]!.rules).toEqual({ tiers: [{ granularitySec: 300, maxSpanSec: 31 * 86_400, retentionSec: 90 * 86_400 }], settleSec: 600 });
    const day = tencentModule.createAdapter(settings({ interval: 'day' }), account());
    expect(day.streams[0]!.rules.tiers[0]).toMatchObject({ granularitySec: 86_400, maxSpanSec: 90 * 86_400, alignOffsetSec: -28_800 });
    const min = tencentModule.createAdapter(settings({ interval: 'min' }), account());
    expect(min.streams[0]).toMatchObject({ id: 'flux-min-mainland', cadenceSec: 60, rules: { tiers: [{ granularitySec: 60, maxSpanSec: 86_400 }] } });
  });

  it('the request: Beijing times, closed interval, Detail only where taken, the area, TimeZone; STS token unsigned', () => {
    const a = tencentModule.createAdapter(settings({ areas: ['overseas'], metrics: ['flux', '5xx'] }), account());
    const creds = { secretId: 'AKIDsts', secretKey: 'k', sessionToken: 'tok' };
    const flux = a.streams[0]!.buildCall(spec(a.streams[0]!, ['a.com', 'b.com'], FROM, TO), ctx(creds));
    expect(JSON.parse(flux.body!)).toEqual({ StartTime: '2026-11-30 23:30:00', EndTime: '2026-12-01 00:25:00', Metric: 'flux', Domains: ['a.com', 'b.com'], Interval: '5min', Detail: true, Area: 'overseas', TimeZone: 'UTC+08:00' });
    expect(flux.headers).toMatchObject({ 'x-tc-action': 'DescribeOriginData', 'x-tc-version': '2018-06-06', 'x-tc-token': 'tok', host: 'cdn.tencentcloudapi.com' });
    expect(flux.headers.authorization).toContain('SignedHeaders=content-type;host,');
    const st = JSON.parse(a.streams[1]!.buildCall(spec(a.streams[1]!, ['a.com'], FROM, TO), ctx(creds)).body!) as Record<string, unknown>;
    expect(st).not.toHaveProperty('Detail');
  });

  it('two accounts, both areas: every (area, domain, bucket) exact and distinct; areas that do not serve a domain answer zeros; minimum calls', async () => {
    const clock = { t: NOW };
    const emu = emulator(clock);
    // Two Detail metrics and two status-code metrics: both batching rules, at half the emulator's work.
    const s = settings({ areas: ['mainland', 'overseas'], metrics: ['flux', 'failRate', 'statusCode', '4xx'] });
    const one = ACCOUNTS.AKIDone.domains.map((d) => d.domain);
    const two = ACCOUNTS.AKIDtwo.domains.map((d) => d.domain);
    const results = [
      { a: tencentModule.createAdapter(s, account({}, 'one', one)), creds: { secretId: 'AKIDone', secretKey: 'key-one' }, domains: one },
      { a: tencentModule.createAdapter(s, account({}, 'two', two)), creds: { secretId: 'AKIDtwo', secretKey: 'key-two' }, domains: two },
    ];
    const seen = new Map<string, number>();
    const cache = new Map<string, Record<string, number>>();
    const bucket = (d: string, t: number, area: Area) => {
      const k = `${d}|${t}|${area}`;
      if (!cache.has(k)) cache.set(k, emu.bucket(d, t, 300, NOW, area));
      return cache.get(k)!;
    };
    for (const r of results) {
      const out = await collect(emu, r.a, r.creds, r.domains, FROM, TO, clock);
      for (const [id, outcomes] of out) {
        const area = id.split('-')[2] as Area;
        for (const o of outcomes) {
          expect(o.ok, `${r.a.account} ${id} ${JSON.stringify(!o.ok && o.error)}`).toBe(true);
          if (!o.ok) continue;
          for (const p of o.samples) {
            const b = bucket(p.domain, p.tsSec, area);
            const src = { traffic_bytes: 'flux', bandwidth_bps: 'bandwidth', requests: 'request', failed_requests: 'failRequest', fail_rate_pct: 'failRate' }[p.metric] ?? p.metric.replace('status_', '');
            expect(p.value, `${id} ${p.domain} ${p.metric} ${p.tsSec}`).toBe(b[src]);
            expect(p.tsSec % 300).toBe(0);
            const key = `${r.a.account}|${area}|${p.domain}|${p.metric}|${p.tsSec}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
          }
        }
      }
    }
    // statusCode and 4xx both give status_4xx (the same number): twice; everything else once.
    for (const [k, n] of seen) expect(n, k).toBe(/\|status_4xx\|/.test(k) ? 2 : 1);
    const n = (TO - FROM) / 300;
    const flux = (acct: string, area: string, d: string) => [...seen.keys()].filter((k) => k.startsWith(`${acct}|${area}|${d}|traffic_bytes|`)).length;
    expect(flux('one', 'overseas', 'cn.one.com')).toBe(n);
    expect(flux('one', 'mainland', 'intl.one.com')).toBe(n);
    // A global domain differs between its areas; a domain not served in an area is zero there.
    expect(emu.bucket('both.one.com', FROM, 300, NOW, 'mainland').flux).not.toBe(emu.bucket('both.one.com', FROM, 300, NOW, 'overseas').flux);
    expect(emu.bucket('cn.one.com', FROM, 300, NOW, 'overseas').flux).toBe(0);
    expect(emu.bucket('intl.one.com', FROM, 300, NOW, 'overseas').flux).toBeGreaterThan(0);
    // Calls: per area, 2 Detail metrics × ceil(domains/30) + 2 status metrics × domains.
    const calls = (acct: string) => emu.dataCalls().filter((c) => ACCOUNTS[acct as 'AKIDone'].domains.some((d) => c.domains.includes(d.domain))).length;
    expect(calls('AKIDone')).toBe(2 * (2 * 1 + 2 * 3));
    expect(calls('AKIDtwo')).toBe(2 * (2 * 2 + 2 * 32));
  }, 60_000);

  it('each account verifies its own key; a domain of another account is not found; min overseas is refused by the vendor too', async () => {
    const emu = emulator();
    const a = tencentModule.createAdapter(settings({ metrics: ['flux'] }), account());
    const s = a.streams[0]!;
    const call = spec(s, ['cn.one.com'], FROM, TO);
    const wrong = s.parseCall(call, await exchange(emu, s.buildCall(call, ctx({ secretId: 'AKIDone', secretKey: 'key-two' }))));
    expect(wrong).toMatchObject({ ok: false, error: { kind: 'auth', vendorCode: 'AuthFailure.SignatureFailure' } });
    const foreign = s.parseCall(call, await exchange(emu, s.buildCall(call, ctx({ secretId: 'AKIDtwo', secretKey: 'key-two' }))));
    expect(foreign).toMatchObject({ ok: false, error: { kind: 'not_found', vendorCode: 'ResourceNotFound.CdnHostNotExists' } });
    const m = tencentModule.createAdapter(settings({ metrics: ['flux'], interval: 'min', areas: ['overseas'] }), account()).streams[0]!;
    const mc = spec(m, ['intl.one.com'], TO - 3600, TO);
    expect(m.parseCall(mc, await exchange(emu, m.buildCall(mc, ctx({ secretId: 'AKIDone', secretKey: 'key-one' }))))).toMatchObject({ ok: false, error: { kind: 'invalid' } });
  });

  it('per-account rate limits: the sixth call in a second of account two is throttled, account one is not', async () => {
    const emu = emulator();
    const a = tencentModule.createAdapter(settings({ metrics: ['5xx'] }), account());
    const s = a.streams[0]!;
    const kinds = async (creds: Record<string, string>, d: string) => {
      const out: string[] = [];
      for (let i = 0; i < 6; i++) {
        const call = spec(s, [d], FROM, TO);
        const o = s.parseCall(call, await exchange(emu, s.buildCall(call, ctx(creds))));
        out.push(o.ok ? 'ok' : o.error.kind);
      }
      return out;
    };
    expect(await kinds({ secretId: 'AKIDtwo', secretKey: 'key-two' }, 'd0.two.com')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'throttled']);
    expect(await kinds({ secretId: 'AKIDone', secretKey: 'key-one' }, 'cn.one.com')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });
});

// ---- strict answers ------------------------------------------------------------------------------

describe('an answer is trusted only when it proves itself', () => {
  const a = tencentModule.createAdapter(settings({ metrics: ['flux', '4xx'] }), account());
  const creds = { secretId: 'AKIDone', secretKey: 'key-one' };
  const run = async (fault: FaultName, stream = a.streams[0]!, domains = ['cn.one.com', 'both.one.com']) => {
    const emu = emulator();
    emu.inject({ fault, api: 'DescribeOriginData' });
    const call = spec(stream, domains, FROM, TO);
    return stream.parseCall(call, await exchange(emu, stream.buildCall(call, ctx(creds))));
  };

  it.each<[FaultName, RegExp]>([
    ['missing-container', /^Response\.Data is missing$/],
    ['null-container', /^Response\.Data is null$/],
    ['non-json', /^the answer is not JSON$/],
    ['truncated', /^the answer is not JSON$/],
    ['foreign-domain', /^Resource "foreign\.example\.net" was not asked for$/],
    ['other-interval', /^Interval "hour" where 300 s was asked for$/],
    ['zoneless-time', /^Time "2026-11-30T15:30:00Z" is not a UTC\+08:00 time$/],
    ['unparseable-time', /^Time "2026-02-30 25:61:00" is not a UTC\+08:00 time$/],
  ])('%s → malformed', async (fault, message) => {
    const out = await run(fault);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error).toMatchObject({ kind: 'malformed', vendorCode: 'Malformed' });
    expect(out.error.message).toMatch(message);
    expect(out.error.message).not.toContain('\n');
  });

  it('an error object with HTTP 200 is classified by its code; an HTML 500 is unavailable', async () => {
    expect(await run('error-200')).toMatchObject({ ok: false, error: { kind: 'unavailable', vendorCode: 'InternalError.CdnSystemError' } });
    const html = await run('html-500');
    expect(html).toMatchObject({ ok: false, error: { kind: 'unavailable', vendorCode: 'HTTP500' } });
    expect(!html.ok && html.error.message).not.toContain('\n');
  });

  it('an off-grid time is returned as it is (the core refuses it), never aligned', async () => {
    const out = await run('off-grid');
    expect(out.ok).toBe(true);
    expect(out.ok && out.samples.filter((s) => s.tsSec % 300 !== 0).map((s) => s.tsSec - FROM)).toEqual([150]);
  });

  it.each<[FaultName, number, string | undefined]>([
    ['value-null', NaN, 'null'],
    ['value-empty', NaN, '""'],
    ['value-abc', NaN, '"abc"'],
    ['value-NaN', NaN, '"NaN"'],
    ['value-Infinity', NaN, '"Infinity"'],
    ['value-negative', -5, undefined],
    ['value-fraction', 1.5, undefined],
  ])('%s: the bucket comes back as %s (raw %s) for the core to report, nothing dropped', async (fault, value, raw) => {
    const out = await run(fault);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.samples).toHaveLength(2 * 12);
    const first = out.samples[0]!;
    expect(first.tsSec).toBe(FROM);
    expect(first.value).toBe(value);
    expect(first.raw).toBe(raw);
  });

  it('a Metric of another family, a second series of one domain, a non-list OriginData: malformed', () => {
    const stream = a.streams[1]!; // 4xx
    const call = spec(stream, ['a.com'], FROM, FROM + 300);
    const ans = (data: unknown, interval: unknown = '5min') => stream.parseCall(call, { status: 200, headers: {}, body: JSON.stringify({ Response: { RequestId: 'r', Interval: interval, Data: data } }) });
    const pt = [{ Time: '2026-11-30 23:30:00', Value: 1 }];
    expect(ans([{ Resource: 'a.com', OriginData: [{ Metric: '5xx', DetailData: pt }] }])).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'Metric "5xx" in an answer for 4xx' } });
    expect(ans([{ Resource: 'a.com', OriginData: [{ Metric: '503', DetailData: pt }] }])).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    expect(ans([{ Resource: 'a.com', OriginData: [] }, { Resource: 'a.com', OriginData: [] }])).toMatchObject({ ok: false, error: { message: 'Resource a.com appears twice' } });
    expect(ans([{ Resource: 'a.com', OriginData: null }])).toMatchObject({ ok: false, error: { message: 'OriginData of a.com is null' } });
    expect(ans([{ Resource: 'all', OriginData: [] }])).toMatchObject({ ok: false, error: { message: 'Resource "all" was not asked for' } });
    expect(stream.parseCall(call, { status: 200, headers: {}, body: JSON.stringify({ Response: { RequestId: 'r', Data: [] } }) })).toMatchObject({ ok: false, error: { message: 'Interval missing where 300 s was asked for' } });
    expect(ans({})).toMatchObject({ ok: false, error: { message: 'Response.Data is not a list (object)' } });
    expect(ans([{ Resource: 'a.com', OriginData: [{ Metric: '4xx', DetailData: pt }, { Metric: '404', DetailData: pt }] }])).toMatchObject({ ok: true, samples: [{ metric: 'status_4xx' }, { metric: 'status_404' }] });
    expect(stream.parseCall(call, { status: 200, headers: {}, body: '{"Data": []}' })).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'the answer has no Response object' } });
  });
});

describe('errors', () => {
  it.each([
    ['RequestLimitExceeded', 'throttled'],
    ['RequestLimitExceeded.UinLimitExceeded', 'throttled'],
    ['LimitExceeded.CdnHostOpTooOften', 'throttled'],
    ['InternalError', 'unavailable'],
    ['InternalError.CdnDbError', 'unavailable'],
    ['InternalError.CdnSystemError', 'unavailable'],
    ['InvalidParameter.CdnInterfaceError', 'unavailable'],
    ['ServiceUnavailable', 'unavailable'],
    ['ResourceUnavailable', 'unavailable'],
    ['AuthFailure.SignatureExpire', 'clock'],
    ['AuthFailure.SignatureFailure', 'auth'],
    ['AuthFailure.SecretIdNotFound', 'auth'],
    ['AuthFailure.TokenFailure', 'auth'],
    ['UnauthorizedOperation.CdnAccountUnauthorized', 'auth'],
    ['UnauthorizedOperation.CdnUserIsSuspended', 'auth'],
    ['ResourceNotFound.CdnUserNotExists', 'auth'],
    ['ResourceNotFound.CdnHostNotExists', 'not_found'],
    ['InvalidParameter.CdnParamError', 'invalid'],
    ['InvalidParameter.CdnStatInvalidDate', 'invalid'],
    ['InvalidParameter.CdnStatInvalidMetric', 'invalid'],
    ['MissingParameter', 'invalid'],
  ])('%s is %s', (code, kind) => expect(classifyCode(code)).toBe(kind));

  it('a message that echoes credentials is scrubbed and cut to one line', () => {
    const a = tencentModule.createAdapter(settings({ metrics: ['flux'] }), account());
    const s = a.streams[0]!;
    const msg = `bad request\nAuthorization: TC3-HMAC-SHA256 Credential=AKIDsecret/2026-11-30/cdn/tc3_request, Signature=abcdef0123 token=sess-secret ${'x'.repeat(400)}`;
    const out = s.parseCall(spec(s, ['a.com'], FROM, TO), { status: 200, headers: {}, body: JSON.stringify({ Response: { Error: { Code: 'InvalidParameter', Message: msg }, RequestId: 'r' } }) });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.message).not.toMatch(/AKIDsecret|abcdef0123|sess-secret|\n/);
    expect(out.error.message.length).toBeLessThanOrEqual(200);
    expect(vendorMessage('plain message')).toBe('plain message');
  });
});

describe('discovery', () => {
  it('pages of 1000, online domains of every area (each area collects them all)', async () => {
    const domains = Array.from({ length: 1500 }, (_, i) => ({ domain: `p${i}.example.com`, area: (['mainland', 'overseas', 'global'] as const)[i % 3] }));
    const emu = new TencentEmulator({ accounts: { AKIDp: { secretKey: 'k', domains: [...domains, { domain: 'off.example.com', status: 'offline' }] } }, now: () => NOW });
    const d = tencentModule.createAdapter(settings(), account()).discovery;
    const found: string[] = [];
    let cursor: number | undefined = 0;
    let pages = 0;
    while (cursor !== undefined) {
      const page = d.parsePage(cursor, await exchange(emu, d.buildPage(cursor, ctx({ secretId: 'AKIDp', secretKey: 'k' }))));
      expect(page.ok).toBe(true);
      if (!page.ok) break;
      found.push(...page.domains);
      cursor = page.next;
      pages++;
    }
    expect(pages).toBe(2);
    expect(found).toEqual(domains.map((x) => x.domain));
  });
  it('a page without its list or total is malformed', () => {
    const d = tencentModule.createAdapter(settings(), account()).discovery;
    const page = (r: unknown) => d.parsePage(0, { status: 200, headers: {}, body: JSON.stringify({ Response: r }) });
    expect(page({ RequestId: 'r', TotalNumber: 1 })).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'Response.Domains is missing' } });
    expect(page({ Domains: [], RequestId: 'r' })).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'Response.TotalNumber is not a number' } });
  });
});

describe('recorded answers (test/fixtures/tencent)', () => {
  const fixture = (p: string): HttpResponse => ({ status: 200, headers: {}, body: readFileSync(new URL(`../fixtures/tencent/${p}`, import.meta.url), 'utf8') });
  const t = (iso: string) => Date.parse(iso) / 1000;
  const a = tencentModule.createAdapter(settings({ metrics: ['flux', '4xx'] }), account());
  it('seed 003 (https://cloud.tencent.com/document/api/228/30986): one domain without Detail under its own name, Interval as minutes, UTC+8 times', () => {
    const s = a.streams[0]!;
    const out = s.parseCall(spec(s, ['www.test.com'], t('2018-09-02T16:00:00Z'), t('2018-09-02T16:10:00Z')), fixture('origin-data.seed003.json'));
    expect(out).toEqual({
      ok: true,
      samples: [
        { domain: 'www.test.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2018-09-02T16:00:00Z'), value: 10 },
        { domain: 'www.test.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2018-09-02T16:05:00Z'), value: 20 },
      ],
    });
  });
  it('seed 003 read as an answer to an hourly query is malformed (Interval 5 minutes)', () => {
    const h = tencentModule.createAdapter(settings({ metrics: ['flux'], interval: 'hour' }), account()).streams[0]!;
    expect(h.parseCall(spec(h, ['www.test.com'], t('2018-09-02T16:00:00Z'), t('2018-09-02T18:00:00Z')), fixture('origin-data.seed003.json'))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'Interval 5 where 3600 s was asked for' } });
  });
  it('seed 003 as the answer for another domain is malformed', () => {
    const s = a.streams[0]!;
    expect(s.parseCall(spec(s, ['other.com'], 0, 600), fixture('origin-data.seed003.json'))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'Resource "www.test.com" was not asked for', requestId: '123' } });
  });
  it('a class and its codes across midnight UTC+8 (shaped after the output model ResourceOriginData)', () => {
    const s = a.streams[1]!;
    const out = s.parseCall(spec(s, ['a.example.com'], t('2026-11-20T16:00:00Z'), t('2026-11-20T16:10:00Z')), fixture('origin-data.multi.json'));
    expect(out.ok && out.samples.map((x) => [x.metric, new Date(x.tsSec * 1000).toISOString(), x.value])).toEqual([
      ['status_4xx', '2026-11-20T16:00:00.000Z', 12],
      ['status_4xx', '2026-11-20T16:05:00.000Z', 7],
      ['status_403', '2026-11-20T16:00:00.000Z', 2],
      ['status_403', '2026-11-20T16:05:00.000Z', 0],
      ['status_404', '2026-11-20T16:00:00.000Z', 10],
      ['status_404', '2026-11-20T16:05:00.000Z', 7],
    ]);
  });
});
