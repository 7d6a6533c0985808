/** Recorded answers: the vendors' own doc examples (seeds) and answers shaped after the current models. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyAliyun, createAliyunAdapter, parseAliyunData } from '../../src/vendors/aliyun/index.js';

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
// Tencent and Huawei Live recorded answers: test/unit/tencent.test.ts and test/unit/huawei.test.ts.
