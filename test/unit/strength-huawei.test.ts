/**
 * Pins the Huawei Cloud Live reader (src/vendors/huawei/api.ts) on the facts of src/vendors/huawei/README.md
 * and VENDORS.md §C: the v2 / v1 requests (one domain, start on a boundary, end one second before the
 * next, interval=300 on v2), error classes by APIG code then HTTP status (an error object in a 200 is
 * malformed unless it says throttling or credentials), the request id from X-Request-Id, zoned calendar
 * times, play_traffic_bytes values as sent, and ShowDomain discovery (pull domains that are on).
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/kernel/http.js';
import type { CallSpec, StreamSpec } from '../../src/kernel/vendor.js';
import { classifyHuawei, parseDomains, parseTraffic, projectPath, trafficRequest, zonedSeconds } from '../../src/vendors/huawei/api.js';

const utc = (iso: string) => Date.parse(iso) / 1000;
const T0 = utc('2026-11-20T07:00:00Z');
const call = (domains: string[], fromSec = T0, toSec = T0 + 600): CallSpec => ({ stream: {} as StreamSpec, domains, window: { fromSec, toSec, granularitySec: 300 }, finalBeforeSec: toSec });
const res = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const ctx = (credentials: Record<string, string>) => ({ nowMs: Date.parse('2026-11-20T08:00:00.123Z'), nonce: 'n', credentials });
const v2 = (b: unknown, c = call(['p.com']), status = 200, headers: Record<string, string> = {}) => parseTraffic('stats/traffic/detail', c, res(b, status, headers));
const v1 = (b: unknown, c = call(['p.com'])) => parseTraffic('stream/traffic', c, res(b));
const msg = (o: ReturnType<typeof parseTraffic>) => (o.ok ? 'ok' : o.error.message);

describe('requests', () => {
  it('v2: play_domains, interval=300, start on the boundary, end one second before the window end; signed headers', () => {
    const r = trafficRequest('stats/traffic/detail', 'https://live.cn-north-4.myhuaweicloud.com', call(['p.com']), ctx({ ak: 'AK', sk: 'SK', projectId: 'proj 1' }));
    const u = new URL(r.url);
    expect(u.pathname).toBe('/v2/proj%201/stats/traffic/detail');
    expect(u.search).toBe('?end_time=2026-11-20T07%3A09%3A59Z&interval=300&play_domains=p.com&start_time=2026-11-20T07%3A00%3A00Z');
    expect(r.method).toBe('GET');
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', host: 'live.cn-north-4.myhuaweicloud.com', 'x-project-id': 'proj 1', 'x-sdk-date': '20261120T080000Z' });
    expect(r.headers).not.toHaveProperty('x-security-token');
    expect(r.headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/);
  });
  it('v1: domain, both times; an STS token is sent and signed', () => {
    const r = trafficRequest('stream/traffic', 'https://live.myhuaweicloud.com:8443', call(['p.com']), ctx({ ak: 'AK', sk: 'SK', projectId: 'pid', securityToken: 'tok' }));
    const u = new URL(r.url);
    expect(u.pathname).toBe('/v1/pid/stream/traffic');
    expect(u.search).toBe('?domain=p.com&end_time=2026-11-20T07%3A09%3A59Z&start_time=2026-11-20T07%3A00%3A00Z');
    expect(r.headers.host).toBe('live.myhuaweicloud.com:8443');
    expect(r.headers['x-security-token']).toBe('tok');
    expect(r.headers.authorization).toContain('SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,');
  });
  it('several domains would be sent comma-separated (the parser then refuses the merged series)', () => {
    const u = new URL(trafficRequest('stats/traffic/detail', 'https://live.test', call(['a.com', 'b.com']), ctx({ ak: 'AK', sk: 'SK', projectId: 'p' })).url);
    expect(u.searchParams.get('play_domains')).toBe('a.com,b.com');
    const u1 = new URL(trafficRequest('stream/traffic', 'https://live.test', call(['a.com', 'b.com']), ctx({ ak: 'AK', sk: 'SK', projectId: 'p' })).url);
    expect(u1.searchParams.get('domain')).toBe('a.com,b.com');
  });
  it('the project path encodes the project id', () => {
    expect(projectPath('v1', 'a/b', 'domain')).toBe('/v1/a%2Fb/domain');
  });
});

describe('classifyHuawei: APIG code first, HTTP status second', () => {
  it.each<[number, string | undefined, string]>([
    [400, 'APIG.0308', 'throttled'],
    [429, undefined, 'throttled'],
    [400, 'APIGW.0302', 'auth'],
    [400, 'APIG.0303', 'auth'],
    [400, 'APIGW.0304', 'auth'],
    [400, 'APIGW.0305', 'auth'],
    [400, 'APIGW.0310', 'auth'],
    [400, 'APIGW.0309', 'invalid'],
    [400, 'APIGW.0312', 'invalid'],
    [400, 'APIGW.0300', 'invalid'],
    [400, 'APIGW.03011', 'invalid'],
    [400, 'XAPIGW.0301', 'invalid'],
    [500, 'APIGW.0101', 'unavailable'],
    [403, undefined, 'auth'],
    [404, 'LIVE.100011001', 'not_found'],
    [400, undefined, 'invalid'],
    [499, undefined, 'invalid'],
    [200, 'LIVE.100011001', 'invalid'],
  ])('HTTP %i %s is %s', (status, code, kind) => expect(classifyHuawei(status, code)).toBe(kind));
});

describe('error answers', () => {
  it('an error object: by its code, message from error_msg, request id from X-Request-Id', () => {
    expect(v2({ error_code: 'LIVE.100011001', error_msg: 'bad param' }, undefined, 400, { 'x-request-id': 'rq' })).toEqual({
      ok: false,
      error: { kind: 'invalid', vendorCode: 'LIVE.100011001', message: 'bad param', requestId: 'rq' },
    });
  });
  it('the nested {error: {code, message}} and {error: {error_code, error_msg}} shapes too; request_id in the body as a fallback', () => {
    expect(v2({ error: { code: 'APIGW.0301', message: 'Incorrect IAM authentication information' }, request_id: 'b-1' }, undefined, 401)).toEqual({
      ok: false,
      error: { kind: 'auth', vendorCode: 'APIGW.0301', message: 'Incorrect IAM authentication information', requestId: 'b-1' },
    });
    expect(v2({ error: { error_code: 'APIGW.0308', error_msg: 'throttled' } }, undefined, 429)).toEqual({ ok: false, error: { kind: 'throttled', vendorCode: 'APIGW.0308', message: 'throttled' } });
    expect(v2({ error_code: 'X', request_id: 'b-2' }, undefined, 400, { 'x-request-id': 'h-2' })).toMatchObject({ error: { requestId: 'h-2', message: '' } });
    expect(v2({ error_code: 'X', request_id: 5 }, undefined, 400)).toEqual({ ok: false, error: { kind: 'invalid', vendorCode: 'X', message: '' } });
  });
  it('an error object in a 200 is malformed under its own code, unless throttling or credentials', () => {
    expect(v2({ error_code: 'LIVE.100011009', error_msg: 'internal' })).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'LIVE.100011009', message: 'internal' } });
    expect(v2({ error_code: 'APIGW.0308' })).toMatchObject({ ok: false, error: { kind: 'throttled' } });
    expect(v2({ error_code: 'APIGW.0301' })).toMatchObject({ ok: false, error: { kind: 'auth' } });
  });
  it('an empty or non-string code is no code: a 200 is then read as an answer, another status by the status', () => {
    expect(v2({ error_code: '', data_list: [] })).toEqual({ ok: true, samples: [] });
    expect(v2({ error_code: 5, data_list: [] })).toEqual({ ok: true, samples: [] });
    expect(v2('<html>gateway</html>', undefined, 502)).toEqual({ ok: false, error: { kind: 'unavailable', vendorCode: 'HTTP502', message: '<html>gateway</html>' } });
    expect(v2([], undefined, 404)).toMatchObject({ ok: false, error: { kind: 'not_found', vendorCode: 'HTTP404' } });
  });
});

describe('traffic answers', () => {
  it('v2 data_list value/time and v1 traffic_info traffic/timestamp → play_traffic_bytes at 300 s', () => {
    const want = [
      { domain: 'p.com', metric: 'play_traffic_bytes', intervalSec: 300, tsSec: T0, value: 5_242_880 },
      { domain: 'p.com', metric: 'play_traffic_bytes', intervalSec: 300, tsSec: T0 + 300, value: 0 },
    ];
    expect(v2({ data_list: [{ value: 5_242_880, time: '2026-11-20T07:00:00Z' }, { value: '0', time: '2026-11-20T07:05:00Z' }] })).toEqual({ ok: true, samples: want });
    expect(v1({ traffic_info: [{ traffic: 5_242_880, timestamp: '2026-11-20T07:00:00Z' }, { traffic: 0, timestamp: '2026-11-20T15:05:00+08:00' }] })).toEqual({ ok: true, samples: want });
    // Each API reads its own keys only.
    expect(msg(v1({ data_list: [] }))).toBe('traffic_info is missing');
    expect(msg(v2({ data_list: [{ traffic: 1, timestamp: '2026-11-20T07:00:00Z' }] }))).toBe('time missing is not a time with its zone');
  });
  it('values that are not numbers: NaN with the raw JSON, or "missing"', () => {
    const out = v2({ data_list: [{ value: 'x', time: '2026-11-20T07:00:00Z' }, { time: '2026-11-20T07:05:00Z' }] });
    expect(out.ok && out.samples.map((s) => [s.value, s.raw])).toEqual([[Number.NaN, '"x"'], [Number.NaN, 'missing']]);
  });
  it('what cannot be trusted is malformed, with the X-Request-Id', () => {
    expect(v2('nope', undefined, 200, { 'x-request-id': 'rq' })).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'the answer is not JSON', requestId: 'rq' } });
    expect(msg(v2('null'))).toBe('the answer is not a JSON object');
    expect(msg(v2([]))).toBe('the answer is not a JSON object');
    expect(msg(v2('3'))).toBe('the answer is not a JSON object');
    expect(msg(v2({}))).toBe('data_list is missing');
    expect(msg(v2({ data_list: null }))).toBe('data_list is null');
    expect(msg(v2({ data_list: {} }))).toBe('data_list is not a list (object)');
    expect(msg(v2({ data_list: [] }, call(['a.com', 'b.com'])))).toBe('2 domains in one call; their series would be merged');
    expect(msg(v2({ data_list: [] }, call([])))).toBe('0 domains in one call; their series would be merged');
    expect(msg(v2({ data_list: [null] }))).toBe('time missing is not a time with its zone');
    expect(msg(v2({ data_list: [{ value: 1, time: 1763622000 }] }))).toBe('time 1763622000 is not a time with its zone');
    expect(msg(v2({ data_list: [{ value: 1, time: ['2026-11-20T07:00:00Z'] }] }))).toBe('time ["2026-11-20T07:00:00Z"] is not a time with its zone');
    expect(msg(v2({ data_list: [{ value: 1, time: '2026-11-20T07:00:00' }] }))).toBe('time "2026-11-20T07:00:00" is not a time with its zone');
  });
});

describe('zonedSeconds', () => {
  it.each([
    ['2026-11-20T07:00:00.250Z', utc('2026-11-20T07:00:00.250Z')],
    ['2026-11-20T07:00:00-03:30', utc('2026-11-20T10:30:00Z')],
    ['2024-02-29T23:59:59Z', utc('2024-02-29T23:59:59Z')],
  ])('%s', (s, want) => expect(zonedSeconds(s)).toBe(want));
  it.each(['2026-11-20T07:60:00Z', '2026-11-20T07:00:60Z', '2026-13-01T00:00:00Z', '2026-04-31T00:00:00Z', '2025-02-29T00:00:00Z', '2026-11-20T07:00:00.1234Z', 'x2026-11-20T07:00:00Z', '2026-11-20T07:00:00Zx', '2026-11-20T07:00:00+0800'])('%s is refused', (s) => expect(zonedSeconds(s)).toBeNaN());
});

describe('ShowDomain discovery', () => {
  it('pull domains that are on; push domains and domains off are left out', () => {
    const body = { domain_info: [
      { domain: 'play.com', domain_type: 'pull', status: 'on' },
      { domain: 'push.com', domain_type: 'push', status: 'on' },
      { domain: 'off.com', domain_type: 'pull', status: 'off' },
      { domain: 'cfg.com', domain_type: 'pull', status: 'configuring' },
    ] };
    expect(parseDomains(res(body))).toEqual({ ok: true, domains: ['play.com'] });
  });
  it('errors and what cannot be trusted', () => {
    expect(parseDomains(res({ error_code: 'APIGW.0301', error_msg: 'bad key' }, 401, { 'x-request-id': 'r' }))).toEqual({ ok: false, error: { kind: 'auth', vendorCode: 'APIGW.0301', message: 'bad key', requestId: 'r' } });
    expect(parseDomains(res('x', 200, { 'x-request-id': 'r' }))).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'the answer is not JSON', requestId: 'r' } });
    const m = (b: unknown) => {
      const o = parseDomains(res(b));
      return o.ok ? 'ok' : o.error.message;
    };
    expect(m('null')).toBe('domain_info is missing');
    expect(m({})).toBe('domain_info is missing');
    expect(m({ domain_info: null })).toBe('domain_info is null');
    expect(m({ domain_info: 'x' })).toBe('domain_info is not a list (string)');
    expect(m({ domain_info: [{ domain: '', domain_type: 'pull', status: 'on' }] })).toBe('a domain without its name');
    expect(m({ domain_info: [null] })).toBe('a domain without its name');
    expect(m({ domain_info: [{ domain: 5, domain_type: 'pull', status: 'on' }] })).toBe('a domain without its name');
  });
});
