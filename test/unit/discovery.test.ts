import { describe, expect, it } from 'vitest';
import { discoverDomains, type CollectSettings } from '../../src/core/collect.js';
import { createAliyunAdapter } from '../../src/vendors/aliyun/index.js';
import { createTencentAdapter } from '../../src/vendors/tencent/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { TencentEmulator } from '../emulators/tencent.js';
import { ManualClock, inProcessHttp, staticCredentials, testDeps } from '../support/fakes.js';

const settings: CollectSettings = { concurrency: 2, requestTimeoutMs: 1000, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 }, initialLookbackMs: 3600_000 };
const names = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(4, '0')}.example.com`);

describe('domain discovery', () => {
  it('Alibaba: DescribeUserDomains paged by 500, online domains only', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
    const online = names(1201, 'on');
    const emu = new AliyunEmulator({ accounts: { AK: { secret: 's', domains: online, offline: names(7, 'off') } }, now: () => clock.now() });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ aliyun: { accessKeyId: 'AK', accessKeySecret: 's' } }) });
    const a = createAliyunAdapter({ endpoint: 'http://emu', accessKeyId: 'AK', domains: [], apis: ['DescribeDomainSrcTrafficData'], signatureVersion: 'acs3', ratePerSec: {}, realTimeSettleMs: 1, srcTrafficSettleMs: 1 });
    expect(await discoverDomains(deps, settings, a)).toEqual(online);
    expect(emu.calls.map((c) => [c.params.PageNumber, c.params.PageSize, c.params.DomainStatus])).toEqual([['1', '500', 'online'], ['2', '500', 'online'], ['3', '500', 'online']]);
  });

  it('Tencent: DescribeDomains paged by Offset/Limit 1000, online, of this configuration\'s area', async () => {
    const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
    const mainland = names(2100, 'cn');
    const emu = new TencentEmulator({
      accounts: { ID: { secretKey: 'k', domains: [...mainland.map((domain) => ({ domain })), { domain: 'global.example.com', area: 'global' }, { domain: 'abroad.example.com', area: 'overseas' }, { domain: 'closed.example.com', status: 'offline' }] } },
      now: () => clock.now(),
    });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ tencent: { secretId: 'ID', secretKey: 'k' } }) });
    const t = createTencentAdapter({ endpoint: 'https://cdn.tencentcloudapi.com', secretId: 'ID', domains: [], metrics: ['flux'], interval: '5min', area: 'mainland', ratePerSec: 20, settleMs: 600_000 });
    expect(await discoverDomains(deps, settings, t)).toEqual([...mainland, 'global.example.com'].sort());
    expect(emu.calls.map((c) => (c.params as unknown as { Offset: number }).Offset)).toEqual([0, 1000, 2000]);
  });
});
