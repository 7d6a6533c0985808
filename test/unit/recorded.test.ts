/** Recorded answers: the vendors' own doc examples (seeds) and answers shaped after the current models. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyAliyun, createAliyunAdapter, parseAliyunData } from '../../src/vendors/aliyun/index.js';
import { createHuaweiAdapter, parseTraffic } from '../../src/vendors/huawei/index.js';
import { createTencentAdapter, parseOriginData } from '../../src/vendors/tencent/index.js';

const fixture = (p: string) => ({ status: 200, headers: { 'x-request-id': 'hw-rec' }, body: readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8') });
const t = (iso: string) => Date.parse(iso) / 1000;

describe('Alibaba', () => {
  it('seed 000 (older SrcFlowDataPerInterval key), bytes per 300 s bucket', () => {
    const out = parseAliyunData('DescribeDomainSrcTrafficData', 'example.com', 300, fixture('aliyun/src-traffic.seed000.json'));
    expect(out).toEqual({
      ok: true,
      badBuckets: [],
      samples: [
        { domain: 'example.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2015-12-10T21:00:00Z'), value: 0 },
        { domain: 'example.com', metric: 'https_traffic_bytes', intervalSec: 300, tsSec: t('2015-12-10T21:00:00Z'), value: 0 },
        { domain: 'example.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2015-12-10T20:35:00Z'), value: 0 },
        { domain: 'example.com', metric: 'https_traffic_bytes', intervalSec: 300, tsSec: t('2015-12-10T20:35:00Z'), value: 0 },
      ],
    });
  });
  it('current model: numbers as strings or numbers; a value that is not a number is a bad bucket', () => {
    const out = parseAliyunData('DescribeDomainSrcTrafficData', 'example.com', 300, fixture('aliyun/src-traffic.current.json'));
    expect(out.ok && out.samples.map((s) => [s.metric, s.value])).toEqual([['traffic_bytes', 1234567890123], ['https_traffic_bytes', 423], ['traffic_bytes', 98765.5], ['https_traffic_bytes', 0]]);
    expect(out.ok && out.badBuckets).toEqual(['2026-11-20T10:10:00Z Value "-" is not a number', '2026-11-20T10:10:00Z HttpsValue "" is not a number']);
  });
  it('seeds 001 and 002: 1-minute traffic (bytes) and bandwidth (bit/s)', () => {
    const tr = parseAliyunData('DescribeDomainRealTimeSrcTrafficData', 'example.com', 60, fixture('aliyun/realtime-src-traffic.seed001.json'));
    expect(tr.ok && tr.samples.map((s) => [s.metric, s.intervalSec, s.tsSec, s.value])).toEqual([['traffic_bytes', 60, t('2019-12-10T20:00:00Z'), 0], ['traffic_bytes', 60, t('2019-12-10T20:01:00Z'), 0]]);
    const bps = parseAliyunData('DescribeDomainRealTimeSrcBpsData', 'example.com', 60, fixture('aliyun/realtime-src-bps.seed002.json'));
    expect(bps.ok && bps.samples[0]).toEqual({ domain: 'example.com', metric: 'bandwidth_bps', intervalSec: 60, tsSec: t('2015-12-10T20:00:00Z'), value: 821 });
  });
  it.each([
    [400, 'Throttling.User', 'throttled'],
    [503, 'Throttling', 'throttled'],
    [503, 'ServiceUnavailable', 'unavailable'],
    [500, 'InternalError', 'unavailable'],
    [403, 'ServiceBusy', 'unavailable'],
    [400, 'SignatureDoesNotMatch', 'auth'],
    [404, 'InvalidAccessKeyId.NotFound', 'auth'],
    [400, 'InvalidSecurityToken.Expired', 'auth'],
    [400, 'InvalidTimeStamp.Expired', 'clock'],
    [400, 'SignatureNonceUsed', 'clock'],
    [400, 'InvalidStartTime.Malformed', 'invalid'],
    [400, 'InvalidStartTime.ValueNotSupported', 'invalid'],
    [403, 'Forbidden.RAM', 'invalid'],
    [403, 'OperationDenied', 'invalid'],
    [404, 'InvalidDomain.NotFound', 'not_found'],
    [404, 'InvalidDomain.Offline', 'not_found'],
    [502, undefined, 'unavailable'],
  ])('HTTP %i %s is %s', (status, code, kind) => {
    const e = classifyAliyun(status, code ? { Code: code, Message: 'm', RequestId: 'R-1' } : undefined, {});
    expect(e.kind).toBe(kind);
    if (code) expect(e).toMatchObject({ vendorCode: code, requestId: 'R-1' });
  });
  it('adapters build for every stream', () => {
    const a = createAliyunAdapter({ endpoint: 'https://cdn.aliyuncs.com', accessKeyId: 'x', domains: [], apis: ['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'], signatureVersion: 'acs3', ratePerSec: {}, realTimeSettleMs: 1, srcTrafficSettleMs: 1 });
    expect(a.streams.map((s) => [s.id, s.cadenceSec, s.rules.tiers[0].granularitySec])).toEqual([['DescribeDomainSrcTrafficData', 300, 300], ['DescribeDomainRealTimeSrcTrafficData', 60, 60], ['DescribeDomainRealTimeSrcBpsData', 60, 60]]);
  });
});

describe('Tencent', () => {
  const a = createTencentAdapter({ endpoint: 'https://cdn.tencentcloudapi.com', secretId: 'x', domains: [], metrics: ['flux', '4xx'], interval: '5min', area: 'mainland', ratePerSec: 20, settleMs: 600_000 });
  it('seed 003 (Interval given as minutes), Beijing times to UTC', () => {
    const out = parseOriginData({ stream: a.streams[0]!, domains: ['www.test.com'], window: { fromSec: 0, toSec: 0, granularitySec: 300 } }, fixture('tencent/origin-data.seed003.json'));
    expect(out.ok && out.samples).toEqual([
      { domain: 'www.test.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2018-09-02T16:00:00Z'), value: 10 },
      { domain: 'www.test.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2018-09-02T16:05:00Z'), value: 20 },
    ]);
  });
  it('a class and its codes across midnight Beijing time', () => {
    const out = parseOriginData({ stream: a.streams[1]!, domains: ['a.example.com'], window: { fromSec: 0, toSec: 0, granularitySec: 300 } }, fixture('tencent/origin-data.multi.json'));
    expect(out.ok && out.samples.map((s) => [s.metric, new Date(s.tsSec * 1000).toISOString(), s.value])).toEqual([
      ['status_4xx', '2026-11-20T16:00:00.000Z', 12], ['status_4xx', '2026-11-20T16:05:00.000Z', 7],
      ['status_403', '2026-11-20T16:00:00.000Z', 2], ['status_403', '2026-11-20T16:05:00.000Z', 0],
      ['status_404', '2026-11-20T16:00:00.000Z', 10], ['status_404', '2026-11-20T16:05:00.000Z', 7],
    ]);
  });
  it('an answer at another interval than asked is refused', () => {
    const out = parseOriginData({ stream: a.streams[0]!, domains: ['www.test.com'], window: { fromSec: 0, toSec: 0, granularitySec: 3600 } }, fixture('tencent/origin-data.seed003.json'));
    expect(out).toMatchObject({ ok: false, error: { kind: 'response', message: 'Interval 5 where 3600 s was asked for' } });
  });
});

describe('Huawei', () => {
  const a = createHuaweiAdapter({ endpoint: 'https://live.cn-north-4.myhuaweicloud.com', ak: 'x', projectId: 'p', domains: [], apis: ['stats/traffic/detail', 'stream/traffic'], ratePerSec: 10, settleMs: 1 });
  it('seed 004 legacy traffic_info and the v2 data_list', () => {
    const call = { stream: a.streams[0]!, domains: ['play.example.com'], window: { fromSec: 0, toSec: 0, granularitySec: 300 } };
    expect(parseTraffic('stream/traffic', call, fixture('huawei/stream-traffic.seed004.json'))).toEqual({ ok: true, badBuckets: [], samples: [{ domain: 'play.example.com', metric: 'traffic_bytes', intervalSec: 300, tsSec: t('2018-05-19T21:10:00Z'), value: 1024 }] });
    const v2 = parseTraffic('stats/traffic/detail', call, fixture('huawei/traffic-detail.v2.json'));
    expect(v2.ok && v2.samples.map((s) => [s.tsSec, s.value])).toEqual([[t('2020-06-04T07:00:00Z'), 5242880], [t('2020-06-04T07:05:00Z'), 0]]);
  });
});
