import { describe, expect, it } from 'vitest';
import { runPass, type CollectSettings } from '../../src/core/collect.js';
import { createAliyunAdapter, type AliyunConfig } from '../../src/vendors/aliyun/index.js';
import type { HttpClient } from '../../src/core/collect.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { ManualClock, MemorySink, MemoryStore, inProcessHttp, staticCredentials, testDeps } from '../support/fakes.js';

const AK = 'LTAI-test';
const SK = 'secret-test';
const DOMAINS = ['a.example.com', 'b.example.com', 'c.example.com'];
const START = Date.parse('2026-11-20T10:00:20Z');
const settings: CollectSettings = { concurrency: 4, requestTimeoutMs: 1000, retry: { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5000 }, initialLookbackMs: 3_600_000 };

function cfg(over: Partial<AliyunConfig> = {}): AliyunConfig {
  return {
    endpoint: 'http://cdn.emulator:8080',
    accessKeyId: AK,
    domains: DOMAINS,
    apis: ['DescribeDomainRealTimeSrcTrafficData'],
    signatureVersion: 'acs3',
    ratePerSec: { DescribeDomainRealTimeSrcTrafficData: 10, DescribeDomainSrcTrafficData: 100, DescribeDomainRealTimeSrcBpsData: 10, DescribeUserDomains: 100 },
    realTimeSettleMs: 300_000,
    srcTrafficSettleMs: 900_000,
    ...over,
  };
}

function setup(o: { rateLimits?: Record<string, number>; http?: (emu: AliyunEmulator) => HttpClient } = {}) {
  const clock = new ManualClock(START);
  const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } }, now: () => clock.now(), ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}) });
  const http = o.http ? o.http(emu) : inProcessHttp((r) => emu.handle(r));
  const sink = new MemorySink();
  const store = new MemoryStore();
  const credentials = staticCredentials({ aliyun: { accessKeyId: AK, accessKeySecret: SK } });
  const deps = testDeps({ clock, http, sink, store, credentials });
  return { clock, emu, http, sink, store, deps, credentials };
}

const sec = (iso: string) => Date.parse(iso) / 1000;

describe('a pass of the 1-minute traffic API', () => {
  it('first pass: the initial look-back in windows under an hour, exact served values, checkpoint at the settle horizon', async () => {
    const { deps, emu, sink, store, clock } = setup();
    const adapter = createAliyunAdapter(cfg());
    const stream = adapter.streams[0]!;
    const s = await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    // 60 minutes in windows of at most 59 (the inclusive EndTime must stay within the hour).
    expect(s.calls).toBe(6);
    expect(emu.dataCalls().map((c) => [c.params.StartTime, c.params.EndTime])).toContainEqual(['2026-11-20T09:00:00Z', '2026-11-20T09:59:00Z']);
    expect(sink.points.size).toBe(3 * 60);
    for (const p of sink.points.values()) {
      expect(p.metric).toBe('traffic_bytes');
      expect(p.intervalSec).toBe(60);
      expect(p.value).toBe(emu.servedValue('DescribeDomainRealTimeSrcTrafficData', p.domain, 'Value', p.tsSec, 60, clock.now()));
    }
    const tss = [...sink.points.values()].map((p) => p.tsSec);
    expect(Math.min(...tss)).toBe(sec('2026-11-20T09:00:00Z'));
    expect(Math.max(...tss)).toBe(sec('2026-11-20T09:59:00Z'));
    const state = await store.load('aliyun', adapter.accountKey, stream.id);
    expect(state.get('a.example.com')!.finalEndSec).toBe(sec('2026-11-20T09:54:00Z'));
    expect(state.get('a.example.com')!.tail.size).toBe(6);
  });

  it('re-reads the provisional tail: revised values replace, unchanged ones are not rewritten, settled values end up exact', async () => {
    const { deps, emu, sink, clock } = setup();
    const adapter = createAliyunAdapter(cfg());
    const stream = adapter.streams[0]!;
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    const firstBatchCount = sink.written;
    // Same minute again: everything re-read is unchanged.
    const again = await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    expect(again.written).toBe(0);
    expect(again.unchanged).toBe(3 * 6);
    expect(sink.written).toBe(firstBatchCount);
    // Minutes pass; the vendor revises recent buckets until they settle.
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      const s = await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
      expect(s.written).toBeGreaterThan(0);
      expect(s.calls).toBe(3);
    }
    const settledBefore = Math.floor(clock.now() / 1000) - 360;
    for (const p of sink.points.values()) {
      if (p.tsSec + 60 <= settledBefore) expect(p.value).toBe(emu.finalValue('DescribeDomainRealTimeSrcTrafficData', p.domain, 'Value', p.tsSec, 60));
    }
    // No gap: every minute from the first to the last complete one, for every domain.
    const last = Math.floor(clock.now() / 60_000) * 60 - 60;
    for (const d of DOMAINS) for (let t = sec('2026-11-20T09:00:00Z'); t <= last; t += 60) expect(sink.points.has(`aliyun|${d}|traffic_bytes|60|${t}`)).toBe(true);
  });

  it('a settle time longer than the initial look-back keeps the checkpoint where the pass started', async () => {
    const { deps, sink, store } = setup();
    const adapter = createAliyunAdapter(cfg({ realTimeSettleMs: 3 * 3600_000 }));
    const stream = adapter.streams[0]!;
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    const st = (await store.load('aliyun', adapter.accountKey, stream.id)).get('a.example.com')!;
    expect(st.finalEndSec).toBe(sec('2026-11-20T09:00:00Z'));
    expect(st.tail.size).toBe(60);
    const again = await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    expect(again.windows).toBe(6);
    expect(again.written).toBe(0);
    expect(sink.points.size).toBe(180);
  });

  it('a new process (same state dir) does not rewrite unchanged points', async () => {
    const a = setup();
    const adapter = createAliyunAdapter(cfg());
    await runPass(a.deps, settings, adapter, adapter.streams[0]!, DOMAINS, { kind: 'collect' });
    const sink2 = new MemorySink();
    const deps2 = testDeps({ clock: a.clock, http: a.http, sink: sink2, store: a.store, credentials: a.credentials });
    const s = await runPass(deps2, settings, createAliyunAdapter(cfg()), adapter.streams[0]!, DOMAINS, { kind: 'collect' });
    expect(s.written).toBe(0);
    expect(sink2.written).toBe(0);
  });

  it('the checkpoint does not move when InfluxDB fails; the next pass fills the gap', async () => {
    const { deps, sink, store, clock } = setup();
    const adapter = createAliyunAdapter(cfg());
    const stream = adapter.streams[0]!;
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    const before = (await store.load('aliyun', adapter.accountKey, stream.id)).get('a.example.com')!.finalEndSec;
    clock.advance(30 * 60_000);
    sink.failNext = 1;
    await expect(runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' })).rejects.toThrow(/unreachable/);
    expect((await store.load('aliyun', adapter.accountKey, stream.id)).get('a.example.com')!.finalEndSec).toBe(before);
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    const last = Math.floor(clock.now() / 60_000) * 60 - 60;
    for (let t = sec('2026-11-20T09:00:00Z'); t <= last; t += 60) expect(sink.points.has(`aliyun|b.example.com|traffic_bytes|60|${t}`)).toBe(true);
  });

  it('throttled calls are retried with backoff and paced: nothing is lost', async () => {
    const { deps, sink, emu } = setup({ rateLimits: { DescribeDomainRealTimeSrcTrafficData: 1 } });
    const adapter = createAliyunAdapter(cfg({ ratePerSec: { DescribeDomainRealTimeSrcTrafficData: 5 } }));
    const s = await runPass(deps, settings, adapter, adapter.streams[0]!, DOMAINS, { kind: 'collect' });
    expect(emu.limiter.throttled).toBeGreaterThan(0);
    expect(s.retries).toBe(emu.limiter.throttled);
    expect(sink.points.size).toBe(180);
  });

  it('at the configured limit the pacer keeps the vendor from throttling at all', async () => {
    const { deps, emu, clock } = setup();
    const adapter = createAliyunAdapter(cfg());
    clock.advance(0);
    // One call at a time: the manual clock's sleeps add up instead of overlapping.
    const s = await runPass(deps, { ...settings, concurrency: 1 }, adapter, adapter.streams[0]!, DOMAINS, { kind: 'range', fromSec: sec('2026-11-20T00:00:00Z'), toSec: sec('2026-11-20T09:00:00Z') });
    expect(s.calls).toBe(30); // 9 hours in windows of 59 minutes: 10 per domain
    expect(emu.limiter.throttled).toBe(0);
  });

  it('a permanent error is reported once, in one line with vendor, API, domain, code and RequestId; other domains go on', async () => {
    const { deps, sink } = setup();
    const adapter = createAliyunAdapter(cfg({ domains: [...DOMAINS, 'missing.example.com'] }));
    const stream = adapter.streams[0]!;
    await expect(runPass(deps, settings, adapter, stream, [...DOMAINS, 'missing.example.com'], { kind: 'collect' })).rejects.toThrow(/1 of 4 domains/);
    await expect(runPass(deps, settings, adapter, stream, [...DOMAINS, 'missing.example.com'], { kind: 'collect' })).rejects.toThrow();
    const lines = deps.reports.filter((l) => l.includes('missing.example.com'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aliyun DescribeDomainRealTimeSrcTrafficData missing\.example\.com: InvalidDomain\.NotFound .*\(RequestId EMU-[0-9a-f]+\)$/);
    expect(sink.points.size).toBe(180);
  });

  it('a signature rejection reloads the credentials once, then is reported, never retried in a loop', async () => {
    const clock = new ManualClock(START);
    const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } }, now: () => clock.now() });
    const credentials = staticCredentials({ aliyun: { accessKeyId: AK, accessKeySecret: 'wrong' } });
    const http = inProcessHttp((r) => emu.handle(r));
    const deps = testDeps({ clock, http, credentials });
    const adapter = createAliyunAdapter(cfg({ domains: ['a.example.com'] }));
    await expect(runPass(deps, settings, adapter, adapter.streams[0]!, ['a.example.com'], { kind: 'collect' })).rejects.toThrow();
    expect(credentials.reloads).toBe(1);
    expect(http.sent).toHaveLength(2);
    expect(deps.reports[0]).toMatch(/SignatureDoesNotMatch .*RequestId/);
  });
});

function fixed(body: unknown, status = 200): HttpClient {
  return { send: async () => ({ status, headers: {}, body: JSON.stringify(body) }) };
}

describe('values as served', () => {
  const settings30: CollectSettings = { ...settings, initialLookbackMs: 1_800_000 };
  const win = (dom: Record<string, string>[]) => ({
    RequestId: 'R1',
    DataInterval: '60',
    RealTimeSrcTrafficDataPerInterval: { DataModule: dom },
  });

  it('a value that is not a number is an error for that bucket, never a 0', async () => {
    const { deps, sink } = setup({ http: () => fixed(win([{ TimeStamp: '2026-11-20T09:30:00Z', Value: 'abc' }, { TimeStamp: '2026-11-20T09:31:00Z', Value: '42' }, { TimeStamp: '2026-11-20T09:32:00Z', Value: 'NaN' }])) });
    const adapter = createAliyunAdapter(cfg({ domains: ['a.example.com'] }));
    const s = await runPass(deps, settings30, adapter, adapter.streams[0]!, ['a.example.com'], { kind: 'collect' });
    expect(s.badBuckets).toBe(2);
    expect([...sink.points.values()].map((p) => [p.tsSec, p.value])).toEqual([[sec('2026-11-20T09:31:00Z'), 42]]);
    expect(deps.reports.some((l) => l.includes('"abc" is not a number'))).toBe(true);
  });

  it('duplicates inside one answer collapse to the last; buckets outside the window are dropped', async () => {
    const { deps, sink } = setup({
      http: () =>
        fixed(win([{ TimeStamp: '2026-11-20T09:35:00Z', Value: '1' }, { TimeStamp: '2026-11-20T09:35:00Z', Value: '2' }, { TimeStamp: '2026-11-20T10:00:00Z', Value: '9' }, { TimeStamp: '2026-11-20T09:29:00Z', Value: '9' }])),
    });
    const adapter = createAliyunAdapter(cfg({ domains: ['a.example.com'] }));
    await runPass(deps, settings30, adapter, adapter.streams[0]!, ['a.example.com'], { kind: 'collect' });
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.map((p) => p.value)).toEqual([2]);
  });

  it('an answer at another granularity than asked for is refused, not written', async () => {
    const { deps, sink } = setup({ http: () => fixed({ ...win([{ TimeStamp: '2026-11-20T09:00:00Z', Value: '5' }]), DataInterval: '300' }) });
    const adapter = createAliyunAdapter(cfg({ domains: ['a.example.com'] }));
    await expect(runPass(deps, settings30, adapter, adapter.streams[0]!, ['a.example.com'], { kind: 'collect' })).rejects.toThrow();
    expect(sink.points.size).toBe(0);
    expect(deps.reports[0]).toMatch(/DataInterval 300/);
  });
});

describe('both signature styles against the emulator', () => {
  it.each(['acs3', 'rpc'] as const)('%s with an STS token', async (style) => {
    const clock = new ManualClock(START);
    const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS, securityToken: 'sts-token' } }, now: () => clock.now() });
    const sink = new MemorySink();
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), sink, credentials: staticCredentials({ aliyun: { accessKeyId: AK, accessKeySecret: SK, securityToken: 'sts-token' } }) });
    const adapter = createAliyunAdapter(cfg({ signatureVersion: style, apis: ['DescribeDomainSrcTrafficData'] }));
    const s = await runPass(deps, settings, adapter, adapter.streams[0]!, DOMAINS, { kind: 'collect' });
    expect(s.failedCalls).toBe(0);
    expect([...sink.points.values()].filter((p) => p.metric === 'https_traffic_bytes')).toHaveLength(3 * 12);
  });
});
