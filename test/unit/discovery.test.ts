import { describe, expect, it } from 'vitest';
import { discoverDomains } from '../../src/core/discovery.js';
import type { CallSettings } from '../../src/core/call.js';
import { CollectorError } from '../../src/kernel/errors.js';
import { aliyunModule } from '../../src/vendors/aliyun/index.js';
import { huaweiModule } from '../../src/vendors/huawei/index.js';
import { huaweicdnModule } from '../../src/vendors/huaweicdn/index.js';
import { tencentModule } from '../../src/vendors/tencent/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { HuaweiEmulator } from '../emulators/huawei.js';
import { HuaweiCdnEmulator } from '../emulators/huaweicdn.js';
import { TencentEmulator } from '../emulators/tencent.js';
import { ManualClock, inProcessHttp, moduleAccount, moduleSettings, staticCredentials, testDeps } from '../support/fakes.js';

const settings: CallSettings = { requestTimeoutMs: 1000, maxBodyBytes: 8 << 20, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } };
const names = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${String(i).padStart(4, '0')}.example.com`);
const NOW = Date.parse('2026-11-20T10:00:00Z');

describe('domain discovery, paged, per vendor module', () => {
  it('Alibaba: DescribeUserDomains by 500, online domains only', async () => {
    const clock = new ManualClock(NOW);
    const online = names(1201, 'on');
    const emu = new AliyunEmulator({ accounts: { AK: { secret: 's', domains: online, offline: names(7, 'off') } }, now: () => clock.now() });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ aliyun: { default: { accessKeyId: 'AK', accessKeySecret: 's' } } }) });
    const a = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://emu' }), moduleAccount('default', []));
    expect(await discoverDomains(deps, settings, a)).toEqual(online);
    expect(emu.calls.map((c) => [c.params.PageNumber, c.params.PageSize, c.params.DomainStatus])).toEqual([['1', '500', 'online'], ['2', '500', 'online'], ['3', '500', 'online']]);
  });

  it('Tencent: DescribeDomains by Offset/Limit 1000, online ones of the account', async () => {
    const clock = new ManualClock(NOW);
    const mainland = names(2100, 'cn');
    const emu = new TencentEmulator({ accounts: { ID: { secretKey: 'k', domains: [...mainland.map((domain) => ({ domain })), { domain: 'closed.example.com', status: 'offline' }] } }, now: () => clock.now() });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ tencent: { default: { secretId: 'ID', secretKey: 'k' } } }) });
    const t = tencentModule.createAdapter(moduleSettings(tencentModule), moduleAccount('default', []));
    expect(await discoverDomains(deps, settings, t)).toEqual(mainland);
    expect(emu.calls.filter((c) => c.api === 'DescribeDomains').map((c) => (c.params as unknown as { Offset: number }).Offset)).toEqual([0, 1000, 2000]);
  });

  it('Huawei CDN: ListDomains by page_size 1000, online domains only', async () => {
    const clock = new ManualClock(NOW);
    const online = names(1500, 'hw');
    const emu = new HuaweiCdnEmulator({ accounts: { HWAK: { sk: 'sk', domains: [...online.map((domain) => ({ domain })), { domain: 'off.example.com', status: 'offline' as const }] } }, now: () => clock.now() });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ huaweicdn: { default: { ak: 'HWAK', sk: 'sk' } } }) });
    const h = huaweicdnModule.createAdapter(moduleSettings(huaweicdnModule, { endpoint: 'http://cdn.huawei.emu' }), moduleAccount('default', []));
    expect(await discoverDomains(deps, settings, h)).toEqual(online);
    expect(emu.calls.filter((c) => c.api === 'ListDomains').map((c) => [c.params.page_number, c.params.page_size])).toEqual([['1', '1000'], ['2', '1000']]);
  });

  it('Huawei Live: the pull domains that are on', async () => {
    const clock = new ManualClock(NOW);
    const emu = new HuaweiEmulator({ accounts: { LAK: { sk: 'sk', projectId: 'p1', domains: [{ domain: 'b.live.com' }, { domain: 'a.live.com' }, { domain: 'push.live.com', type: 'push' }, { domain: 'off.live.com', status: 'off' }] } }, now: () => clock.now() });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), credentials: staticCredentials({ huawei: { default: { ak: 'LAK', sk: 'sk', projectId: 'p1' } } }) });
    const h = huaweiModule.createAdapter(moduleSettings(huaweiModule, { endpoint: 'http://live.huawei.emu' }), moduleAccount('default', []));
    expect(await discoverDomains(deps, settings, h)).toEqual(['a.live.com', 'b.live.com']);
  });

  it('a configured list is used as is, without a call', async () => {
    const clock = new ManualClock(NOW);
    const http = inProcessHttp(() => ({ status: 500, body: {} }));
    const deps = testDeps({ clock, http, credentials: staticCredentials({}) });
    const a = aliyunModule.createAdapter(moduleSettings(aliyunModule), moduleAccount('default', ['x.example.com']));
    expect(await discoverDomains(deps, settings, a)).toEqual(['x.example.com']);
    expect(http.sent).toHaveLength(0);
  });

  it('a failure is one CollectorError line naming vendor, API and account, after the retries', async () => {
    const clock = new ManualClock(NOW);
    const http = inProcessHttp(() => ({ status: 503, body: { RequestId: 'R9', Code: 'ServiceUnavailable', Message: 'busy' } }));
    const deps = testDeps({ clock, http, credentials: staticCredentials({}) });
    const a = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://emu' }), moduleAccount('prod', []));
    const err = await discoverDomains(deps, settings, a).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CollectorError);
    expect(err).toMatchObject({ kind: 'vendor' });
    expect((err as Error).message).toMatch(/^aliyun DescribeUserDomains: ServiceUnavailable .*account prod/);
    expect(http.sent).toHaveLength(3);
  });
});
