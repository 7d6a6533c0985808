/**
 * Pins the Huawei CDN ShowDomainStats / ListDomains reader (src/vendors/huaweicdn/api.ts) on the facts of
 * src/vendors/huaweicdn/README.md and VENDOR-APIS-2026.md: the query (action=detail, epoch ms half-open,
 * group_by=domain, ≤ 20 domains and ≤ 5 stat_types, enterprise_project_id when set), the signed URL, the
 * error shapes and table (code first, APIG. read as APIGW., HTTP status second), echoed parameters,
 * list lengths against final buckets, zero for a domain left out, and ListDomains paging.
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/kernel/http.js';
import type { CallSpec, StreamSpec } from '../../src/kernel/vendor.js';
import { buildSignedGet, classify, domainsQuery, errorObject, parseDomainsPage, parseStats, scrub, statsQuery } from '../../src/vendors/huaweicdn/api.js';

const T0 = 1_764_547_200; // 2025-12-01 00:00 UTC
const H = 3600;
const call = (domains: string[], fromSec = T0, toSec = T0 + 900, finalBeforeSec = toSec, granularitySec = 300): CallSpec => ({ stream: {} as StreamSpec, domains, window: { fromSec, toSec, granularitySec }, finalBeforeSec });
const res = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const msg = (o: ReturnType<typeof parseStats>) => (o.ok ? 'ok' : o.error.message);
const ctx = (credentials: Record<string, string>) => ({ nowMs: T0 * 1000 + 5000, nonce: 'n', credentials });

describe('requests', () => {
  it('statsQuery: action detail, epoch ms, comma lists, the interval, group_by=domain; enterprise project only when set', () => {
    expect(statsQuery(call(['a.com', 'b.com'], T0, T0 + H, T0 + H, 300), ['bs_flux', 'bs_num'], { endpoint: 'x' })).toEqual({
      action: 'detail',
      start_time: String(T0 * 1000),
      end_time: String((T0 + H) * 1000),
      domain_name: 'a.com,b.com',
      stat_type: 'bs_flux,bs_num',
      interval: '300',
      group_by: 'domain',
    });
    expect(statsQuery(call(['a.com']), ['bs_bw'], { endpoint: 'x', enterpriseProjectId: 'eps-1' }).enterprise_project_id).toBe('eps-1');
    expect(statsQuery(call(['a.com']), ['bs_bw'], { endpoint: 'x', enterpriseProjectId: '' })).not.toHaveProperty('enterprise_project_id');
  });
  it('domainsQuery: pages of 1000, page_number from 1, online only', () => {
    expect(domainsQuery(0, { endpoint: 'x' })).toEqual({ page_size: '1000', page_number: '1', domain_status: 'online' });
    expect(domainsQuery(2, { endpoint: 'x', enterpriseProjectId: 'all' })).toEqual({ page_size: '1000', page_number: '3', domain_status: 'online', enterprise_project_id: 'all' });
  });
  it('buildSignedGet: sorted encoded query, the endpoint base path kept, X-Domain-Id and the token signed when given', () => {
    const r = buildSignedGet({ endpoint: 'https://cdn.myhuaweicloud.com/' }, '/v1.0/cdn/domains', { page_number: '1', domain_status: 'on line' }, ctx({ ak: 'AK', sk: 'SK' }));
    expect(r.url).toBe('https://cdn.myhuaweicloud.com/v1.0/cdn/domains?domain_status=on%20line&page_number=1');
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', host: 'cdn.myhuaweicloud.com', 'x-sdk-date': '20251201T000005Z' });
    expect(r.headers).not.toHaveProperty('x-domain-id');
    expect(r.headers).not.toHaveProperty('x-security-token');
    expect(r.headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-sdk-date, Signature=[0-9a-f]{64}$/);
    const g = buildSignedGet({ endpoint: 'http://proxy.test:8080/cdn' }, '/v1.0/cdn/domains', {}, ctx({ ak: 'AK', sk: 'SK', domainId: 'dom', securityToken: 'tok' }));
    expect(g.url).toBe('http://proxy.test:8080/cdn/v1.0/cdn/domains');
    expect(g.headers).toMatchObject({ host: 'proxy.test:8080', 'x-domain-id': 'dom', 'x-security-token': 'tok' });
    expect(g.headers.authorization).toContain('SignedHeaders=content-type;host;x-domain-id;x-sdk-date;x-security-token,');
  });
});

describe('error objects and classification', () => {
  it('the CDN shape, the gateway shape, a bare error object; nothing for other bodies', () => {
    expect(errorObject({ error: { error_code: 'CDN.0202', error_msg: 'Time error.' } })).toEqual({ code: 'CDN.0202', message: 'Time error.' });
    expect(errorObject({ error: { code: 'CDN.0001', message: 'bad' } })).toEqual({ code: 'CDN.0001', message: 'bad' });
    expect(errorObject({ error_code: 'APIGW.0308', error_msg: 'flow', request_id: 'g-1' })).toEqual({ code: 'APIGW.0308', message: 'flow', requestId: 'g-1' });
    expect(errorObject({ error: {} })).toEqual({ code: 'Unknown', message: '' });
    expect(errorObject({ error_code: 5, error_msg: 'm', request_id: 7 })).toEqual({ code: 'Unknown', message: 'm' });
    expect(errorObject({ error_msg: 'only text' })).toEqual({ code: 'Unknown', message: 'only text' });
    expect(errorObject({ error_code: '' , error_msg: 5 })).toEqual({ code: 'Unknown', message: '' });
    for (const b of [undefined, null, 'x', 3, [], { result: {} }, { error: 'x' }, { error: [] }, { request_id: 'r' }]) expect(errorObject(b)).toBeUndefined();
  });
  it('APIG.xxxx is read as APIGW.xxxx; unknown codes fall back to the HTTP status', () => {
    const k = (status: number, body: unknown) => classify(res(body, status), body).kind;
    expect(k(400, { error_code: 'APIG.0301' })).toBe('auth');
    expect(k(400, { error_code: 'APIG.0101' })).toBe('invalid');
    expect(k(500, { error_code: 'APIG.9999' })).toBe('unavailable');
    expect(k(200, { error_code: 'XAPIG.0308' })).toBe('invalid');
    expect(k(403, { error_code: 'APIGW.0302' })).toBe('auth');
    expect(k(403, { error_code: 'APIGW.0303' })).toBe('auth');
    expect(k(403, { error_code: 'APIGW.0305' })).toBe('auth');
    expect(k(400, { error_code: 'CDN.0203' })).toBe('invalid');
    expect(k(403, {})).toBe('auth');
    expect(k(404, {})).toBe('not_found');
    expect(k(499, {})).toBe('invalid');
  });
  it('request id: the header first, else the body; message: the error text, the raw body when not JSON, else empty', () => {
    expect(classify(res({ error_code: 'X', error_msg: 'm', request_id: 'b' }, 400, { 'x-request-id': 'h' }), { error_code: 'X', error_msg: 'm', request_id: 'b' })).toEqual({ kind: 'invalid', vendorCode: 'X', message: 'm', requestId: 'h' });
    expect(classify(res({ error_code: 'X', request_id: 'b' }, 400), { error_code: 'X', request_id: 'b' })).toEqual({ kind: 'invalid', vendorCode: 'X', message: '', requestId: 'b' });
    expect(classify(res('<h1>Bad Gateway</h1>', 502), undefined)).toEqual({ kind: 'unavailable', vendorCode: 'HTTP502', message: '<h1>Bad Gateway</h1>' });
    expect(classify(res({ result: 1 }, 500), { result: 1 })).toEqual({ kind: 'unavailable', vendorCode: 'HTTP500', message: '' });
  });
  it('scrub: long opaque runs (64+ characters) go, shorter ones stay, then the shared scrubber', () => {
    expect(scrub(`sig ${'a'.repeat(64)} end`)).toBe('sig *** end');
    expect(scrub(`sig ${'a'.repeat(63)} end`)).toBe(`sig ${'a'.repeat(63)} end`);
    expect(scrub(`t ${'Ab1+/_=-'.repeat(8)}`)).toBe('t ***');
    expect(scrub('x\n token=abc')).toBe('x token=***');
  });
});

describe('ShowDomainStats answers', () => {
  const ok = (body: unknown, c = call(['a.com']), stats: Parameters<typeof parseStats>[1] = ['bs_flux'], headers: Record<string, string> = { 'x-request-id': 'rid' }) => parseStats(c, stats, res(body, 200, headers));

  it('value i is the bucket at start_time + i × interval, per domain and stat_type, contract names', () => {
    const out = ok({ result: { 'a.com': { bs_flux: [1, '2', 0], bs_http_code_4xx: [4, 5, 6] } } }, call(['a.com']), ['bs_flux', 'bs_http_code_4xx']);
    expect(out.ok && out.samples.map((s) => [s.metric, s.tsSec - T0, s.value, s.intervalSec, s.domain])).toEqual([
      ['traffic_bytes', 0, 1, 300, 'a.com'], ['traffic_bytes', 300, 2, 300, 'a.com'], ['traffic_bytes', 600, 0, 300, 'a.com'],
      ['status_4xx', 0, 4, 300, 'a.com'], ['status_4xx', 300, 5, 300, 'a.com'], ['status_4xx', 600, 6, 300, 'a.com'],
    ]);
  });
  it('values that are not numbers: NaN with the raw JSON', () => {
    const out = ok({ result: { 'a.com': { bs_flux: ['x', null, true] } } });
    expect(out.ok && out.samples.map((s) => [s.value, s.raw])).toEqual([[Number.NaN, '"x"'], [Number.NaN, 'null'], [Number.NaN, 'true']]);
    const good = ok({ result: { 'a.com': { bs_flux: [1, '2', -3] } } });
    expect(good.ok && good.samples.map((s) => Object.hasOwn(s, 'raw'))).toEqual([false, false, false]);
  });
  it('a domain left out: zero for as many buckets as the others hold, or the whole window when none is there', () => {
    const two = ok({ result: { 'a.com': { bs_flux: [7, 8] } } }, call(['a.com', 'b.com'], T0, T0 + 900, T0 + 600));
    expect(two.ok && two.samples.filter((s) => s.domain === 'b.com').map((s) => [s.tsSec - T0, s.value, s.metric])).toEqual([[0, 0, 'traffic_bytes'], [300, 0, 'traffic_bytes']]);
    const none = ok({ result: {} }, call(['a.com', 'b.com']), ['bs_num', 'bs_bw']);
    expect(none.ok && none.samples.map((s) => [s.domain, s.metric, s.tsSec - T0, s.value])).toEqual([
      ['a.com', 'requests', 0, 0], ['a.com', 'requests', 300, 0], ['a.com', 'requests', 600, 0],
      ['a.com', 'bandwidth_bps', 0, 0], ['a.com', 'bandwidth_bps', 300, 0], ['a.com', 'bandwidth_bps', 600, 0],
      ['b.com', 'requests', 0, 0], ['b.com', 'requests', 300, 0], ['b.com', 'requests', 600, 0],
      ['b.com', 'bandwidth_bps', 0, 0], ['b.com', 'bandwidth_bps', 300, 0], ['b.com', 'bandwidth_bps', 600, 0],
    ]);
  });
  it('lists: never longer than the window; shorter only where the buckets are not final yet', () => {
    expect(msg(ok({ result: { 'a.com': { bs_flux: [1, 2, 3, 4] } } }))).toBe('result.a.com.bs_flux holds 4 values for 3 buckets');
    expect(msg(ok({ result: { 'a.com': { bs_flux: [1, 2] } } }))).toBe('result.a.com.bs_flux holds 2 values for 3 buckets; final buckets are missing');
    // The third bucket (T0 + 600) is not final: it may be missing; the second is final and may not.
    expect(ok({ result: { 'a.com': { bs_flux: [1, 2] } } }, call(['a.com'], T0, T0 + 900, T0 + 600)).ok).toBe(true);
    expect(msg(ok({ result: { 'a.com': { bs_flux: [1] } } }, call(['a.com'], T0, T0 + 900, T0 + 600)))).toBe('result.a.com.bs_flux holds 1 values for 3 buckets; final buckets are missing');
    expect(ok({ result: { 'a.com': { bs_flux: [] } } }, call(['a.com'], T0, T0 + 900, T0)).ok).toBe(true);
  });
  it('echoed interval, start_time and end_time must be the asked ones when present', () => {
    const r = { result: { 'a.com': { bs_flux: [1, 2, 3] } } };
    expect(ok({ ...r, interval: 300, start_time: T0 * 1000, end_time: (T0 + 900) * 1000 }).ok).toBe(true);
    expect(ok({ ...r, interval: '300', start_time: String(T0 * 1000) }).ok).toBe(true);
    expect(msg(ok({ ...r, interval: 60 }))).toBe('interval 60 in the answer, 300 asked');
    expect(msg(ok({ ...r, start_time: T0 * 1000 + 1 }))).toBe(`start_time ${T0 * 1000 + 1} in the answer, ${T0 * 1000} asked`);
    expect(msg(ok({ ...r, end_time: (T0 + 600) * 1000 }))).toBe(`end_time ${(T0 + 600) * 1000} in the answer, ${(T0 + 900) * 1000} asked`);
  });
  it('result and its keys: present, an object, asked domains holding asked stat_types as lists', () => {
    expect(msg(ok({}))).toBe('result is missing');
    expect(msg(ok({ result: null }))).toBe('result is null, not an object');
    expect(msg(ok({ result: [] }))).toBe('result is a list, not an object');
    expect(msg(ok({ result: 'x' }))).toBe('result is string, not an object');
    expect(msg(ok({ result: { 'b.com': { bs_flux: [] } } }))).toBe('result holds the domain b.com, which was not asked');
    expect(msg(ok({ result: { bs_flux: [1, 2, 3] } }))).toBe('result holds a merged series (bs_flux), not one per domain');
    expect(msg(ok({ result: { 'a.com': [1] } }))).toBe('result.a.com is not an object');
    expect(msg(ok({ result: { 'a.com': null } }))).toBe('result.a.com is not an object');
    expect(msg(ok({ result: { 'a.com': 5 } }))).toBe('result.a.com is not an object');
    expect(msg(ok({ result: { 'a.com': 'xy' } }))).toBe('result.a.com is not an object');
    expect(msg(ok({ result: { 'a.com': { bs_flux: [1, 2, 3], bs_bw: [1, 2, 3] } } }))).toBe('result.a.com holds bs_bw, which was not asked');
    expect(msg(ok({ result: { 'a.com': {} } }))).toBe('result.a.com.bs_flux is missing');
    expect(msg(ok({ result: { 'a.com': { bs_flux: {} } } }))).toBe('result.a.com.bs_flux is not a list');
  });
  it('not JSON or not an object: malformed with the X-Request-Id; another status is classified', () => {
    expect(ok('<html>', undefined, undefined, { 'x-request-id': 'r-1' })).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'the answer is not JSON (6 bytes)', requestId: 'r-1' } });
    expect(msg(ok('[]'))).toBe('the answer is not a JSON object');
    expect(msg(ok('null'))).toBe('the answer is not a JSON object');
    expect(msg(ok('3'))).toBe('the answer is not a JSON object');
    expect(parseStats(call(['a.com']), ['bs_flux'], res({ error_code: 'APIGW.0308' }, 429))).toMatchObject({ ok: false, error: { kind: 'throttled', vendorCode: 'APIGW.0308' } });
  });
  it('an error object in a 200: known codes classified (with the body request id as fallback), unknown ones malformed', () => {
    expect(ok({ error: { error_code: 'CDN.0203', error_msg: 'Interval error.' } })).toEqual({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0203', message: 'Interval error.', requestId: 'rid' } });
    expect(ok({ error_code: 'APIGW.0308', error_msg: 'x', request_id: 'g' }, undefined, undefined, {})).toEqual({ ok: false, error: { kind: 'throttled', vendorCode: 'APIGW.0308', message: 'x', requestId: 'g' } });
    expect(ok({ error: { error_code: 'CDN.0202' } }, undefined, undefined, {})).toEqual({ ok: false, error: { kind: 'invalid', vendorCode: 'CDN.0202', message: '' } });
    expect(ok({ error: { error_code: 'CDN.7777', error_msg: 'odd' }, request_id: 'g2' }, undefined, undefined, {})).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'an error object in a 200 answer: CDN.7777 odd', requestId: 'g2' } });
  });
});

describe('ListDomains pages', () => {
  const page = (n: number, total: unknown, status = 'online') => res({ total, domains: Array.from({ length: n }, (_, i) => ({ domain_name: `d${i}.com`, domain_status: status })) });

  it('a full page with more to come asks the next; a short page or total reached ends', () => {
    const full = parseDomainsPage(0, page(1000, 2500));
    expect(full.ok && [full.domains.length, full.next]).toEqual([1000, 1]);
    expect(parseDomainsPage(1, page(1000, 2500))).toMatchObject({ ok: true, next: 2 });
    const last = parseDomainsPage(1, page(1000, 2000));
    expect(last.ok && last.next).toBeUndefined();
    const short = parseDomainsPage(0, page(999, 5000));
    expect(short.ok && short.next).toBeUndefined();
    expect(parseDomainsPage(0, page(0, 0))).toEqual({ ok: true, domains: [] });
  });
  it('only online domains are kept', () => {
    expect(parseDomainsPage(0, res({ total: 3, domains: [{ domain_name: 'a.com', domain_status: 'online' }, { domain_name: 'b.com', domain_status: 'offline' }, { domain_name: 'c.com' }] }))).toEqual({ ok: true, domains: ['a.com'] });
  });
  it('what cannot be trusted is malformed; errors are classified', () => {
    const m = (r: HttpResponse) => {
      const o = parseDomainsPage(0, r);
      return o.ok ? 'ok' : [o.error.kind, o.error.vendorCode, o.error.message, o.error.requestId];
    };
    expect(m(res('oops', 200, { 'x-request-id': 'r' }))).toEqual(['malformed', 'Malformed', 'the domain list is not JSON (4 bytes)', 'r']);
    expect(m(res('[]'))).toEqual(['malformed', 'Malformed', 'the domain list is not an object', undefined]);
    expect(m(res('null'))).toEqual(['malformed', 'Malformed', 'the domain list is not an object', undefined]);
    expect(m(res('3'))).toEqual(['malformed', 'Malformed', 'the domain list is not an object', undefined]);
    expect(m(res({ total: 1, domains: [{ domain_name: 5, domain_status: 'online' }] }))).toEqual(['malformed', 'Malformed', 'a domain without domain_name', undefined]);
    expect(m(res({}, 503))).toEqual(['unavailable', 'HTTP503', '', undefined]);
    expect(m(res({ total: 1, domains: {} }))).toEqual(['malformed', 'Malformed', 'domains is not a list', undefined]);
    expect(m(res({ total: -1, domains: [] }))).toEqual(['malformed', 'Malformed', 'total -1 is not a count', undefined]);
    expect(m(res({ total: 1.5, domains: [] }))).toEqual(['malformed', 'Malformed', 'total 1.5 is not a count', undefined]);
    expect(m(res({ total: '3', domains: [] }))).toEqual(['malformed', 'Malformed', 'total "3" is not a count', undefined]);
    expect(m(res({ total: 1, domains: [null] }))).toEqual(['malformed', 'Malformed', 'a domain without domain_name', undefined]);
    expect(m(res({ total: 1, domains: [{ domain_name: '' }] }))).toEqual(['malformed', 'Malformed', 'a domain without domain_name', undefined]);
    expect(m(res({ error_code: 'APIGW.0301', error_msg: 'bad' }, 401, { 'x-request-id': 'r2' }))).toEqual(['auth', 'APIGW.0301', 'bad', 'r2']);
    expect(m(res({ error: { error_code: 'CDN.0000', error_msg: 'internal' } }, 200, { 'x-request-id': 'r3' }))).toEqual(['unavailable', 'CDN.0000', 'internal', 'r3']);
    expect(m(res({ error: { error_code: 'CDN.5555', error_msg: 'odd' } }))).toEqual(['malformed', 'Malformed', 'an error object in a 200 answer: CDN.5555 odd', undefined]);
  });
});
