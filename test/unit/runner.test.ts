import { describe, expect, it } from 'vitest';
import { Runner } from '../../src/core/runner.js';
import { createAliyunAdapter } from '../../src/vendors/aliyun/index.js';
import { createTencentAdapter } from '../../src/vendors/tencent/index.js';
import { ManualClock, inProcessHttp, staticCredentials, testDeps } from '../support/fakes.js';

const settings = { concurrency: 2, requestTimeoutMs: 1000, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 100 }, initialLookbackMs: 3600_000 };

describe('API budget', () => {
  const deps = testDeps({ clock: new ManualClock(0), http: inProcessHttp(() => ({ status: 500, body: {} })), credentials: staticCredentials({}) });

  it('calls per cadence against the limit, per vendor and API; a warning when it cannot keep up', async () => {
    const domains = Array.from({ length: 700 }, (_, i) => `d${i}.example.com`);
    const aliyun = createAliyunAdapter({ endpoint: 'http://x', accessKeyId: 'a', domains, apis: ['DescribeDomainSrcTrafficData', 'DescribeDomainRealTimeSrcBpsData'], signatureVersion: 'acs3', ratePerSec: { DescribeDomainSrcTrafficData: 100, DescribeDomainRealTimeSrcBpsData: 10 }, realTimeSettleMs: 1, srcTrafficSettleMs: 1 });
    const tencent = createTencentAdapter({ endpoint: 'http://x', secretId: 's', domains: domains.slice(0, 60), metrics: ['flux', 'bandwidth', '4xx'], interval: '5min', area: 'mainland', ratePerSec: 20, settleMs: 600_000 });
    const lines = await new Runner(deps, settings, [aliyun, tencent], { discoveryIntervalMs: 1 }).budget();
    expect(lines).toEqual([
      'budget aliyun DescribeDomainSrcTrafficData: 700 domains, DescribeDomainSrcTrafficData 700 calls every 300 s; 700 calls per 300 s against a limit of 30000 (100/s)',
      'budget aliyun DescribeDomainRealTimeSrcBpsData: 700 domains, DescribeDomainRealTimeSrcBpsData 700 calls every 60 s; 700 calls per 60 s against a limit of 600 (10/s)',
      expect.stringMatching(/^warning: aliyun DescribeDomainRealTimeSrcBpsData needs more calls than its limit allows/),
      // Tencent's ten metrics share one limit: 2 + 2 calls (Detail, 30 domains each) + 60 (per domain).
      'budget tencent DescribeOriginData: 60 domains, flux-5min-mainland 2 calls every 300 s, bandwidth-5min-mainland 2 calls every 300 s, 4xx-5min-mainland 60 calls every 300 s; 64 calls per 300 s against a limit of 6000 (20/s)',
    ]);
  });
});
