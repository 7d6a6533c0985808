import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CallSpec, HttpRequest, HttpResponse, StreamSpec, VendorAdapter } from '../../src/kernel/vendor.js';
import { buildSignedGet, classify, parseDomainsPage, parseStats, scrub } from '../../src/vendors/huaweicdn/api.js';
import { BS_METRICS, BS_METRIC_NAMES, huaweicdnModule } from '../../src/vendors/huaweicdn/index.js';
import { DEMO_HUAWEICDN, HuaweiCdnEmulator, startDemo, type HuaweiCdnAccount, type HuaweiCdnFault } from '../emulators/huaweicdn.js';

const AK = 'HWCDNTESTAK';
const SK = 'hwcdn-test-secret-sk-Zq8';
const TOKEN = 'hwcdn-sts-token-Xy7/abc+def==';
const DOMAIN_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const NOW_S = NOW / 1000;
const D = ['a.example.com', 'b.example.com', 'c.example.com'];
const fixture = (f: string) => readFileSync(new URL(`../fixtures/huaweicdn/${f}`, import.meta.url), 'utf8');

function emulator(extra: Record<string, HuaweiCdnAccount> = {}, now = () => NOW) {
  return new HuaweiCdnEmulator({
    now,
    accounts: {
      [AK]: { sk: SK, domains: [...D.map((domain) => ({ domain })), { domain: 'quiet.example.com', trafficFromSec: NOW_S + 86_400 }, { domain: 'off.example.com', status: 'offline' }] },
      ...extra,
    },
  });
}

/** The request as it goes over the wire, answered in-process by the emulator. */
async function send(emu: HuaweiCdnEmulator, req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const headers: Record<string, string> = { host: url.host };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const r = await emu.handle({ method: req.method, url, headers, body: req.body ?? '' });
  return {
    status: r.status,
    headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    // Over the wire a stalled answer never ends; in-process the client gets the half it would have read.
    body: ((b: string) => (r.stall ? b.slice(0, Math.floor(b.length / 2)) : b))(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)),
  };
}

const settings = (over: Record<string, unknown> = {}) => ({ endpoint: 'http://cdn.emu.test', metrics: [...BS_METRIC_NAMES], interval: 300, ratePerSec: { ShowDomainStats: 15, ListDomains: 5 }, settleMs: 3 * 3600_000, ...over });
const adapter = (over: Record<string, unknown> = {}, values: Record<string, unknown> = {}): VendorAdapter =>
  huaweicdnModule.createAdapter(settings(over), { name: 'default', domains: [], values: { ak: AK, sk: SK, ...values } });
const ctx = (credentials: Record<string, string | undefined> = { ak: AK, sk: SK }, nowMs = NOW) => ({ nowMs, nonce: 'n-1', credentials });

function call(stream: StreamSpec, domains: string[], fromSec: number, toSec: number, g = 300, finalBeforeSec = NOW_S - 3 * 3600 - g): CallSpec {
  return { stream, domains, window: { fromSec, toSec, granularitySec: g, ...(g === 86_400 ? { alignOffsetSec: -28_800 } : {}) }, finalBeforeSec };
}

async function run(emu: HuaweiCdnEmulator, c: CallSpec, credentials?: Record<string, string | undefined>) {
  const res = await send(emu, c.stream.buildCall(c, ctx(credentials)));
  return { res, out: c.stream.parseCall(c, res) };
}

const H = 3600;
const T0 = NOW_S - 6 * H; // 06:00Z, final (older than the 3 h settle)

describe('huaweicdn module', () => {
  it('declares its config: credentials, secrets, env and defaults per CONTRACT.md', () => {
    const c = huaweicdnModule.config as Record<string, { env?: string; secret?: boolean; credential?: boolean; optional?: boolean; default?: unknown }>;
    expect(huaweicdnModule.id).toBe('huaweicdn');
    expect(huaweicdnModule.vendor).toBe('huawei');
    expect(huaweicdnModule.domainsEnv).toBe('HUAWEICDN_DOMAINS');
    expect(c.endpoint).toMatchObject({ env: 'HUAWEI_CDN_ENDPOINT', default: 'https://cdn.myhuaweicloud.com' });
    expect(c.ak).toMatchObject({ env: 'HUAWEICLOUD_SDK_AK', credential: true });
    expect(c.ak!.secret).toBeFalsy();
    expect(c.sk).toMatchObject({ env: 'HUAWEICLOUD_SDK_SK', credential: true, secret: true });
    expect(c.sk!.optional).toBeFalsy();
    expect(c.securityToken).toMatchObject({ env: 'HUAWEICLOUD_SDK_SECURITY_TOKEN', credential: true, secret: true, optional: true });
    expect(c.domainId).toMatchObject({ env: 'HUAWEICLOUD_SDK_DOMAIN_ID', credential: true, optional: true });
    expect(c.metrics!.default).toEqual(['bs_flux', 'bs_bw', 'bs_num', 'bs_fail_num', 'bs_http_code_2xx', 'bs_http_code_3xx', 'bs_http_code_4xx', 'bs_http_code_5xx']);
    expect(c.interval!.default).toBe(300);
  });

  it('groups 8 metrics into 2 streams of ≤ 5 with 20 domains a call, contract names, tiers and pacing', () => {
    const a = adapter();
    expect(a.module).toBe('huaweicdn');
    expect(a.vendor).toBe('huawei');
    expect(a.account).toBe('default');
    expect(a.streams.map((s) => s.metrics)).toEqual([
      ['traffic_bytes', 'bandwidth_bps', 'requests', 'failed_requests', 'status_2xx'],
      ['status_3xx', 'status_4xx', 'status_5xx'],
    ]);
    expect(new Set(a.streams.map((s) => s.id)).size).toBe(2);
    for (const s of a.streams) {
      expect(s.maxDomainsPerCall).toBe(20);
      expect(s.rateKey).toBe('ShowDomainStats');
      expect(s.cadenceSec).toBe(300);
      expect(s.rules.settleSec).toBe(10_800);
      expect(s.rules.tiers).toEqual([
        { granularitySec: 300, maxSpanSec: 7 * 86_400, retentionSec: 90 * 86_400 },
        { granularitySec: 3600, maxSpanSec: 31 * 86_400, retentionSec: 90 * 86_400 },
        { granularitySec: 86_400, maxSpanSec: 31 * 86_400, retentionSec: 90 * 86_400, alignOffsetSec: -28_800 },
      ]);
    }
    expect(a.rateLimit('ShowDomainStats')).toBe(15);
    expect(a.rateLimit(a.discovery.rateKey)).toBe(5);
    expect(adapter({ interval: 3600 }).streams[0]!.rules.tiers.map((t) => t.granularitySec)).toEqual([3600, 86_400]);
    expect(adapter({ metrics: ['bs_http_code_5xx', 'bs_flux'] }).streams.map((s) => s.metrics)).toEqual([['status_5xx', 'traffic_bytes']]);
    expect(adapter({ metrics: [...BS_METRIC_NAMES].slice(0, 5) }).streams).toHaveLength(1);
  });

  it('validate names the key and what is wrong', () => {
    const acct = (domains: string[] = []) => ({ name: 'default', domains, values: { ak: AK, sk: SK } });
    expect(huaweicdnModule.validate(settings(), acct())).toEqual([]);
    expect(huaweicdnModule.validate(settings({ interval: 600 }), acct())).toEqual(['interval: 600 is not served; use 300, 3600 or 86400']);
    expect(huaweicdnModule.validate(settings({ metrics: [] }), acct())[0]).toMatch(/^metrics: must list at least one/);
    expect(huaweicdnModule.validate(settings({ metrics: ['bs_flux', 'flux'] }), acct())).toEqual([expect.stringMatching(/^metrics: "flux" is not one of bs_flux/)]);
    expect(huaweicdnModule.validate(settings({ metrics: ['bs_flux', 'bs_flux'] }), acct())).toEqual(['metrics: "bs_flux" is listed twice']);
    expect(huaweicdnModule.validate(settings({ ratePerSec: { ShowDomainStats: 20 } }), acct())).toEqual(['ratePerSec.ShowDomainStats: 20 is above the documented 15 calls per second per account']);
    expect(huaweicdnModule.validate(settings(), acct(['all']))[0]).toMatch(/^domains: "all" is not a domain name/);
  });
});

describe('huaweicdn ShowDomainStats against the emulator (official signer)', () => {
  it('reads every bucket of 3 domains × 5 metrics in one call, values exact', async () => {
    const emu = emulator();
    const [s] = adapter().streams;
    const c = call(s!, D, T0, T0 + H);
    const { res, out } = await run(emu, c);
    expect(res.status).toBe(200);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.samples).toHaveLength(3 * 5 * 12);
    for (const x of out.samples) {
      const stat = BS_METRIC_NAMES.find((m) => BS_METRICS[m] === x.metric)!;
      expect(x.value).toBe(emu.finalValue(x.domain, stat, x.tsSec, 300));
      expect(x.intervalSec).toBe(300);
    }
    expect(new Set(out.samples.map((x) => x.tsSec))).toEqual(new Set(Array.from({ length: 12 }, (_, i) => T0 + i * 300)));
    const p = emu.calls[0]!.params;
    expect(p).toEqual({
      action: 'detail',
      start_time: String(T0 * 1000),
      end_time: String((T0 + H) * 1000),
      domain_name: D.join(','),
      stat_type: 'bs_flux,bs_bw,bs_num,bs_fail_num,bs_http_code_2xx',
      interval: '300',
      group_by: 'domain',
    });
  });

  it('signs X-Domain-Id and X-Security-Token; the emulator verifies them with the official signer', async () => {
    const emu = emulator({ STSAK: { sk: SK, securityToken: TOKEN, domainId: DOMAIN_ID, domains: [{ domain: 'sts.example.com' }] } });
    const [s] = adapter().streams;
    const c = call(s!, ['sts.example.com'], T0, T0 + H);
    const req = s!.buildCall(c, ctx({ ak: 'STSAK', sk: SK, securityToken: TOKEN, domainId: DOMAIN_ID }));
    expect(req.headers['x-domain-id']).toBe(DOMAIN_ID);
    expect(req.headers.authorization).toMatch(/SignedHeaders=content-type;host;x-domain-id;x-sdk-date;x-security-token, /);
    expect((await run(emu, c, { ak: 'STSAK', sk: SK, securityToken: TOKEN, domainId: DOMAIN_ID })).out.ok).toBe(true);
    // Without the optional domain id the gateway looks it up: still accepted.
    expect((await run(emu, c, { ak: 'STSAK', sk: SK, securityToken: TOKEN })).out.ok).toBe(true);
    for (const creds of [
      { ak: 'STSAK', sk: 'wrong', securityToken: TOKEN },
      { ak: 'STSAK', sk: SK },
      { ak: 'STSAK', sk: SK, securityToken: TOKEN, domainId: 'ffffffffffffffffffffffffffffffff' },
      { ak: 'NOPE', sk: SK },
    ]) {
      const { out } = await run(emu, c, creds);
      expect(out.ok).toBe(false);
      if (out.ok) continue;
      expect(out.error.kind).toBe('auth');
      expect(out.error.vendorCode).toBe('APIGW.0301');
      expect(out.error.message).not.toContain(SK);
      expect(out.error.message).not.toContain(TOKEN);
    }
  });

  it('daily buckets start at 00:00 UTC+8; a UTC-midnight day is a time error (CDN.0202 with HTTP 200 → invalid)', async () => {
    const emu = emulator();
    const [s] = adapter().streams;
    const day0 = Date.UTC(2026, 10, 10, 16) / 1000; // 2026-11-11 00:00 UTC+8
    const { out } = await run(emu, call(s!, D, day0, day0 + 3 * 86_400, 86_400));
    expect(out.ok).toBe(true);
    if (out.ok) {
      expect([...new Set(out.samples.map((x) => x.tsSec))]).toEqual([day0, day0 + 86_400, day0 + 2 * 86_400]);
      const x = out.samples.find((y) => y.metric === 'requests' && y.domain === D[0] && y.tsSec === day0)!;
      let sum = 0;
      for (let t = day0; t < day0 + 86_400; t += 300) sum += emu.finalValue(D[0]!, 'bs_num', t, 300);
      expect(x.value).toBe(sum);
    }
    const utc = Date.UTC(2026, 10, 11) / 1000;
    const bad = await run(emu, call(s!, D, utc, utc + 86_400, 86_400));
    expect(bad.res.status).toBe(200);
    expect(bad.out).toMatchObject({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0202' } });
  });

  it('enforces spans (7 d / 31 d / 31 d), retention (90 d), alignment, 20 domains and 5 metrics', async () => {
    const emu = emulator({ MANY: { sk: SK, domains: Array.from({ length: 21 }, (_, i) => ({ domain: `d${i}.example.com` })) } });
    const [s] = adapter().streams;
    const end = NOW_S - 6 * H;
    expect((await run(emu, call(s!, D, end - 7 * 86_400, end))).out.ok).toBe(true);
    expect((await run(emu, call(s!, D, end - 7 * 86_400 - 300, end))).out).toMatchObject({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0202' } });
    expect((await run(emu, call(s!, D, end - 31 * 86_400, end, 3600))).out.ok).toBe(true);
    expect((await run(emu, call(s!, D, end - 31 * 86_400 - 3600, end, 3600))).out).toMatchObject({ ok: false, error: { vendorCode: 'CDN.0202' } });
    expect((await run(emu, call(s!, D, T0 - 150, T0 + H))).out).toMatchObject({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0202' } });
    const old = NOW_S - 91 * 86_400 - (NOW_S % 300);
    expect((await run(emu, call(s!, D, old, old + H))).out).toMatchObject({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0202' } });
    const many = Array.from({ length: 21 }, (_, i) => `d${i}.example.com`);
    expect((await run(emu, call(s!, many, T0, T0 + H), { ak: 'MANY', sk: SK })).out).toMatchObject({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0001' } });
    expect((await run(emu, call(s!, many.slice(0, 20), T0, T0 + H), { ak: 'MANY', sk: SK })).out.ok).toBe(true);
  });

  it('paces: the 16th call of an account in one second is throttled (429 APIGW.0308), another account is not', async () => {
    const emu = emulator({ OTHER: { sk: 'other-sk', domains: [{ domain: 'o.example.com' }] } });
    const [s] = adapter().streams;
    const c = call(s!, [D[0]!], T0, T0 + H);
    for (let i = 0; i < 15; i++) expect((await run(emu, c)).out.ok).toBe(true);
    expect((await run(emu, c)).out).toMatchObject({ ok: false, error: { kind: 'throttled', vendorCode: 'APIGW.0308' } });
    expect((await run(emu, call(s!, ['o.example.com'], T0, T0 + H), { ak: 'OTHER', sk: 'other-sk' })).out.ok).toBe(true);
  });

  it('a domain left out of the answer (no data in the period) gets zero for every asked bucket', async () => {
    const emu = emulator();
    const [, s2] = adapter().streams;
    const { res, out } = await run(emu, call(s2!, [D[0]!, 'quiet.example.com'], T0, T0 + H));
    expect(Object.keys((JSON.parse(res.body) as { result: object }).result)).toEqual([D[0]]);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const quiet = out.samples.filter((x) => x.domain === 'quiet.example.com');
    expect(quiet).toHaveLength(3 * 12);
    expect(quiet.every((x) => x.value === 0)).toBe(true);
    expect(new Set(quiet.map((x) => x.metric))).toEqual(new Set(['status_3xx', 'status_4xx', 'status_5xx']));
  });

  it('recent buckets are provisional: served smaller, missing after now; only those may be missing', async () => {
    const emu = emulator();
    const [s] = adapter().streams;
    const from = NOW_S - H;
    const to = NOW_S + 600; // the last two buckets have not started
    const ok = await run(emu, call(s!, [D[0]!], from, to, 300, NOW_S - 3 * H));
    expect(ok.out.ok).toBe(true);
    if (ok.out.ok) {
      expect(ok.out.samples.filter((x) => x.metric === 'traffic_bytes')).toHaveLength(12);
      const last = ok.out.samples.find((x) => x.metric === 'traffic_bytes' && x.tsSec === NOW_S - 300)!;
      expect(last.value).toBeLessThan(emu.finalValue(D[0]!, 'bs_flux', NOW_S - 300, 300));
    }
    // Were those buckets final, their absence would be a defect of the answer.
    const bad = await run(emu, call(s!, [D[0]!], from, to, 300, to));
    expect(bad.out).toMatchObject({ ok: false, error: { kind: 'malformed' } });
  });
});

describe('huaweicdn fault switches → what the adapter says', () => {
  const malformedFaults: HuaweiCdnFault[] = ['missing-container', 'null-container', 'error-200', 'non-json', 'foreign-domain', 'other-interval', 'off-grid', 'merged', 'long-series', 'short-series', 'truncated', 'stall'];
  it.each(malformedFaults)('%s → malformed, one line, request id', async (fault) => {
    const emu = emulator();
    const [s] = adapter().streams;
    emu.inject({ fault });
    const { out } = await run(emu, call(s!, [D[0]!, D[1]!], T0, T0 + H));
    expect(out).toMatchObject({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed' } });
    if (out.ok) return;
    expect(out.error.message).not.toMatch(/\n/);
    expect(out.error.message.length).toBeLessThanOrEqual(200);
    expect(out.error.requestId).toMatch(/^hwcdn-/);
    // The switch is spent: the next answer is good.
    expect((await run(emu, call(s!, [D[0]!, D[1]!], T0, T0 + H))).out.ok).toBe(true);
  });

  it.each([
    ['cdn-0202', 'invalid', 'CDN.0202'],
    ['cdn-0203', 'invalid', 'CDN.0203'],
    ['cdn-0000', 'unavailable', 'CDN.0000'],
    ['throttle', 'throttled', 'APIGW.0308'],
    ['auth', 'auth', 'APIGW.0301'],
    ['html-500', 'unavailable', 'HTTP500'],
  ] as const)('%s → %s (%s)', async (fault, kind, vendorCode) => {
    const emu = emulator();
    const [s] = adapter().streams;
    emu.inject({ fault });
    expect((await run(emu, call(s!, D, T0, T0 + H))).out).toMatchObject({ ok: false, error: { kind, vendorCode } });
  });

  it.each([
    ['value-null', 'null'],
    ['value-empty', '""'],
    ['value-abc', '"abc"'],
    ['value-NaN', '"NaN"'],
    ['value-Infinity', '"Infinity"'],
  ] as const)('%s on one domain → that bucket NaN with raw %s, nothing dropped', async (fault, raw) => {
    const emu = emulator();
    const [s] = adapter().streams;
    emu.inject({ fault, domain: D[1] });
    const { out } = await run(emu, call(s!, [D[0]!, D[1]!], T0, T0 + H));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.samples).toHaveLength(2 * 5 * 12);
    const bad = out.samples.filter((x) => Number.isNaN(x.value));
    expect(bad).toHaveLength(5);
    expect(bad.every((x) => x.domain === D[1] && x.tsSec === T0 && x.raw === raw)).toBe(true);
  });

  it.each([
    ['value-negative', -5],
    ['value-fraction', 1.5],
  ] as const)('%s → returned as is for the core to refuse', async (fault, v) => {
    const emu = emulator();
    const [s] = adapter().streams;
    emu.inject({ fault, domain: D[0] });
    const { out } = await run(emu, call(s!, [D[0]!], T0, T0 + H));
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.samples.filter((x) => x.tsSec === T0).map((x) => x.value)).toEqual([v, v, v, v, v]);
  });

  it('a switch for one domain waits for a call that carries it', async () => {
    const emu = emulator();
    const [s] = adapter().streams;
    emu.inject({ fault: 'null-container', domain: D[2] });
    expect((await run(emu, call(s!, [D[0]!], T0, T0 + H))).out.ok).toBe(true);
    expect((await run(emu, call(s!, [D[2]!], T0, T0 + H))).out.ok).toBe(false);
  });
});

describe('huaweicdn answers recorded from the docs', () => {
  const [s] = adapter({ metrics: ['bs_num'] }).streams;
  const from = 1_667_030_400;
  const ok = (body: string): HttpResponse => ({ status: 200, headers: { 'x-request-id': 'rid-1' }, body });

  it('the grouped example: 12 values from start_time, one per 300 s', () => {
    const body = fixture('show-domain-stats-grouped.json').replace('"req_num"', '"bs_num"');
    const out = parseStats(call(s!, ['www.test1.com'], from, from + H, 300, from + H), ['bs_num'], ok(body));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.samples.map((x) => [x.tsSec - from, x.value])).toEqual([118, 105, 113, 115, 114, 111, 106, 108, 118, 94, 97, 113].map((v, i) => [i * 300, v]));
    expect(out.samples.every((x) => x.metric === 'requests' && x.domain === 'www.test1.com')).toBe(true);
  });

  it('the same example as printed (req_num, not asked) and the merged example are refused', () => {
    const c = call(s!, ['www.test1.com'], from, from + H, 300, from + H);
    expect(parseStats(c, ['bs_num'], ok(fixture('show-domain-stats-grouped.json')))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'result.www.test1.com holds req_num, which was not asked' } });
    expect(parseStats(c, ['bs_num'], ok(fixture('show-domain-stats-merged.json')))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'result holds the domain flux, which was not asked' } });
    expect(parseStats(c, ['bs_num'], ok(fixture('show-domain-stats-merged.json').replace('"flux"', '"bs_num"')))).toMatchObject({ ok: false, error: { message: 'result holds a merged series (bs_num), not one per domain' } });
    expect(parseStats(c, ['bs_num'], ok(fixture('error-cdn-0202.json')))).toEqual({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0202', message: 'Time error.', requestId: 'rid-1' } });
  });

  it('ListDomains: online domains only; total and the page size decide the next page', () => {
    expect(parseDomainsPage(0, ok(fixture('list-domains.json')))).toEqual({ ok: true, domains: ['www.test1.com', 'www.test2.com'] });
    expect(parseDomainsPage(0, ok('{"total":3}'))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'domains is missing' } });
    expect(parseDomainsPage(0, ok('{"total":3,"domains":null}'))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'domains is null' } });
    expect(parseDomainsPage(0, ok('{"domains":[]}'))).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    expect(parseDomainsPage(0, ok('{"total":1,"domains":[{"domain_status":"online"}]}'))).toMatchObject({ ok: false, error: { kind: 'malformed', message: 'a domain without domain_name' } });
  });
});

describe('huaweicdn discovery against the emulator', () => {
  it('pages of 1000 with domain_status=online until total is reached', async () => {
    const many = Array.from({ length: 2345 }, (_, i) => ({ domain: `d${i}.example.com`, ...(i % 100 === 7 ? { status: 'offline' as const } : {}) }));
    const emu = new HuaweiCdnEmulator({ now: () => NOW, accounts: { [AK]: { sk: SK, domains: many } } });
    const disc = adapter().discovery;
    const found: string[] = [];
    let cursor: number | undefined = 0;
    let pages = 0;
    while (cursor !== undefined) {
      const out = disc.parsePage(cursor, await send(emu, disc.buildPage(cursor, ctx())));
      expect(out.ok).toBe(true);
      if (!out.ok) break;
      found.push(...out.domains);
      cursor = out.next;
      pages++;
    }
    const online = many.filter((d) => !d.status).map((d) => d.domain);
    expect(found).toEqual(online);
    expect(pages).toBe(Math.ceil(online.length / 1000));
    expect(emu.calls.map((c) => c.params)).toEqual([1, 2, 3].map((n) => ({ page_size: '1000', page_number: String(n), domain_status: 'online' })));
  });

  it('sends enterprise_project_id when the account has one', async () => {
    const emu = emulator();
    const a = huaweicdnModule.createAdapter(settings(), { name: 'eps', domains: [], values: { ak: AK, sk: SK, enterpriseProjectId: 'all' } });
    const out = a.discovery.parsePage(0, await send(emu, a.discovery.buildPage(0, ctx())));
    expect(out).toEqual({ ok: true, domains: [...D, 'quiet.example.com'] });
    expect(emu.calls[0]!.params.enterprise_project_id).toBe('all');
    const { out: stats } = await run(emu, call(a.streams[0]!, D, T0, T0 + H));
    expect(stats.ok).toBe(true);
    expect(emu.calls[1]!.params.enterprise_project_id).toBe('all');
  });
});

describe('huaweicdn error classification (code first, HTTP status second)', () => {
  const r = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  it.each([
    [400, { error: { error_code: 'CDN.0001', error_msg: 'Parameter error' } }, 'invalid', 'CDN.0001'],
    [200, { error: { error_code: 'CDN.0202', error_msg: 'time' } }, 'invalid', 'CDN.0202'],
    [500, { error: { error_code: 'CDN.0000', error_msg: 'internal' } }, 'unavailable', 'CDN.0000'],
    [400, { error: { error_code: 'CDN.0000', error_msg: 'internal' } }, 'unavailable', 'CDN.0000'],
    [429, { error_code: 'APIGW.0308', error_msg: 'throttled' }, 'throttled', 'APIGW.0308'],
    [200, { error_code: 'APIG.0308', error_msg: 'throttled' }, 'throttled', 'APIG.0308'],
    [401, { error_code: 'APIGW.0301', error_msg: 'bad signature' }, 'auth', 'APIGW.0301'],
    [403, { error_code: 'APIGW.0306', error_msg: 'denied' }, 'auth', 'APIGW.0306'],
    [404, { error_code: 'APIGW.0101', error_msg: 'no such API' }, 'invalid', 'APIGW.0101'],
    [429, '', 'throttled', 'HTTP429'],
    [502, '<html>bad gateway</html>', 'unavailable', 'HTTP502'],
    [503, { error: { error_code: 'CDN.9999', error_msg: 'x' } }, 'unavailable', 'CDN.9999'],
    [401, '', 'auth', 'HTTP401'],
    [404, '', 'not_found', 'HTTP404'],
    [400, { error: { error_code: 'CDN.9999', error_msg: 'x' } }, 'invalid', 'CDN.9999'],
  ] as const)('%i %j → %s', (status, body, kind, vendorCode) => {
    expect(classify(r(status, body), typeof body === 'string' ? undefined : body)).toMatchObject({ kind, vendorCode });
  });

  it('carries the X-Request-Id and keeps credentials out of the message', () => {
    const echoed = `Incorrect IAM authentication information: Authorization: SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date, Signature=${'ab'.repeat(32)} X-Security-Token: ${TOKEN}`;
    const e = classify(r(401, { error_code: 'APIGW.0301', error_msg: echoed }, { 'x-request-id': 'rid-9' }), { error_code: 'APIGW.0301', error_msg: echoed });
    expect(e.requestId).toBe('rid-9');
    expect(e.message).not.toContain('ab'.repeat(32));
    expect(e.message).not.toContain(TOKEN);
    expect(scrub(`token=${SK} and more`)).not.toContain(SK);
    expect(scrub('x'.repeat(500)).length).toBeLessThanOrEqual(200);
  });
});

describe('huaweicdn emulator strictness beyond what the adapter sends', () => {
  const get = (q: Record<string, string>) => buildSignedGet({ endpoint: 'http://cdn.emu.test' }, '/v1.0/cdn/statistics/domain-stats', q, ctx());
  const base = { action: 'detail', start_time: String(T0 * 1000), end_time: String((T0 + H) * 1000), domain_name: `${D[0]},${D[1]}`, stat_type: 'bs_flux', interval: '300' };
  const body = async (emu: HuaweiCdnEmulator, q: Record<string, string>) => {
    const r = await send(emu, get(q));
    return { status: r.status, json: JSON.parse(r.body) as Record<string, unknown> };
  };

  it('without group_by the domains come back summed into one series keyed by stat_type', async () => {
    const emu = emulator();
    const { status, json } = await body(emu, base);
    expect(status).toBe(200);
    const merged = (json.result as Record<string, number[]>).bs_flux!;
    expect(merged).toHaveLength(12);
    expect(merged[0]).toBe(emu.finalValue(D[0]!, 'bs_flux', T0, 300) + emu.finalValue(D[1]!, 'bs_flux', T0, 300));
  });

  it('refuses 6 metrics, unknown metrics, status_code with bs_status_code, other group_by, missing parameters', async () => {
    const emu = emulator();
    const cases: Record<string, string>[] = [
      { ...base, stat_type: 'bs_flux,bs_bw,bs_num,bs_fail_num,bs_http_code_2xx,bs_http_code_3xx' },
      { ...base, stat_type: 'bs_nothing' },
      { ...base, stat_type: 'status_code_2xx,bs_status_code_2xx' },
      { ...base, group_by: 'isp' },
      { ...base, action: 'list' },
      { ...base, start_time: '2026-11-20T06:00:00Z' },
      Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'stat_type')),
      { ...base, domain_name: 'stranger.example.com' },
    ];
    for (const q of cases) expect(await body(emu, q), JSON.stringify(q)).toMatchObject({ status: 400, json: { error: { error_code: 'CDN.0001' } } });
    expect(await body(emu, { ...base, interval: '600' })).toMatchObject({ status: 200, json: { error: { error_code: 'CDN.0203' } } });
    expect(await body(emu, { ...base, end_time: base.start_time })).toMatchObject({ status: 200, json: { error: { error_code: 'CDN.0202' } } });
  });

  it('domain_name=all with group_by=domain: every domain with data, the quiet one left out', async () => {
    const emu = emulator();
    const { json } = await body(emu, { ...base, domain_name: 'all', group_by: 'domain' });
    expect(Object.keys(json.result as object).sort()).toEqual([...D, 'off.example.com'].sort());
  });

  it('an unsigned X-Domain-Id is refused', async () => {
    const emu = emulator();
    const req = get({ ...base, group_by: 'domain' });
    const res = await send(emu, { ...req, headers: { ...req.headers, 'x-domain-id': DOMAIN_ID } });
    expect(res.status).toBe(401);
  });
});

describe('huaweicdn demo', () => {
  it('startDemo serves its account over HTTP with the credentials of its env (the Huawei Live demo keys)', async () => {
    const demo = await startDemo();
    try {
      const v = (demo.config.vendors as Record<string, { endpoint: string }>).huaweicdn!;
      const a = huaweicdnModule.createAdapter(settings({ endpoint: v.endpoint }), { name: 'default', domains: [], values: {} });
      const creds = { ak: demo.env.HUAWEICLOUD_SDK_AK, sk: demo.env.HUAWEICLOUD_SDK_SK, domainId: demo.env.HUAWEICLOUD_SDK_DOMAIN_ID };
      const http = async (req: HttpRequest): Promise<HttpResponse> => {
        const r = await fetch(req.url, { method: req.method, headers: req.headers });
        return { status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() };
      };
      const page = a.discovery.parsePage(0, await http(a.discovery.buildPage(0, { nowMs: Date.now(), nonce: 'x', credentials: creds })));
      expect(page).toMatchObject({ ok: true, domains: DEMO_HUAWEICDN.domains });
      const now = Math.floor(Date.now() / 1000 / 300) * 300;
      const c = call(a.streams[0]!, [...DEMO_HUAWEICDN.domains], now - 6 * H, now - 5 * H, 300, now - 4 * H);
      const out = c.stream.parseCall(c, await http(c.stream.buildCall(c, { nowMs: Date.now(), nonce: 'x', credentials: creds })));
      expect(out.ok).toBe(true);
      if (out.ok) expect(out.samples.filter((x) => x.domain === DEMO_HUAWEICDN.domains[2]).every((x) => x.value === 0)).toBe(true);
    } finally {
      await demo.stop();
    }
  });
});
