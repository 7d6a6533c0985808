/**
 * Pins the Alibaba answer reader (src/vendors/aliyun/parse.ts) on the facts of src/vendors/aliyun/README.md
 * and /work/shared/reference/VENDORS.md §A: error kinds by `Code` first and HTTP status second, the
 * request id from the body or the `x-acs-request-id` header, scrubbed one-line messages, UTC times with
 * their zone, values as sent, the containers and row lists of each API, the one-bucket inclusive end,
 * status-code counts and class sums, and DescribeUserDomains paging (stop at a short page or at
 * PageNumber × PageSize >= TotalCount).
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../src/kernel/http.js';
import { classifyAliyun, parseAliyunData, parseUserDomainsPage, parseVendorTime, readValue, scrub } from '../../src/vendors/aliyun/index.js';

const t = (iso: string) => Date.parse(iso) / 1000;
const T0 = '2026-11-20T10:00:00Z';
const T1 = '2026-11-20T10:05:00Z';
const win = (fromSec: number, toSec: number, granularitySec: number) => ({ fromSec, toSec, granularitySec });
const res = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const qps = (body: unknown, w = win(t(T0), t(T0) + 600, 300), headers: Record<string, string> = {}) =>
  parseAliyunData({ api: 'DescribeDomainSrcQpsData', domain: 'example.com', window: w }, res(body, 200, headers));
const qpsBody = (rows: unknown[], extra: Record<string, unknown> = {}) => ({ RequestId: 'R-1', DomainName: 'example.com', DataInterval: '300', SrcQpsDataPerInterval: { DataModule: rows }, ...extra });

describe('classifyAliyun: code first, HTTP status second', () => {
  it('the vendor code, message and request id are carried; known is true for a definite answer', () => {
    expect(classifyAliyun(400, { Code: 'InvalidStartTime.Malformed', Message: 'bad start', RequestId: 'R-9' }, {})).toEqual({
      kind: 'invalid',
      vendorCode: 'InvalidStartTime.Malformed',
      message: 'bad start',
      requestId: 'R-9',
      known: true,
    });
  });
  it('without a body code: HTTP<status>, message "HTTP <status>", request id from x-acs-request-id', () => {
    expect(classifyAliyun(502, undefined, { 'x-acs-request-id': 'H-1' })).toEqual({ kind: 'unavailable', vendorCode: 'HTTP502', message: 'HTTP 502', requestId: 'H-1', known: true });
    expect(classifyAliyun(502, '<html>', {})).toEqual({ kind: 'unavailable', vendorCode: 'HTTP502', message: 'HTTP 502', known: true });
    expect(classifyAliyun(502, null, {})).not.toHaveProperty('requestId');
  });
  it('a code without a message gives an empty message; an empty code counts as none', () => {
    expect(classifyAliyun(400, { Code: 'MissingParameter' }, {})).toMatchObject({ vendorCode: 'MissingParameter', message: '' });
    expect(classifyAliyun(400, { Code: '', Message: 'x' }, {})).toMatchObject({ vendorCode: 'HTTP400', message: 'x', kind: 'invalid', known: false });
    expect(classifyAliyun(400, { Code: 42 }, {})).toMatchObject({ vendorCode: 'HTTP400', message: 'HTTP 400' });
  });
  it('the body request id wins over the header; a non-string one falls back to the header', () => {
    expect(classifyAliyun(400, { Code: 'X', RequestId: 'B' }, { 'x-acs-request-id': 'H' }).requestId).toBe('B');
    expect(classifyAliyun(400, { Code: 'X', RequestId: 7 }, { 'x-acs-request-id': 'H' }).requestId).toBe('H');
  });
  it('throttling is throttled whatever the status (400 or 503 in the docs); 429 too', () => {
    expect(classifyAliyun(503, { Code: 'Throttling' }, {}).kind).toBe('throttled');
    expect(classifyAliyun(200, { Code: 'Throttling.User' }, {}).kind).toBe('throttled');
    expect(classifyAliyun(429, {}, {})).toMatchObject({ kind: 'throttled', known: true });
  });
  it('clock codes before auth codes: a refused timestamp is rebuilt, not a credential problem', () => {
    expect(classifyAliyun(400, { Code: 'InvalidTimeStamp.Expired' }, {}).kind).toBe('clock');
    expect(classifyAliyun(400, { Code: 'SignatureNonceUsed' }, {}).kind).toBe('clock');
    expect(classifyAliyun(400, { Code: 'InvalidAccessKeySecret' }, {}).kind).toBe('auth');
  });
  it('codes are matched from their start only', () => {
    expect(classifyAliyun(400, { Code: 'XSignatureDoesNotMatch' }, {})).toMatchObject({ kind: 'invalid', known: false });
    expect(classifyAliyun(400, { Code: 'NotThrottling' }, {})).toMatchObject({ kind: 'invalid', known: false });
    expect(classifyAliyun(400, { Code: 'MyInternalError' }, {})).toMatchObject({ kind: 'invalid', known: false });
    expect(classifyAliyun(400, { Code: 'XInvalidTimeStamp' }, {})).toMatchObject({ kind: 'invalid', known: false });
    expect(classifyAliyun(400, { Code: 'XInvalidDomain.NotFound' }, {})).toMatchObject({ kind: 'invalid', known: false });
  });
  it('not_found only for InvalidDomain.NotFound / .Offline; other InvalidDomain codes are invalid', () => {
    expect(classifyAliyun(404, { Code: 'InvalidDomain.NotFound' }, {}).kind).toBe('not_found');
    expect(classifyAliyun(404, { Code: 'InvalidDomain.Offline' }, {}).kind).toBe('not_found');
    expect(classifyAliyun(400, { Code: 'InvalidDomainName.ValueNotSupported' }, {})).toMatchObject({ kind: 'invalid', known: true });
  });
  it('an unknown code: 5xx is unavailable (504 timeout), 401 auth, another 4xx invalid and not known', () => {
    expect(classifyAliyun(500, { Code: 'Weird' }, {})).toMatchObject({ kind: 'unavailable', known: true });
    expect(classifyAliyun(504, { Code: 'Weird' }, {})).toMatchObject({ kind: 'timeout', known: true });
    expect(classifyAliyun(499, { Code: 'Weird' }, {})).toMatchObject({ kind: 'invalid', known: false });
    expect(classifyAliyun(401, { Code: 'Weird' }, {})).toMatchObject({ kind: 'auth', known: true });
    expect(classifyAliyun(401, {}, {})).toMatchObject({ kind: 'auth', known: true });
    expect(classifyAliyun(200, { Code: 'Weird' }, {})).toMatchObject({ kind: 'invalid', known: false });
  });
  it('a known code wins over the status: ServiceBusy (403) is unavailable, an Invalid* code on 500 is unavailable', () => {
    expect(classifyAliyun(403, { Code: 'ServiceBusy' }, {}).kind).toBe('unavailable');
    expect(classifyAliyun(500, { Code: 'InvalidParameter' }, {}).kind).toBe('unavailable');
    expect(classifyAliyun(403, { Code: 'Forbidden.RAM' }, {})).toMatchObject({ kind: 'invalid', known: true });
    expect(classifyAliyun(400, { Code: 'UnsupportedOperation' }, {})).toMatchObject({ kind: 'invalid', known: true });
    expect(classifyAliyun(400, { Code: 'IllegalOperation' }, {})).toMatchObject({ kind: 'invalid', known: true });
  });
});

describe('scrub', () => {
  it('drops the echoed string to sign, whatever its case and lines', () => {
    expect(scrub('Specified signature is not matched. Server String To Sign Is GET&%2F&AccessKeyId%3Dx\nmore')).toBe('Specified signature is not matched.');
    expect(scrub('mismatch: server string to sign is:POST&%2F&x')).toBe('mismatch:');
  });
  it.each(['Signature', 'SecurityToken', 'AccessKeyId', 'AccessKeySecret', 'Credential', 'x-acs-security-token', 'authorization'])('%s values become ***', (key) => {
    expect(scrub(`bad ${key}=abc123,next`)).toBe(`bad ${key}=***,next`);
    expect(scrub(`bad ${key.toUpperCase()}: abc123 next`)).toBe(`bad ${key.toUpperCase()}=*** next`);
  });
  it('the value ends at whitespace, comma, ampersand or semicolon', () => {
    expect(scrub('Signature=a&b Credential=c;d')).toBe('Signature=***&b Credential=***;d');
    expect(scrub('Signature = abc')).toBe('Signature=***');
  });
  it('a key must stand as a word', () => {
    expect(scrub('MySignature=abc')).toBe('MySignature=abc');
  });
  it('an ACS3 Authorization value goes whole', () => {
    expect(scrub('got ACS3-HMAC-SHA256 Credential=LTAIx,SignedHeaders=host,Signature=ff00 end')).toBe('got ACS3-HMAC-SHA256 *** end');
    expect(scrub('got ACS3-HMAC-SHA256  x,y end')).toBe('got ACS3-HMAC-SHA256 *** end');
  });
  it('one line, at most 200 characters (199 and an ellipsis)', () => {
    expect(scrub('  a\n\tb  ')).toBe('a b');
    expect(scrub('x'.repeat(200))).toBe('x'.repeat(200));
    expect(scrub('y'.repeat(201))).toBe(`${'y'.repeat(199)}…`);
  });
});

describe('parseVendorTime: UTC with its zone', () => {
  it.each([
    ['2026-11-20T10:00:00Z', t('2026-11-20T10:00:00Z')],
    ['2026-11-20T10:07:09Z', t('2026-11-20T10:07:09Z')],
    ['2026-11-20T10:00:00-05:30', t('2026-11-20T15:30:00Z')],
    ['2026-11-20T10:00:00+05:45', t('2026-11-20T04:15:00Z')],
    ['2026-12-31T23:59:59Z', t('2026-12-31T23:59:59Z')],
    ['2024-02-29T00:00:00Z', t('2024-02-29T00:00:00Z')],
  ] as const)('%s', (v, sec) => expect(parseVendorTime(v)).toBe(sec));

  it.each([
    ['2026-11-20T10:00:60Z', 'TimeStamp 2026-11-20T10:00:60Z is not a calendar time'],
    ['2026-11-20T10:60:00Z', 'TimeStamp 2026-11-20T10:60:00Z is not a calendar time'],
    ['2026-13-01T00:00:00Z', 'TimeStamp 2026-13-01T00:00:00Z is not a calendar time'],
    ['2026-11-31T00:00:00Z', 'TimeStamp 2026-11-31T00:00:00Z is not a calendar time'],
    ['2025-02-29T00:00:00Z', 'TimeStamp 2025-02-29T00:00:00Z is not a calendar time'],
    ['2026-11-20T10:00:00.500', 'TimeStamp 2026-11-20T10:00:00.500 has no zone'],
    ['2026-11-20 10:00', 'TimeStamp 2026-11-20 10:00 has no zone'],
    ['2026-11-20T10:00:00.5Z', 'TimeStamp "2026-11-20T10:00:00.5Z" is not a time'],
    ['x2026-11-20T10:00:00Z', 'TimeStamp "x2026-11-20T10:00:00Z" is not a time'],
    ['2026-11-20T10:00:00Zx', 'TimeStamp "2026-11-20T10:00:00Zx" is not a time'],
    ['2026-11-20T10:00:00+0800', 'TimeStamp "2026-11-20T10:00:00+0800" is not a time'],
    ['2026-11-20T10:00:00 ', 'TimeStamp "2026-11-20T10:00:00 " is not a time'],
    [undefined, 'TimeStamp undefined is not a time'],
    [['2026-11-20T10:00:00Z'], 'TimeStamp ["2026-11-20T10:00:00Z"] is not a time'],
    ['x2026-11-20 10:00:00', 'TimeStamp "x2026-11-20 10:00:00" is not a time'],
    ['0099-01-01T00:00:00Z', 'TimeStamp 0099-01-01T00:00:00Z is not a calendar time'],
    [null, 'TimeStamp null is not a time'],
  ] as const)('%j is refused: %s', (v, why) => expect(parseVendorTime(v)).toBe(why));
});

describe('parseVendorTime: the digit-by-digit reading of YYYY-MM-DDThh:mm:ssZ agrees with the calendar', () => {
  // Oracle independent of the parser: a string is a real UTC time when Date's own ISO form of it is itself.
  const oracle = (v: string) => {
    const ms = Date.parse(v);
    return Number.isFinite(ms) && new Date(ms).toISOString() === v.replace('Z', '.000Z') ? ms / 1000 : undefined;
  };
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  it('every day 29–32 of every month, 1999–2101 (leap years, 2000 and 2100), and the edges of the day', () => {
    let checked = 0;
    for (let y = 1999; y <= 2101; y++) {
      for (let mo = 0; mo <= 13; mo++) {
        for (const d of [0, 1, 28, 29, 30, 31, 32]) {
          for (const time of ['00:00:00', '23:59:59', '24:00:00', '12:60:00', '12:00:60']) {
            const v = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${time}Z`;
            const want = oracle(v);
            const got = parseVendorTime(v);
            if (want === undefined) expect(typeof got, v).toBe('string');
            else expect(got, v).toBe(want);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(103 * 14 * 7 * 5);
  });

  it('a non-digit in any digit position, or another separator, is not read as a time', () => {
    const good = '2026-11-20T10:07:09Z';
    for (let i = 0; i < good.length; i++) {
      for (const c of ['/', ':', 'a', ' ', '-', 'T', 'Z']) {
        if (good[i] === c) continue;
        const v = good.slice(0, i) + c + good.slice(i + 1);
        expect(typeof parseVendorTime(v), v).toBe('string');
      }
    }
    expect(parseVendorTime(good)).toBe(t(good));
  });
});

describe('readValue: numbers and numeric strings as sent, anything else NaN with raw', () => {
  it.each([
    ['12', 12],
    [' 12 ', 12],
    ['-3.5', -3.5],
    ['+7', 7],
    ['.5', 0.5],
    ['.25', 0.25],
    ['2e10', 2e10],
    ['12.25', 12.25],
    ['1e3', 1000],
    ['1.5E+2', 150],
    [0, 0],
    [98765.5, 98765.5],
  ] as const)('%j → %d', (v, n) => expect(readValue(v)).toEqual({ value: n }));

  it.each([
    ['', '""'],
    ['abc', '"abc"'],
    ['1,000', '"1,000"'],
    ['12abc', '"12abc"'],
    ['x12', '"x12"'],
    ['0x10', '"0x10"'],
    [' ', '" "'],
    ['1e999', '"1e999"'],
    ['NaN', '"NaN"'],
    [null, 'null'],
    [undefined, '(absent)'],
    [true, 'true'],
    [['12'], '["12"]'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NaN, 'NaN'],
  ] as const)('%j → NaN, raw %s', (v, raw) => {
    const r = readValue(v);
    expect(Number.isNaN(r.value)).toBe(true);
    expect(r.raw).toBe(raw);
  });
});

describe('parseAliyunData: what makes an answer trusted', () => {
  it('a non-200 answer is classified by code, without the known flag', () => {
    const out = parseAliyunData({ api: 'DescribeDomainSrcQpsData', domain: 'example.com', window: win(0, 600, 300) }, res({ Code: 'Throttling.User', Message: 'flow control', RequestId: 'R-3' }, 400));
    expect(out).toEqual({ ok: false, error: { kind: 'throttled', vendorCode: 'Throttling.User', message: 'flow control', requestId: 'R-3' } });
  });

  it('malformed answers carry the request id of the body, else of the header', () => {
    expect(qps({ ...qpsBody([]), DataInterval: '60' })).toEqual({
      ok: false,
      error: { kind: 'malformed', vendorCode: 'Malformed', message: 'DescribeDomainSrcQpsData: DataInterval "60" where 300 s was asked for', requestId: 'R-1' },
    });
    expect(qps('not json', undefined, { 'x-acs-request-id': 'H-2' })).toEqual({
      ok: false,
      error: { kind: 'malformed', vendorCode: 'Malformed', message: 'DescribeDomainSrcQpsData: the answer is not JSON', requestId: 'H-2' },
    });
    expect(qps('null', undefined, { 'x-acs-request-id': 'H-3' })).toMatchObject({ error: { message: 'DescribeDomainSrcQpsData: the answer is not a JSON object', requestId: 'H-3' } });
    expect(qps('"text"')).toMatchObject({ error: { message: 'DescribeDomainSrcQpsData: the answer is not a JSON object' } });
    const noId = qps('[]');
    expect(noId.ok || 'requestId' in noId.error).toBe(false);
    expect(qps({ ...qpsBody([]), RequestId: 5, DataInterval: '1' }, undefined, { 'x-acs-request-id': 'H-4' })).toMatchObject({ error: { requestId: 'H-4' } });
  });

  it('an error object with HTTP 200: a known code is classified, an unknown one is malformed', () => {
    expect(qps({ Code: 'InvalidDomain.NotFound', Message: 'no such domain', RequestId: 'R-5' })).toEqual({ ok: false, error: { kind: 'not_found', vendorCode: 'InvalidDomain.NotFound', message: 'no such domain', requestId: 'R-5' } });
    expect(qps({ Code: 'Surprise', RequestId: 'R-6' })).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'DescribeDomainSrcQpsData: error object "Surprise" in a 200 answer', requestId: 'R-6' } });
    // Code: null is no error object.
    expect(qps({ ...qpsBody([]), Code: null })).toEqual({ ok: true, samples: [] });
  });

  it('DomainName: absent or null is accepted, any case of the asked one too; another domain or a non-string is not', () => {
    const { DomainName: _d, ...noName } = qpsBody([]);
    expect(qps(noName)).toEqual({ ok: true, samples: [] });
    expect(qps({ ...qpsBody([]), DomainName: null })).toEqual({ ok: true, samples: [] });
    expect(qps({ ...qpsBody([]), DomainName: 'Example.COM' })).toEqual({ ok: true, samples: [] });
    expect(qps({ ...qpsBody([]), DomainName: 'other.com' })).toMatchObject({ ok: false, error: { message: 'DescribeDomainSrcQpsData: the answer is about "other.com", not example.com' } });
    expect(qps({ ...qpsBody([]), DomainName: 7 })).toMatchObject({ ok: false, error: { message: 'DescribeDomainSrcQpsData: the answer is about 7, not example.com' } });
  });

  it('DataInterval may be a string or a number, but must be the asked granularity', () => {
    expect(qps({ ...qpsBody([]), DataInterval: 300 })).toEqual({ ok: true, samples: [] });
    expect(qps({ ...qpsBody([]), DataInterval: 3600 })).toMatchObject({ error: { message: 'DescribeDomainSrcQpsData: DataInterval 3600 where 300 s was asked for' } });
  });

  it('the container and its row list: missing, null, not an object, not a list', () => {
    const m = (b: unknown) => {
      const out = qps(b);
      return out.ok ? 'ok' : out.error.message;
    };
    const base = { DomainName: 'example.com', DataInterval: '300' };
    expect(m(base)).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval is missing');
    expect(m({ ...base, SrcQpsDataPerInterval: null })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval is null');
    expect(m({ ...base, SrcQpsDataPerInterval: [] })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval is not an object');
    expect(m({ ...base, SrcQpsDataPerInterval: 'x' })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval is not an object');
    expect(m({ ...base, SrcQpsDataPerInterval: {} })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval.DataModule is missing');
    expect(m({ ...base, SrcQpsDataPerInterval: { DataModule: null } })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval.DataModule is null');
    expect(m({ ...base, SrcQpsDataPerInterval: { DataModule: {} } })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval.DataModule is not a list');
    // The series APIs' rows are DataModule, never UsageData.
    expect(m({ ...base, SrcQpsDataPerInterval: { UsageData: [] } })).toBe('DescribeDomainSrcQpsData: SrcQpsDataPerInterval.DataModule is missing');
    expect(m({ ...base, SrcQpsDataPerInterval: { DataModule: [null] } })).toBe('DescribeDomainSrcQpsData: a row of SrcQpsDataPerInterval.DataModule is not an object');
    expect(m({ ...base, SrcQpsDataPerInterval: { DataModule: [[]] } })).toBe('DescribeDomainSrcQpsData: a row of SrcQpsDataPerInterval.DataModule is not an object');
  });

  it('SrcTraffic: the current container, else the older SrcFlowDataPerInterval (seed 000); Value and HttpsValue', () => {
    const w = win(t(T0), t(T0) + 600, 300);
    const row = { TimeStamp: T0, Value: '10', HttpsValue: '4' };
    const want = [
      { domain: 'example.com', intervalSec: 300, tsSec: t(T0), metric: 'traffic_bytes', value: 10 },
      { domain: 'example.com', intervalSec: 300, tsSec: t(T0), metric: 'https_traffic_bytes', value: 4 },
    ];
    const traffic = (b: unknown) => parseAliyunData({ api: 'DescribeDomainSrcTrafficData', domain: 'example.com', window: w }, res({ DataInterval: '300', ...(b as object) }));
    expect(traffic({ SrcTrafficDataPerInterval: { DataModule: [row] } })).toEqual({ ok: true, samples: want });
    expect(traffic({ SrcFlowDataPerInterval: { DataModule: [row] } })).toEqual({ ok: true, samples: want });
    expect(traffic({})).toMatchObject({ error: { message: 'DescribeDomainSrcTrafficData: SrcTrafficDataPerInterval is missing' } });
  });

  it('the real-time APIs read their own containers at 60 s', () => {
    const w = win(t(T0), t(T0) + 120, 60);
    const rows = { DataModule: [{ TimeStamp: T0, Value: '5' }] };
    const rt = parseAliyunData({ api: 'DescribeDomainRealTimeSrcTrafficData', domain: 'example.com', window: w }, res({ DataInterval: '60', RealTimeSrcTrafficDataPerInterval: rows }));
    expect(rt).toEqual({ ok: true, samples: [{ domain: 'example.com', intervalSec: 60, tsSec: t(T0), metric: 'traffic_bytes', value: 5 }] });
    const bps = parseAliyunData({ api: 'DescribeDomainRealTimeSrcBpsData', domain: 'example.com', window: w }, res({ DataInterval: '60', RealTimeSrcBpsDataPerInterval: rows }));
    expect(bps).toEqual({ ok: true, samples: [{ domain: 'example.com', intervalSec: 60, tsSec: t(T0), metric: 'bandwidth_bps', value: 5 }] });
  });

  it('rows: a bad time fails the call; a repeated TimeStamp (even written another way) fails it', () => {
    expect(qps(qpsBody([{ TimeStamp: '2026-11-20 10:00:00', Value: '1' }]))).toMatchObject({ error: { message: 'DescribeDomainSrcQpsData: TimeStamp 2026-11-20 10:00:00 has no zone' } });
    expect(qps(qpsBody([{ TimeStamp: T0, Value: '1' }, { TimeStamp: '2026-11-20T18:00:00+08:00', Value: '2' }]))).toMatchObject({
      error: { message: 'DescribeDomainSrcQpsData: TimeStamp 2026-11-20T18:00:00+08:00 appears twice' },
    });
  });

  it('the row at the end is dropped only for a one-bucket window (asked with EndTime = its end)', () => {
    const rows = [{ TimeStamp: T0, Value: '1' }, { TimeStamp: T1, Value: '2' }, { TimeStamp: '2026-11-20T10:10:00Z', Value: '3' }];
    const one = qps(qpsBody(rows), win(t(T0), t(T1), 300));
    expect(one.ok && one.samples.map((s) => [s.tsSec, s.value])).toEqual([[t(T0), 1]]);
    // Longer windows: every row is returned as sent; the core refuses the ones outside the window.
    const two = qps(qpsBody(rows), win(t(T0), t(T0) + 600, 300));
    expect(two.ok && two.samples.map((s) => s.value)).toEqual([1, 2, 3]);
    // Before the window is not "after the end": kept for the core to judge.
    const early = qps(qpsBody([{ TimeStamp: '2026-11-20T09:55:00Z', Value: '9' }, rows[0]]), win(t(T0), t(T1), 300));
    expect(early.ok && early.samples.map((s) => s.value)).toEqual([9, 1]);
    // A repeated row at the end of a one-bucket window is dropped before the repeat check.
    const dup = qps(qpsBody([rows[0], rows[1], rows[1]]), win(t(T0), t(T1), 300));
    expect(dup.ok && dup.samples.map((s) => s.value)).toEqual([1]);
  });
});

describe('status codes (SrcHttpCode: HttpCodeData.UsageData[].Value.CodeProportionData[])', () => {
  const w = win(t(T0), t(T0) + 600, 300);
  const codes = (list: unknown, value?: unknown) =>
    parseAliyunData({ api: 'DescribeDomainSrcHttpCodeData', domain: 'example.com', window: w }, res({ DataInterval: '300', HttpCodeData: { UsageData: [{ TimeStamp: T0, Value: value ?? { CodeProportionData: list } }] } }));
  const byMetric = (out: ReturnType<typeof codes>) => (out.ok ? Object.fromEntries(out.samples.map((s) => [s.metric, s.raw === undefined ? s.value : `${s.value}|${s.raw}`])) : out.error.message);

  it('Count per code (numeric codes too), class sums from the codes; Proportion is never written', () => {
    const out = codes([
      { Code: '200', Count: '10', Proportion: '50' },
      { Code: 206, Count: 5, Proportion: '25' },
      { Code: '404', Count: '4', Proportion: '20' },
      { Code: '503', Count: '1', Proportion: '5' },
    ]);
    expect(byMetric(out)).toEqual({ status_200: 10, status_206: 5, status_404: 4, status_503: 1, status_2xx: 15, status_3xx: 0, status_4xx: 4, status_5xx: 1 });
    expect(out.ok && out.samples.every((s) => s.tsSec === t(T0) && s.intervalSec === 300 && s.domain === 'example.com')).toBe(true);
  });

  it('a 1xx code is written as itself; there is no 1xx class metric in the contract', () => {
    expect(byMetric(codes([{ Code: '101', Count: '2' }, { Code: '200', Count: '3' }]))).toEqual({ status_101: 2, status_200: 3, status_2xx: 3, status_3xx: 0, status_4xx: 0, status_5xx: 0 });
  });

  it('a Count that is not a number: NaN for the code and its class, with every raw value named', () => {
    const out = codes([
      { Code: '500', Count: 'x' },
      { Code: '502', Count: null },
      { Code: '200', Count: '1' },
    ]);
    expect(byMetric(out)).toEqual({ status_500: 'NaN|"x"', status_502: 'NaN|null', status_200: 1, status_2xx: 1, status_3xx: 0, status_4xx: 0, status_5xx: 'NaN|500="x",502=null' });
  });

  it('codes outside 100-599, not three digits, or listed twice fail the call', () => {
    expect(byMetric(codes([{ Code: '600', Count: '1' }]))).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z status code "600" is not an HTTP status code');
    expect(byMetric(codes([{ Code: '099', Count: '1' }]))).toContain('status code "099" is not an HTTP status code');
    expect(byMetric(codes([{ Code: '2000', Count: '1' }]))).toContain('status code "2000" is not an HTTP status code');
    expect(byMetric(codes([{ Code: 'x200', Count: '1' }]))).toContain('status code "x200" is not an HTTP status code');
    expect(byMetric(codes([{ Count: '1' }]))).toContain('status code undefined is not an HTTP status code');
    expect(byMetric(codes([{ Code: ['200'], Count: '1' }]))).toContain('status code ["200"] is not an HTTP status code');
    expect(byMetric(codes([{ Code: '200', Count: '1' }, { Code: 200, Count: '1' }]))).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z status code 200 is listed twice');
    expect(byMetric(codes(['200']))).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z a CodeProportionData entry is not an object');
    expect(byMetric(codes([null]))).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z a CodeProportionData entry is not an object');
  });

  it('Value and its list: missing, null, not an object, not a list', () => {
    const bad = (value: unknown) => byMetric(parseAliyunData({ api: 'DescribeDomainSrcHttpCodeData', domain: 'example.com', window: w }, res({ DataInterval: '300', HttpCodeData: { UsageData: [{ TimeStamp: T0, ...(value === undefined ? {} : { Value: value }) }] } })));
    expect(bad(undefined)).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z Value is missing');
    expect(bad([])).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z Value is not an object');
    expect(bad({})).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z Value.CodeProportionData is missing');
    expect(bad({ CodeProportionData: {} })).toBe('DescribeDomainSrcHttpCodeData: 2026-11-20T10:00:00Z Value.CodeProportionData is not a list');
    // The code APIs' rows are UsageData, never DataModule.
    const dm = parseAliyunData({ api: 'DescribeDomainSrcHttpCodeData', domain: 'example.com', window: w }, res({ DataInterval: '300', HttpCodeData: { DataModule: [] } }));
    expect(dm).toMatchObject({ error: { message: 'DescribeDomainSrcHttpCodeData: HttpCodeData.UsageData is missing' } });
  });

  it('the real-time code API reads RealTimeSrcHttpCodeData and RealTimeSrcCodeProportionData', () => {
    const out = parseAliyunData(
      { api: 'DescribeDomainRealTimeSrcHttpCodeData', domain: 'example.com', window: win(t(T0), t(T0) + 120, 60) },
      res({ DataInterval: '60', RealTimeSrcHttpCodeData: { UsageData: [{ TimeStamp: T0, Value: { RealTimeSrcCodeProportionData: [{ Code: '301', Count: '3', Proportion: '0.5' }] } }] } }),
    );
    expect(byMetric(out)).toEqual({ status_301: 3, status_2xx: 0, status_3xx: 3, status_4xx: 0, status_5xx: 0 });
  });
});

describe('DescribeUserDomains pages', () => {
  const page = (names: string[], total: unknown, extra: Record<string, unknown> = {}) => res({ RequestId: 'R-P', TotalCount: total, Domains: { PageData: names.map((DomainName) => ({ DomainName, DomainStatus: 'online' })) }, ...extra });

  it('a full page with more to come asks the next page; a short page or the last full one ends', () => {
    expect(parseUserDomainsPage(0, 2, page(['a.com', 'b.com'], 5))).toEqual({ ok: true, domains: ['a.com', 'b.com'], next: 1 });
    expect(parseUserDomainsPage(1, 2, page(['c.com', 'd.com'], 5))).toEqual({ ok: true, domains: ['c.com', 'd.com'], next: 2 });
    expect(parseUserDomainsPage(2, 2, page(['e.com'], 5))).toEqual({ ok: true, domains: ['e.com'] });
    // PageNumber × PageSize >= TotalCount: the last page, even when full.
    expect(parseUserDomainsPage(1, 2, page(['c.com', 'd.com'], 4))).toEqual({ ok: true, domains: ['c.com', 'd.com'] });
    expect(parseUserDomainsPage(0, 2, page(['a.com'], 7))).toEqual({ ok: true, domains: ['a.com'] });
    expect(parseUserDomainsPage(0, 2, page([], 0))).toEqual({ ok: true, domains: [] });
    expect(parseUserDomainsPage(0, 2, page(['a.com', 'b.com'], '3'))).toEqual({ ok: true, domains: ['a.com', 'b.com'], next: 1 });
  });

  it('an error answer is classified; an error object in a 200 is classified when known, else malformed', () => {
    expect(parseUserDomainsPage(0, 2, res({ Code: 'InvalidAccessKeyId.NotFound', Message: 'no key', RequestId: 'R-E' }, 404))).toEqual({ ok: false, error: { kind: 'auth', vendorCode: 'InvalidAccessKeyId.NotFound', message: 'no key', requestId: 'R-E' } });
    expect(parseUserDomainsPage(0, 2, res('<html>bad gateway</html>', 502, { 'x-acs-request-id': 'H-9' }))).toEqual({ ok: false, error: { kind: 'unavailable', vendorCode: 'HTTP502', message: 'HTTP 502', requestId: 'H-9' } });
    expect(parseUserDomainsPage(0, 2, res({ Code: 'Throttling.User', RequestId: 'R-T' }))).toMatchObject({ ok: false, error: { kind: 'throttled', requestId: 'R-T' } });
    expect(parseUserDomainsPage(0, 2, res({ Code: 'Odd', RequestId: 'R-O' }))).toEqual({ ok: false, error: { kind: 'malformed', vendorCode: 'Malformed', message: 'DescribeUserDomains: error object "Odd" in a 200 answer', requestId: 'R-O' } });
    expect(parseUserDomainsPage(0, 2, page(['a.com'], 1, { Code: null }))).toEqual({ ok: true, domains: ['a.com'] });
  });

  it('what cannot be trusted is malformed, with the request id when the body has one', () => {
    const bad = (r: HttpResponse) => {
      const out = parseUserDomainsPage(0, 2, r);
      return out.ok ? 'ok' : [out.error.kind, out.error.message, out.error.requestId];
    };
    expect(bad(res('<html>'))).toEqual(['malformed', 'DescribeUserDomains: the answer is not a JSON object', undefined]);
    expect(bad(res('7'))).toEqual(['malformed', 'DescribeUserDomains: the answer is not a JSON object', undefined]);
    expect(bad(res({ RequestId: 'R-1', TotalCount: 1 }))).toEqual(['malformed', 'DescribeUserDomains: Domains.PageData is missing or not a list', 'R-1']);
    expect(bad(res({ RequestId: 'R-1', TotalCount: 1, Domains: null }))).toEqual(['malformed', 'DescribeUserDomains: Domains.PageData is missing or not a list', 'R-1']);
    expect(bad(res({ TotalCount: 1, Domains: { PageData: {} } }))).toEqual(['malformed', 'DescribeUserDomains: Domains.PageData is missing or not a list', undefined]);
    expect(bad(res({ TotalCount: 1, Domains: { PageData: [{ DomainName: '' }] } }))).toEqual(['malformed', 'DescribeUserDomains: a domain without DomainName', undefined]);
    expect(bad(res({ TotalCount: 1, Domains: { PageData: [null] } }))).toEqual(['malformed', 'DescribeUserDomains: a domain without DomainName', undefined]);
    expect(bad(res({ TotalCount: 1, Domains: { PageData: [{ DomainName: 5 }] } }))).toEqual(['malformed', 'DescribeUserDomains: a domain without DomainName', undefined]);
    expect(bad(res({ RequestId: 5, TotalCount: 1 }))).toEqual(['malformed', 'DescribeUserDomains: Domains.PageData is missing or not a list', undefined]);
    expect(bad(page(['a.com'], -1))).toEqual(['malformed', 'DescribeUserDomains: TotalCount -1 is not a count', 'R-P']);
    expect(bad(page(['a.com'], 1.5))).toEqual(['malformed', 'DescribeUserDomains: TotalCount 1.5 is not a count', 'R-P']);
    expect(bad(page(['a.com'], undefined))).toEqual(['malformed', 'DescribeUserDomains: TotalCount undefined is not a count', 'R-P']);
  });
});
