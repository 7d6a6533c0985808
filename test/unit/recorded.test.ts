/** Recorded answers: the vendors' own doc examples (seeds) and answers shaped after the current models. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHuaweiAdapter, parseTraffic } from '../../src/vendors/huawei/index.js';
import { createTencentAdapter, parseOriginData } from '../../src/vendors/tencent/index.js';

const fixture = (p: string) => ({ status: 200, headers: { 'x-request-id': 'hw-rec' }, body: readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8') });
const t = (iso: string) => Date.parse(iso) / 1000;

// Alibaba's recorded answers: test/unit/aliyun.test.ts.

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
