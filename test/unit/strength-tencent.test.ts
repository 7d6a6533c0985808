/**
 * Pins the Tencent DescribeOriginData / DescribeDomains reader (src/vendors/tencent/api.ts) on the facts of
 * src/vendors/tencent/README.md and VENDORS.md §B: metric labels per asked metric, UTC+8 times without a
 * zone, the closed interval floored to the granularity (EndTime = last bucket's start), Detail only for the
 * non-status metrics, error classes by Response.Error.Code then HTTP status, the trusted-answer rules, and
 * DescribeDomains paging (Offset += Limit until Offset >= TotalNumber).
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/kernel/http.js';
import type { CallSpec, StreamSpec } from '../../src/kernel/vendor.js';
import {
  answerMetric,
  classifyCode,
  declaredMetrics,
  domainsBody,
  fromBeijing,
  originDataBody,
  parseDomainsPage,
  parseOriginData,
  responseOf,
  signedPost,
  toBeijing,
} from '../../src/vendors/tencent/api.js';

const res = (body: unknown, status = 200): HttpResponse => ({ status, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) });
const call = (domains: string[], fromSec: number, toSec: number, granularitySec = 300): CallSpec => ({ stream: {} as StreamSpec, domains, window: { fromSec, toSec, granularitySec }, finalBeforeSec: toSec });
const utc = (iso: string) => Date.parse(iso) / 1000;
const FROM = utc('2026-11-30T15:30:00Z'); // 23:30 in UTC+8
const C = call(['a.com', 'b.com'], FROM, FROM + 600);
const answer = (data: unknown, extra: Record<string, unknown> = {}) => res({ Response: { RequestId: 'R-1', Interval: '5min', Data: data, ...extra } });
const series = (resource: unknown, metric: unknown, points: unknown) => ({ Resource: resource, OriginData: [{ Metric: metric, DetailData: points }] });
const msg = (o: ReturnType<typeof parseOriginData>) => (o.ok ? 'ok' : o.error.message);

describe('metric labels', () => {
  it('declared metrics: plain ones map to the contract name; statusCode to the four classes; a class to itself', () => {
    expect(declaredMetrics('flux')).toEqual(['traffic_bytes']);
    expect(declaredMetrics('bandwidth')).toEqual(['bandwidth_bps']);
    expect(declaredMetrics('request')).toEqual(['requests']);
    expect(declaredMetrics('failRequest')).toEqual(['failed_requests']);
    expect(declaredMetrics('failRate')).toEqual(['fail_rate_pct']);
    expect(declaredMetrics('statusCode')).toEqual(['status_2xx', 'status_3xx', 'status_4xx', 'status_5xx']);
    expect(declaredMetrics('4xx')).toEqual(['status_4xx']);
  });
  it.each([
    ['flux', 'flux', 'traffic_bytes'],
    ['flux', 'bandwidth', undefined],
    ['failRate', 'failRate', 'fail_rate_pct'],
    ['statusCode', '2xx', 'status_2xx'],
    ['statusCode', '5xx', 'status_5xx'],
    ['statusCode', '1xx', undefined],
    ['statusCode', '404', undefined],
    ['statusCode', 'x2xx', undefined],
    ['statusCode', '2xxx', undefined],
    ['4xx', '4xx', 'status_4xx'],
    ['4xx', '404', 'status_404'],
    ['4xx', '499', 'status_499'],
    ['4xx', '504', undefined],
    ['4xx', '5xx', undefined],
    ['4xx', '40', undefined],
    ['4xx', '4044', undefined],
    ['4xx', 'x404', undefined],
    ['2xx', '206', 'status_206'],
  ] as const)('an answer for %s labelled %s is %s', (asked, label, metric) => expect(answerMetric(asked, label)).toBe(metric));
});

describe('UTC+8 times', () => {
  it('formats and reads YYYY-MM-DD hh:mm:ss in UTC+8, across the UTC date line', () => {
    expect(toBeijing(FROM)).toBe('2026-11-30 23:30:00');
    expect(toBeijing(utc('2026-11-30T16:00:00Z'))).toBe('2026-12-01 00:00:00');
    expect(fromBeijing('2026-12-01 00:00:00')).toBe(utc('2026-11-30T16:00:00Z'));
    expect(fromBeijing('2018-09-03 00:00:00')).toBe(utc('2018-09-02T16:00:00Z'));
  });
  it.each(['2026-11-30 23:30:00Z', ' 2026-11-30 23:30:00', '2026-11-30  23:30:00', '2026-11-30 23:30:0', '2026-02-29 00:00:00', '2026-11-30 23:60:00'])('refuses %j', (s) => expect(fromBeijing(s)).toBeNaN());
});

describe('the request', () => {
  it('closed interval of bucket starts in UTC+8, Detail for plain metrics only, the area and TimeZone always sent', () => {
    expect(JSON.parse(originDataBody('flux', '5min', 'overseas', C))).toEqual({
      StartTime: '2026-11-30 23:30:00',
      EndTime: '2026-11-30 23:35:00',
      Metric: 'flux',
      Domains: ['a.com', 'b.com'],
      Interval: '5min',
      Detail: true,
      Area: 'overseas',
      TimeZone: 'UTC+08:00',
    });
    for (const m of ['statusCode', '2xx', '3xx', '4xx', '5xx'] as const) expect(JSON.parse(originDataBody(m, 'hour', 'mainland', call(['a.com'], FROM, FROM + 3600, 3600)))).not.toHaveProperty('Detail');
    expect(JSON.parse(originDataBody('request', 'hour', 'mainland', call(['a.com'], FROM, FROM + 7200, 3600))).EndTime).toBe('2026-12-01 00:30:00');
  });
  it('signed POST: host without port, action, version, timestamp in seconds; the STS token sent only when given', () => {
    const r = signedPost('https://cdn.tencentcloudapi.com:8443/x', 'DescribeOriginData', '{}', { nowMs: 1_764_522_130_999, nonce: 'n', credentials: { secretId: 'AKIDx', secretKey: 'k' } });
    expect(r.method).toBe('POST');
    expect(r.url).toBe('https://cdn.tencentcloudapi.com:8443/');
    expect(r.body).toBe('{}');
    expect(r.headers).toMatchObject({ host: 'cdn.tencentcloudapi.com', 'content-type': 'application/json', 'x-tc-action': 'DescribeOriginData', 'x-tc-version': '2018-06-06', 'x-tc-timestamp': '1764522130' });
    expect(r.headers).not.toHaveProperty('x-tc-token');
    expect(r.headers.authorization).toMatch(/^TC3-HMAC-SHA256 Credential=AKIDx\/2025-11-30\/cdn\/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$/);
    const sts = signedPost('https://cdn.tencentcloudapi.com', 'DescribeDomains', '{}', { nowMs: 0, nonce: 'n', credentials: { secretId: 'a', secretKey: 'k', sessionToken: 'tok' } });
    expect(sts.headers['x-tc-token']).toBe('tok');
  });
  it('DescribeDomains: pages of 1000 from the offset, online domains only', () => {
    expect(JSON.parse(domainsBody(2000))).toEqual({ Offset: 2000, Limit: 1000, Filters: [{ Name: 'status', Value: ['online'] }] });
  });
});

describe('error classes', () => {
  it.each([
    ['RequestLimitExceeded', 'throttled'],
    ['RequestLimitExceeded.UinLimitExceeded', 'throttled'],
    ['LimitExceeded.CdnHostOpTooOften', 'throttled'],
    ['LimitExceeded', 'invalid'],
    ['InternalError', 'unavailable'],
    ['InternalError.CdnDbError', 'unavailable'],
    ['ServiceUnavailable', 'unavailable'],
    ['ResourceUnavailable.CdnHostBusy', 'unavailable'],
    ['InvalidParameter.CdnInterfaceError', 'unavailable'],
    ['InvalidParameter.CdnStatInvalidDate', 'invalid'],
    ['XInternalError', 'invalid'],
    ['AuthFailure.SignatureExpire', 'clock'],
    ['AuthFailure.SignatureFailure', 'auth'],
    ['AuthFailure', 'auth'],
    ['UnauthorizedOperation.CdnAccountUnauthorized', 'auth'],
    ['ResourceNotFound.CdnUserNotExists', 'auth'],
    ['ResourceNotFound.CdnHostNotExists', 'not_found'],
    ['ResourceNotFound', 'not_found'],
    ['MissingParameter', 'invalid'],
  ])('%s is %s', (code, kind) => expect(classifyCode(code)).toBe(kind));

  it('Response.Error: classified by its code with the request id, whatever the HTTP status', () => {
    expect(responseOf(res({ Response: { Error: { Code: 'AuthFailure.SecretIdNotFound', Message: 'no such id' }, RequestId: 'R-2' } }, 200))).toEqual({
      ok: false,
      error: { kind: 'auth', vendorCode: 'AuthFailure.SecretIdNotFound', message: 'no such id', requestId: 'R-2' },
    });
    expect(responseOf(res({ Response: { Error: { Code: 'InternalError' } } }, 500))).toEqual({ ok: false, error: { kind: 'unavailable', vendorCode: 'InternalError', message: '' } });
  });
  it('an Error without a (string, non-empty) Code is malformed', () => {
    for (const e of [{}, { Code: '' }, { Code: 5 }, null]) {
      expect(responseOf(res({ Response: { Error: e, RequestId: 'R-3' } }))).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'Response.Error carries no Code', requestId: 'R-3' } });
    }
  });
  it('no Error and not 200: by HTTP status, with the body as the scrubbed message', () => {
    const k = (status: number) => {
      const o = responseOf(res('<h1>x</h1>', status));
      return o.ok ? 'ok' : o.error.kind;
    };
    expect([k(429), k(500), k(503), k(401), k(403), k(400), k(404), k(499)]).toEqual(['throttled', 'unavailable', 'unavailable', 'auth', 'auth', 'invalid', 'invalid', 'invalid']);
    expect(responseOf(res('bad gateway\n token=abc', 502))).toEqual({ ok: false, error: { kind: 'unavailable', vendorCode: 'HTTP502', message: 'bad gateway token=***' } });
    expect(responseOf(res({ Response: { RequestId: 'R-4' } }, 503))).toMatchObject({ ok: false, error: { vendorCode: 'HTTP503', requestId: 'R-4' } });
  });
  it('a 200 that is not JSON, or has no Response object, is malformed', () => {
    expect(responseOf(res('nope'))).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'the answer is not JSON' } });
    for (const b of [{}, { Response: null }, { Response: [] }, { Response: 'x' }, [1], 'null']) {
      expect(responseOf(res(b))).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'the answer has no Response object' } });
    }
    expect(responseOf(res({ Response: { RequestId: 7 } }))).toEqual({ ok: true, r: { RequestId: 7 } });
    expect(responseOf(res({ Response: { RequestId: 'R-5' } }))).toEqual({ ok: true, r: { RequestId: 'R-5' }, requestId: 'R-5' });
  });
});

describe('DescribeOriginData answers', () => {
  const pts = [
    { Time: '2026-11-30 23:30:00', Value: 10 },
    { Time: '2026-11-30 23:35:00', Value: '2.5' },
  ];

  it('one series per asked Resource; times from UTC+8; values as numbers', () => {
    const out = parseOriginData('flux', C, answer([series('a.com', 'flux', pts), series('b.com', 'flux', [{ Time: '2026-11-30 23:30:00', Value: 0 }])]));
    expect(out).toEqual({
      ok: true,
      samples: [
        { domain: 'a.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: FROM, value: 10 },
        { domain: 'a.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: FROM + 300, value: 2.5 },
        { domain: 'b.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: FROM, value: 0 },
      ],
    });
  });

  it('a class answer holds the class and its concrete codes', () => {
    const one = call(['a.com'], FROM, FROM + 300);
    const out = parseOriginData('4xx', one, answer([{ Resource: 'a.com', OriginData: [{ Metric: '4xx', DetailData: [pts[0]] }, { Metric: '404', DetailData: [{ ...pts[0], Value: 3 }] }] }]));
    expect(out.ok && out.samples.map((s) => [s.metric, s.value])).toEqual([['status_4xx', 10], ['status_404', 3]]);
  });

  it('values that are not numbers: NaN with the raw JSON, or "missing"', () => {
    const out = parseOriginData('flux', C, answer([series('a.com', 'flux', [{ Time: '2026-11-30 23:30:00', Value: 'n/a' }, { Time: '2026-11-30 23:35:00' }])]));
    expect(out.ok && out.samples.map((s) => [s.value, s.raw])).toEqual([[Number.NaN, '"n/a"'], [Number.NaN, 'missing']]);
  });

  it('Interval: the documented name or minutes; anything else, or missing, is malformed', () => {
    expect(parseOriginData('flux', C, answer([], { Interval: 5 })).ok).toBe(true);
    expect(parseOriginData('flux', call(['a.com'], FROM, FROM + 3600, 3600), answer([], { Interval: 'hour' })).ok).toBe(true);
    expect(parseOriginData('flux', call(['a.com'], FROM, FROM + 86_400, 86_400), answer([], { Interval: 'day' })).ok).toBe(true);
    expect(parseOriginData('flux', call(['a.com'], FROM, FROM + 120, 60), answer([], { Interval: 'min' })).ok).toBe(true);
    expect(msg(parseOriginData('flux', C, answer([], { Interval: 'hour' })))).toBe('Interval "hour" where 300 s was asked for');
    expect(msg(parseOriginData('flux', C, answer([], { Interval: 60 })))).toBe('Interval 60 where 300 s was asked for');
    expect(msg(parseOriginData('flux', C, answer([], { Interval: undefined })))).toBe('Interval missing where 300 s was asked for');
    expect(msg(parseOriginData('flux', C, answer([], { Interval: null })))).toBe('Interval null where 300 s was asked for');
    expect(msg(parseOriginData('flux', C, answer([], { Interval: '5' })))).toBe('Interval "5" where 300 s was asked for');
    expect(msg(parseOriginData('flux', C, answer([], { Interval: 'toString' })))).toBe('Interval "toString" where 300 s was asked for');
  });

  it('Data: missing, null or not a list is malformed, with the request id', () => {
    const o = parseOriginData('flux', C, res({ Response: { RequestId: 'R-7', Interval: '5min' } }));
    expect(o).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'Response.Data is missing', requestId: 'R-7' } });
    expect(msg(parseOriginData('flux', C, answer(null)))).toBe('Response.Data is null');
    expect(msg(parseOriginData('flux', C, answer({})))).toBe('Response.Data is not a list (object)');
  });

  it('Resource: one of the asked domains, once; merged labels are refused', () => {
    expect(msg(parseOriginData('flux', C, answer([series('all', 'flux', pts)])))).toBe('Resource "all" was not asked for');
    expect(msg(parseOriginData('flux', C, answer([series('multiDomains', 'flux', pts)])))).toBe('Resource "multiDomains" was not asked for');
    expect(msg(parseOriginData('flux', C, answer([{ OriginData: [] }])))).toBe('Resource missing was not asked for');
    expect(msg(parseOriginData('flux', C, answer([null])))).toBe('Resource missing was not asked for');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', pts), series('a.com', 'flux', pts)])))).toBe('Resource a.com appears twice');
  });

  it('OriginData and DetailData must be lists; each Metric label must belong to the asked metric', () => {
    expect(msg(parseOriginData('flux', C, answer([{ Resource: 'a.com' }])))).toBe('OriginData of a.com is missing');
    expect(msg(parseOriginData('flux', C, answer([{ Resource: 'a.com', OriginData: 'x' }])))).toBe('OriginData of a.com is not a list (string)');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', null)])))).toBe('DetailData of a.com flux is null');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'bandwidth', pts)])))).toBe('Metric "bandwidth" in an answer for flux');
    expect(msg(parseOriginData('flux', C, answer([{ Resource: 'a.com', OriginData: [null] }])))).toBe('Metric missing in an answer for flux');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 7, pts)])))).toBe('Metric 7 in an answer for flux');
  });

  it('a Time that is not a UTC+8 YYYY-MM-DD hh:mm:ss is malformed', () => {
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', [{ Time: '2026-11-30T15:30:00Z', Value: 1 }])])))).toBe('Time "2026-11-30T15:30:00Z" is not a UTC+08:00 time');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', [{ Value: 1 }])])))).toBe('Time missing is not a UTC+08:00 time');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', [null])])))).toBe('Time missing is not a UTC+08:00 time');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', [{ Time: 1764516600, Value: 1 }])])))).toBe('Time 1764516600 is not a UTC+08:00 time');
    expect(msg(parseOriginData('flux', C, answer([series('a.com', 'flux', [{ Time: ['2026-11-30 23:30:00'], Value: 1 }])])))).toBe('Time ["2026-11-30 23:30:00"] is not a UTC+08:00 time');
  });
});

describe('DescribeDomains pages', () => {
  const page = (domains: unknown[], total: unknown) => res({ Response: { RequestId: 'R-D', Domains: domains, TotalNumber: total } });

  it('online domains (or without a status); the next offset while Offset + Limit < TotalNumber', () => {
    const ds = [{ Domain: 'a.com', Status: 'online' }, { Domain: 'b.com' }, { Domain: 'c.com', Status: 'offline' }];
    expect(parseDomainsPage(0, page(ds, 2500))).toEqual({ ok: true, domains: ['a.com', 'b.com'], next: 1000 });
    expect(parseDomainsPage(1000, page(ds, 2500))).toEqual({ ok: true, domains: ['a.com', 'b.com'], next: 2000 });
    expect(parseDomainsPage(2000, page(ds, 2500))).toEqual({ ok: true, domains: ['a.com', 'b.com'] });
    expect(parseDomainsPage(0, page(ds, 1000))).toEqual({ ok: true, domains: ['a.com', 'b.com'] });
    expect(parseDomainsPage(0, page(ds, '1001'))).toEqual({ ok: true, domains: ['a.com', 'b.com'], next: 1000 });
    // An empty page ends the walk whatever the total says.
    expect(parseDomainsPage(0, page([], 5000))).toEqual({ ok: true, domains: [] });
  });

  it('a page without its list, total or a domain name is malformed; errors are classified', () => {
    const m = (r: HttpResponse) => {
      const o = parseDomainsPage(0, r);
      return o.ok ? 'ok' : [o.error.kind, o.error.message, o.error.requestId];
    };
    expect(m(res({ Response: { RequestId: 'R-D', TotalNumber: 1 } }))).toEqual(['malformed', 'Response.Domains is missing', 'R-D']);
    expect(m(page([], 'many'))).toEqual(['malformed', 'Response.TotalNumber is not a number', 'R-D']);
    expect(m(page([{ Domain: '' }], 1))).toEqual(['malformed', 'a domain without its Domain name', 'R-D']);
    expect(m(page([null], 1))).toEqual(['malformed', 'a domain without its Domain name', 'R-D']);
    expect(m(page([{ Domain: 5, Status: 'online' }], 1))).toEqual(['malformed', 'a domain without its Domain name', 'R-D']);
    expect(m(res({ Response: { Error: { Code: 'RequestLimitExceeded' }, RequestId: 'R-L' } }))).toEqual(['throttled', '', 'R-L']);
  });
});
