/** One pass of one stream (core/pass.ts) against the in-process vendor emulators. */
import { describe, expect, it } from 'vitest';
import { PassFailed, runPass, type PassSettings } from '../../src/core/pass.js';
import { CollectorError } from '../../src/kernel/errors.js';
import { tailKey } from '../../src/core/validate.js';
import type { VendorAdapter, VendorModule } from '../../src/kernel/vendor.js';
import type { HttpClient, StreamRef } from '../../src/ports.js';
import { aliyunModule } from '../../src/vendors/aliyun/index.js';
import { huaweicdnModule } from '../../src/vendors/huaweicdn/index.js';
import { tencentModule } from '../../src/vendors/tencent/index.js';
import { AliyunEmulator, type AliyunFault } from '../emulators/aliyun.js';
import { HuaweiCdnEmulator } from '../emulators/huaweicdn.js';
import { TencentEmulator } from '../emulators/tencent.js';
import { ManualClock, MemorySink, MemoryStore, inProcessHttp, moduleAccount, moduleSettings, pointId, staticCredentials, testDeps } from '../support/fakes.js';

const AK = 'LTAI-test';
const SK = 'secret-test';
const API = 'DescribeDomainRealTimeSrcTrafficData';
const DOMAINS = ['a.example.com', 'b.example.com', 'c.example.com'];
const START = Date.parse('2026-11-20T10:00:20Z');
const T = (iso: string) => Date.parse(iso) / 1000;
const H = (hm: string) => T(`2026-11-20T${hm}:00Z`);
const settings: PassSettings = { concurrency: 4, requestTimeoutMs: 1000, maxBodyBytes: 1 << 20, retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5000 }, initialLookbackMs: 3_600_000, giveUpAfterMs: 3_600_000, recoverFromInflux: false };

function aliyun(o: { rateLimits?: Record<string, number>; ratePerSec?: Record<string, number>; domains?: string[]; http?: (emu: AliyunEmulator) => HttpClient & { sent: unknown[] }; secret?: string; apis?: string[] } = {}) {
  const clock = new ManualClock(START);
  const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: DOMAINS } }, now: () => clock.now(), ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}) });
  const http = o.http ? o.http(emu) : inProcessHttp((r) => emu.handle(r));
  const sink = new MemorySink();
  const store = new MemoryStore();
  const credentials = staticCredentials({ aliyun: { default: { accessKeyId: AK, accessKeySecret: o.secret ?? SK } } });
  const deps = testDeps({ clock, http, sink, store, credentials });
  const adapter = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://cdn.emulator:8080', apis: o.apis ?? [API], ...(o.ratePerSec ? { ratePerSec: { ...(moduleSettings(aliyunModule).ratePerSec as object), ...o.ratePerSec } } : {}) }), moduleAccount('default', o.domains ?? DOMAINS));
  const stream = adapter.streams[0]!;
  const ref: StreamRef = { module: 'aliyun', account: 'default', stream: stream.id };
  const pass = (s: PassSettings = settings, domains = o.domains ?? DOMAINS) => runPass(deps, s, adapter, stream, domains, { kind: 'collect' });
  return { clock, emu, http, sink, store, deps, credentials, adapter, stream, ref, pass };
}

const calls = (emu: AliyunEmulator, domain?: string) => emu.calls.filter((c) => c.api !== 'DescribeUserDomains' && (!domain || c.domains.includes(domain)));
const failedWith = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PassFailed);
  return err as PassFailed;
};

describe('a pass of the 1-minute traffic API', () => {
  it('first pass: the initial look-back in one call per domain, exact served values, checkpoint at the settle horizon', async () => {
    const { pass, emu, sink, store, ref, clock } = aliyun();
    const s = await pass();
    // 60 minutes: one call (EndTime is inclusive, so [09:00, 10:00) is asked as 09:00–09:59).
    expect(s).toMatchObject({ calls: 3, windows: 3, written: 180, unchanged: 0, failedCalls: 0, retries: 0, owed: 0, gaps: 0, domains: 3 });
    expect(calls(emu).map((c) => [c.domains, c.params.StartTime, c.params.EndTime])).toContainEqual([['a.example.com'], '2026-11-20T09:00:00Z', '2026-11-20T09:59:00Z']);
    expect(sink.points.size).toBe(180);
    for (const p of sink.points.values()) {
      expect(p).toMatchObject({ vendor: 'aliyun', account: 'default', metric: 'traffic_bytes', intervalSec: 60 });
      expect(p.area).toBeUndefined();
      expect(p.value).toBe(emu.servedValue(API, p.domain, 'Value', p.tsSec, 60, clock.now(), AK));
    }
    const tss = [...sink.points.values()].map((p) => p.tsSec);
    expect([Math.min(...tss), Math.max(...tss)]).toEqual([H('09:00'), H('09:59')]);
    const st = store.domain(ref, 'a.example.com')!;
    expect(st.finalEndSec).toBe(H('09:54'));
    expect([...st.tail.keys()]).toEqual(['54', '55', '56', '57', '58', '59'].map((m) => tailKey('traffic_bytes', 60, H(`09:${m}`))));
    expect(st.owed.size + st.owedWindows.length).toBe(0);
  });

  it('re-reads the provisional tail: revised values replace, unchanged ones are not rewritten, settled values end up exact', async () => {
    const { pass, emu, sink, clock } = aliyun();
    await pass();
    const sent = sink.sent;
    const again = await pass();
    expect(again).toMatchObject({ written: 0, unchanged: 18, calls: 3 });
    expect(sink.sent).toBe(sent);
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      const before = new Map([...sink.points].map(([k, p]) => [k, p.value]));
      const s = await pass();
      expect(s.calls).toBe(3);
      // Only what is new or was revised is written.
      const batch = sink.batches.at(-1)!;
      expect(batch.length).toBe(s.written);
      for (const p of batch) expect(before.get(pointId(p))).not.toBe(p.value);
      expect(s.written + s.unchanged).toBe(3 * 7);
    }
    const settled = Math.floor(clock.now() / 1000) - 360;
    for (const p of sink.points.values()) if (p.tsSec + 60 <= settled) expect(p.value).toBe(emu.finalValue(API, p.domain, 'Value', p.tsSec, 60, AK));
    const last = Math.floor(clock.now() / 60_000) * 60 - 60;
    for (const d of DOMAINS) for (let t = H('09:00'); t <= last; t += 60) expect(sink.points.has(`aliyun|default||${d}|traffic_bytes|60|${t}`), `${d} ${t}`).toBe(true);
  });

  it('InfluxDB unreachable: the pass fails by kind, the checkpoint stays, the next pass fills', async () => {
    const { pass, sink, store, ref, clock } = aliyun();
    await pass();
    clock.advance(30 * 60_000);
    sink.failNext = 1;
    const err = await failedWith(pass());
    expect(err.cause).toMatchObject({ kind: 'sink_unreachable' });
    expect(err.reported).toBe(false);
    expect(store.domain(ref, 'b.example.com')!.finalEndSec).toBe(H('09:54'));
    await pass();
    expect(store.domain(ref, 'b.example.com')!.finalEndSec).toBe(H('10:24'));
    for (let t = H('09:00'); t <= H('10:29'); t += 60) expect(sink.points.has(`aliyun|default||b.example.com|traffic_bytes|60|${t}`)).toBe(true);
  });

  it.each([
    ['missing-container', /RealTimeSrcTrafficDataPerInterval|missing|container/i],
    ['other-domain', /someone-else\.example\.net/],
    ['off-grid', /off the 60 s bucket grid|grid/i],
  ] as [AliyunFault, RegExp][])('a malformed answer (%s) is retried with backoff, then the window is owed and reported in one line; the next pass fetches it with one call', async (fault, what) => {
    const { pass, emu, sink, store, ref, deps, clock } = aliyun();
    emu.inject({ fault, domain: 'a.example.com', count: settings.retry.maxAttempts });
    const err = await failedWith(pass());
    expect(err.reported).toBe(true);
    expect(err.summary).toMatchObject({ failedCalls: 1, retries: settings.retry.maxAttempts - 1, owed: 1 });
    expect(calls(emu, 'a.example.com')).toHaveLength(settings.retry.maxAttempts);
    // Backoff between attempts: 200 ms base, doubling, half jitter (random 0.5 → 3/4 of the cap).
    expect(clock.sleeps.filter((ms) => ms >= 100)).toEqual(expect.arrayContaining([150, 300]));
    const lines = deps.reports.filter((l) => l.includes('a.example.com'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^aliyun ${API} a\\.example\\.com: Malformed .*\\(.*account default\\)$`));
    expect(lines[0]).toMatch(what);
    expect([...sink.points.values()].filter((p) => p.domain === 'a.example.com')).toEqual([]);
    const st = store.domain(ref, 'a.example.com')!;
    expect(st.owedWindows).toEqual([expect.objectContaining({ fromSec: H('09:00'), toSec: H('10:00'), granularitySec: 60 })]);
    expect(st.finalEndSec).toBe(H('09:54'));
    expect(store.domain(ref, 'b.example.com')!.owedWindows).toEqual([]);

    clock.advance(60_000);
    const before = calls(emu, 'a.example.com').length;
    const s = await pass();
    // The checkpoint window [09:54, 10:01) and the owed one [09:00, 09:54): two calls, nothing more.
    expect(calls(emu, 'a.example.com').length - before).toBe(2);
    expect(s.owed).toBe(0);
    for (let t = H('09:00'); t <= H('10:00'); t += 60) expect(sink.points.get(`aliyun|default||a.example.com|traffic_bytes|60|${t}`)?.value, String(t)).toBe(emu.servedValue(API, 'a.example.com', 'Value', t, 60, clock.now(), AK));
    expect(store.domain(ref, 'a.example.com')!.owedWindows).toEqual([]);
    expect(deps.reports).toHaveLength(1);
  });

  it('an unusable value is not written, stays owed, is reported once; a later pass writes the good value with one call', async () => {
    const { pass, emu, sink, store, ref, deps, clock } = aliyun();
    emu.inject({ fault: 'value-abc', domain: 'a.example.com' });
    const err = await failedWith(pass());
    expect(err.summary).toMatchObject({ unusable: 1, owed: 1, written: 179, failedCalls: 0 });
    expect(sink.points.has(`aliyun|default||a.example.com|traffic_bytes|60|${H('09:00')}`)).toBe(false);
    expect([...sink.points.values()].some((p) => p.value === 0 && p.domain === 'a.example.com' && p.tsSec === H('09:00'))).toBe(false);
    expect(deps.reports).toEqual([expect.stringMatching(/^aliyun DescribeDomainRealTimeSrcTrafficData a\.example\.com: unusable value at 2026-11-20T09:00:00Z traffic_bytes: .*abc.*; not written, fetched again later \(account default\)$/)]);
    expect(store.domain(ref, 'a.example.com')!.owed.get(tailKey('traffic_bytes', 60, H('09:00')))).toMatchObject({ reason: expect.stringMatching(/unusable value/), sinceSec: START / 1000 });
    expect(store.domain(ref, 'a.example.com')!.finalEndSec).toBe(H('09:54'));

    // The vendor serves a good value now.
    clock.advance(60_000);
    const before = calls(emu, 'a.example.com').length;
    const s = await pass();
    expect(calls(emu, 'a.example.com').length - before).toBe(2);
    const refetch = calls(emu, 'a.example.com').at(-1)!;
    expect([refetch.params.StartTime, refetch.params.EndTime]).toEqual(['2026-11-20T09:00:00Z', '2026-11-20T09:01:00Z']);
    expect(s.owed).toBe(0);
    expect(sink.points.get(`aliyun|default||a.example.com|traffic_bytes|60|${H('09:00')}`)?.value).toBe(emu.finalValue(API, 'a.example.com', 'Value', H('09:00'), 60, AK));
    expect(store.domain(ref, 'a.example.com')!.owed.size).toBe(0);
    expect(deps.reports).toHaveLength(1);
  });

  it('still unusable after giveUpAfterMs: into the gap ledger, reported once more, no longer fetched', async () => {
    const { pass, emu, store, ref, deps, clock } = aliyun();
    emu.inject({ fault: 'value-abc', domain: 'a.example.com' });
    await failedWith(pass());
    // 59 minutes later: not yet (owed since 10:00:20, final since 09:06, give up after 1 h).
    clock.advance(59 * 60_000);
    emu.inject({ fault: 'value-abc', domain: 'a.example.com', count: 2 });
    await failedWith(pass());
    expect(store.gaps).toEqual([]);
    expect(store.domain(ref, 'a.example.com')!.owed.has(tailKey('traffic_bytes', 60, H('09:00')))).toBe(true);
    clock.advance(60_000);
    emu.inject({ fault: 'value-abc', domain: 'a.example.com', count: 3 });
    const passStart = Math.floor(clock.now() / 1000);
    const err = await failedWith(pass());
    expect(err.summary.gaps).toBe(1);
    expect(store.gaps).toEqual([{ module: 'aliyun', vendor: 'aliyun', account: 'default', stream: API, domain: 'a.example.com', metric: 'traffic_bytes', intervalSec: 60, fromSec: H('09:00'), toSec: H('09:01'), reason: expect.stringMatching(/unusable value .*abc/), recordedAtSec: passStart }]);
    expect(store.domain(ref, 'a.example.com')!.owed.has(tailKey('traffic_bytes', 60, H('09:00')))).toBe(false);
    const gapLines = deps.reports.filter((l) => /gap traffic_bytes 2026-11-20T09:00:00Z to 2026-11-20T09:01:00Z recorded in the gap ledger/.test(l));
    expect(gapLines).toHaveLength(1);
    expect(gapLines[0]).toMatch(/^aliyun DescribeDomainRealTimeSrcTrafficData a\.example\.com: .*\(account default\)$/);
    // No more refetch of 09:00.
    clock.advance(60_000);
    const seen = calls(emu, 'a.example.com').length;
    await pass().catch(() => undefined);
    const last = calls(emu, 'a.example.com').slice(seen);
    expect(last.length).toBeGreaterThan(0);
    expect(last.filter((c) => c.params.StartTime === '2026-11-20T09:00:00Z')).toEqual([]);
  });

  it('a point InfluxDB refuses stays owed and is reported; a later pass writes it with one call', async () => {
    const { pass, emu, sink, store, ref, deps, clock } = aliyun();
    const refusedTs = H('09:30');
    sink.refuse((p) => p.domain === 'b.example.com' && p.tsSec === refusedTs, 'field type conflict: input field "value" on measurement "cdn_origin" is type integer, already exists as type float');
    const err = await failedWith(pass());
    expect(err.summary).toMatchObject({ refused: 1, written: 179, owed: 1 });
    expect(deps.reports).toEqual([expect.stringMatching(/^aliyun DescribeDomainRealTimeSrcTrafficData b\.example\.com: InfluxDB refused traffic_bytes at 2026-11-20T09:30:00Z: field type conflict.*; fetched again later \(account default\)$/)]);
    expect(store.domain(ref, 'b.example.com')!.owed.get(tailKey('traffic_bytes', 60, refusedTs))?.reason).toMatch(/^refused by InfluxDB: field type conflict/);
    sink.clearRefusals();
    clock.advance(60_000);
    const before = calls(emu, 'b.example.com').length;
    await pass();
    expect(calls(emu, 'b.example.com').length - before).toBe(2);
    expect(sink.points.get(`aliyun|default||b.example.com|traffic_bytes|60|${refusedTs}`)?.value).toBe(emu.finalValue(API, 'b.example.com', 'Value', refusedTs, 60, AK));
    expect(store.domain(ref, 'b.example.com')!.owed.size).toBe(0);
  });

  it('a refused point of the provisional tail is owed, not remembered as written: the next pass writes it even when unchanged', async () => {
    const { pass, sink, store, ref, clock } = aliyun();
    const ts = H('09:58');
    sink.refuse((p) => p.domain === 'b.example.com' && p.tsSec === ts, 'partial write: points beyond retention policy');
    await failedWith(pass());
    const st = store.domain(ref, 'b.example.com')!;
    expect(st.tail.has(tailKey('traffic_bytes', 60, ts))).toBe(false);
    expect(st.tail.has(tailKey('traffic_bytes', 60, H('09:57')))).toBe(true);
    expect(st.owed.get(tailKey('traffic_bytes', 60, ts))?.reason).toMatch(/^refused by InfluxDB: partial write/);
    expect(sink.points.has(`aliyun|default||b.example.com|traffic_bytes|60|${ts}`)).toBe(false);
    sink.clearRefusals();
    clock.advance(1000);
    await pass();
    expect(sink.points.has(`aliyun|default||b.example.com|traffic_bytes|60|${ts}`)).toBe(true);
    expect(store.domain(ref, 'b.example.com')!.tail.has(tailKey('traffic_bytes', 60, ts))).toBe(true);
  });

  it('throttled calls are retried with backoff and paced: nothing is lost', async () => {
    const { pass, emu, sink } = aliyun({ rateLimits: { [API]: 1 }, ratePerSec: { [API]: 5 } });
    const s = await pass({ ...settings, retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5000 } });
    expect(emu.limiter.throttled).toBeGreaterThan(0);
    expect(s.retries).toBe(emu.limiter.throttled);
    expect(s.failedCalls).toBe(0);
    expect(sink.points.size).toBe(180);
  });

  it('at the configured limit the pacer keeps the vendor from throttling at all', async () => {
    const { emu, deps, adapter, stream } = aliyun();
    // One call at a time: the manual clock's sleeps add up instead of overlapping.
    const s = await runPass(deps, { ...settings, concurrency: 1 }, adapter, stream, DOMAINS, { kind: 'range', fromSec: H('00:00'), toSec: H('09:00') });
    expect(s.calls).toBe(27);
    expect(emu.limiter.throttled).toBe(0);
  });

  it('a refused key stops only its own account\'s pass: one line, credentials re-read once, no call per window', async () => {
    const good = aliyun();
    const bad = aliyun({ secret: 'wrong-secret' });
    const [ok, failed] = await Promise.allSettled([good.pass(), bad.pass({ ...settings, concurrency: 1 })]);
    expect(ok.status).toBe('fulfilled');
    expect(failed.status).toBe('rejected');
    expect(bad.credentials.reloads).toEqual(['aliyun/default']);
    expect(bad.http.sent).toHaveLength(2);
    expect(bad.deps.reports).toEqual([expect.stringMatching(/^aliyun DescribeDomainRealTimeSrcTrafficData a\.example\.com: SignatureDoesNotMatch .*account default.*check the credentials$/)]);
    expect(bad.sink.sent).toBe(0);
    expect(good.sink.points.size).toBe(180);
    // Nothing moved for the refused account: its domains start where they would have.
    expect(bad.store.streams.size === 0 || [...bad.store.streams.values()].every((s) => [...s.values()].every((d) => d.finalEndSec === H('09:00')))).toBe(true);
  });

  it('a refused key with calls in flight is still reported once per account', async () => {
    const bad = aliyun({ secret: 'wrong-secret' });
    await failedWith(bad.pass({ ...settings, concurrency: 4 }));
    expect(bad.deps.reports.filter((l) => /SignatureDoesNotMatch/.test(l))).toHaveLength(1);
  });

  it('a stop before the pass: no call, nothing committed', async () => {
    const { deps, adapter, stream, http, store } = aliyun();
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await failedWith(runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' }, ac.signal));
    expect(http.sent).toHaveLength(0);
    expect(store.commits).toBe(0);
  });

  it('an answer larger than maxResponseBytes fails the call as malformed, then the window is owed', async () => {
    const { pass, store, ref, deps } = aliyun();
    await failedWith(pass({ ...settings, maxBodyBytes: 200 }));
    expect(deps.reports[0]).toMatch(/BodyTooLarge/);
    expect(store.domain(ref, 'a.example.com')!.owedWindows).toHaveLength(1);
  });
});

describe('backfill and recovery through a pass', () => {
  it('backfill without a checkpoint moves it to the range end; a later backfill before it leaves it; values exact', async () => {
    const { deps, adapter, stream, store, ref, sink, emu, clock } = aliyun();
    const s = await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'range', fromSec: H('07:00'), toSec: H('08:30') });
    expect(s).toMatchObject({ calls: 6, written: 3 * 90 });
    expect(store.domain(ref, 'a.example.com')!.finalEndSec).toBe(H('08:30'));
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'range', fromSec: H('06:00'), toSec: H('06:30') });
    expect(store.domain(ref, 'a.example.com')!.finalEndSec).toBe(H('08:30'));
    for (const p of sink.points.values()) expect(p.value).toBe(emu.servedValue(API, p.domain, 'Value', p.tsSec, 60, clock.now(), AK));
    // Then collect goes on from there: no gap between the backfill and now.
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'collect' });
    for (let t = H('08:30'); t < H('10:00'); t += 60) expect(sink.points.has(`aliyun|default||c.example.com|traffic_bytes|60|${t}`), String(t)).toBe(true);
  });

  it('a backfill range after the checkpoint leaves it where it is (the hole before the range is not skipped)', async () => {
    const { deps, adapter, stream, store, ref, pass, clock } = aliyun();
    await pass();
    clock.advance(3 * 3600_000);
    await runPass(deps, settings, adapter, stream, DOMAINS, { kind: 'range', fromSec: H('12:00'), toSec: H('12:30') });
    expect(store.domain(ref, 'a.example.com')!.finalEndSec).toBe(H('09:54'));
  });

  it('a domain without a checkpoint resumes after the newest bucket InfluxDB holds', async () => {
    const { deps, adapter, stream, emu } = aliyun();
    const asked: unknown[] = [];
    const recovery = { newestBuckets: async (q: unknown) => (asked.push(q), new Map([['a.example.com', H('09:40')]])) };
    await runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true }, adapter, stream, DOMAINS, { kind: 'collect' });
    expect(asked).toEqual([{ vendor: 'aliyun', account: 'default', metrics: ['traffic_bytes'], intervalSec: 60, domains: DOMAINS }]);
    expect(calls(emu, 'a.example.com').map((c) => c.params.StartTime)).toEqual(['2026-11-20T09:41:00Z']);
    expect(calls(emu, 'b.example.com').map((c) => c.params.StartTime)).toEqual(['2026-11-20T09:00:00Z']);
  });

  it('InfluxDB away: one line; domains without a checkpoint wait for a later pass (starting them from the look-back could leave a gap)', async () => {
    const { deps, adapter, stream, emu, store, ref, pass } = aliyun({ domains: ['a.example.com'] });
    await pass();
    const recovery = { newestBuckets: async () => { throw new CollectorError('sink_unreachable', 'influx: http://influx:8086 unreachable: connect ECONNREFUSED'); } };
    const before = calls(emu).length;
    const err = await failedWith(runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true }, adapter, stream, DOMAINS, { kind: 'collect' }));
    expect(err.reported).toBe(true);
    expect(deps.reports).toEqual(['influx: http://influx:8086 unreachable: connect ECONNREFUSED']);
    // a.example.com has a checkpoint and goes on; b and c wait.
    expect(calls(emu).slice(before).map((c) => c.domains)).toEqual([['a.example.com']]);
    expect(store.domain(ref, 'b.example.com')).toBeUndefined();
  });

  it('InfluxDB that refuses to be read: one line, and the initial look-back', async () => {
    const { deps, adapter, stream, emu } = aliyun();
    const recovery = { newestBuckets: async () => { throw new CollectorError('sink_auth', 'influx: http://influx:8086 refused the credentials (403)'); } };
    await runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true }, adapter, stream, DOMAINS, { kind: 'collect' });
    expect(deps.reports).toEqual([expect.stringMatching(/^influx: http:\/\/influx:8086 refused the credentials \(403\); domains without a checkpoint start collect\.initialLookbackMs back/)]);
    expect(calls(emu).map((c) => c.params.StartTime)).toEqual(Array(3).fill('2026-11-20T09:00:00Z'));
  });

  it('when InfluxDB is away, domains without a checkpoint wait for a later pass (one line, no call, no gap)', async () => {
    const { deps, adapter, stream, emu } = aliyun();
    const recovery = { newestBuckets: async () => { throw new CollectorError('sink_unreachable', 'influx: http://influx:8086 unreachable: connect ECONNREFUSED'); } };
    await expect(runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true }, adapter, stream, DOMAINS, { kind: 'collect' })).rejects.toThrow(PassFailed);
    expect(deps.reports).toEqual(['influx: http://influx:8086 unreachable: connect ECONNREFUSED']);
    expect(calls(emu)).toEqual([]);
  });

  it('when InfluxDB refuses to answer the query (a write-only token), one line, and the initial look-back', async () => {
    const { deps, adapter, stream, emu } = aliyun();
    const recovery = { newestBuckets: async () => { throw new CollectorError('sink_auth', 'influx: http://influx:8086: cannot read the newest buckets of aliyun/default: credentials refused (HTTP 403)'); } };
    await runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true }, adapter, stream, DOMAINS, { kind: 'collect' });
    expect(deps.reports).toEqual([expect.stringMatching(/^influx: .*credentials refused \(HTTP 403\); domains without a checkpoint start collect\.initialLookbackMs back/)]);
    expect(calls(emu).map((c) => c.params.StartTime)).toEqual(Array(3).fill('2026-11-20T09:00:00Z'));
  });
});

// ---------------------------------------------------------------------------------------------

function otherVendor(m: VendorModule, emu: TencentEmulator | HuaweiCdnEmulator, clock: ManualClock, creds: Record<string, string>, domains: string[], over: Record<string, unknown>) {
  const sink = new MemorySink();
  const store = new MemoryStore();
  const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), sink, store, credentials: staticCredentials({ [m.id]: { default: creds } }) });
  const adapter: VendorAdapter = m.createAdapter(moduleSettings(m, over), moduleAccount('default', domains));
  const stream = adapter.streams[0]!;
  return { sink, store, deps, adapter, stream, ref: { module: m.id, account: 'default', stream: stream.id }, pass: () => runPass(deps, settings, adapter, stream, domains, { kind: 'collect' }) };
}

describe('Tencent and Huawei CDN through the same core', () => {
  it('Tencent: a row for another domain fails the batched call; the window is owed for every asked domain and the next pass heals it with one call', async () => {
    const clock = new ManualClock(START);
    const domains = ['a.example.com', 'b.example.com'];
    const emu = new TencentEmulator({ accounts: { AKIDx: { secretKey: 'k', domains: domains.map((domain) => ({ domain })) } }, now: () => clock.now() });
    const v = otherVendor(tencentModule, emu, clock, { secretId: 'AKIDx', secretKey: 'k' }, domains, { endpoint: 'http://cdn.tencent.emu', metrics: ['flux'], areas: ['mainland'] });
    expect(v.stream.maxDomainsPerCall).toBeGreaterThan(1);
    emu.inject({ fault: 'foreign-domain', api: 'DescribeOriginData', count: settings.retry.maxAttempts });
    const err = await failedWith(v.pass());
    expect(err.summary).toMatchObject({ failedCalls: 1, calls: settings.retry.maxAttempts });
    expect(v.deps.reports).toHaveLength(1);
    expect(v.deps.reports[0]).toMatch(/^tencent DescribeOriginData .*a\.example\.com,b\.example\.com: Malformed .*foreign\.example\.net.*\(.*account default\)$/);
    expect(v.sink.sent).toBe(0);
    for (const d of domains) expect(v.store.domain(v.ref, d)!.owedWindows).toHaveLength(1);
    clock.advance(300_000);
    const before = emu.dataCalls().length;
    await v.pass();
    expect(emu.dataCalls().length - before).toBe(2);
    for (const d of domains) expect(v.store.domain(v.ref, d)!.owedWindows).toEqual([]);
    const points = [...v.sink.points.values()];
    for (const p of points) expect(p.value).toBe(emu.bucket(p.domain, p.tsSec, 300, clock.now(), 'mainland').flux);
    expect(points.every((p) => p.area === 'mainland' && p.metric === 'traffic_bytes')).toBe(true);
    expect(new Set(points.map((p) => p.domain))).toEqual(new Set(domains));
  });

  it('Huawei CDN: first pass exact per domain, written as vendor huawei; an unusable value is owed and healed with one call', async () => {
    const clock = new ManualClock(START);
    const domains = ['a.example.com', 'b.example.com'];
    const account = { sk: 'hw-sk', domains: domains.map((domain) => ({ domain })) };
    const emu = new HuaweiCdnEmulator({ accounts: { HWAK: account }, now: () => clock.now() });
    const v = otherVendor(huaweicdnModule, emu, clock, { ak: 'HWAK', sk: 'hw-sk' }, domains, { endpoint: 'http://cdn.huawei.emu', metrics: ['bs_flux'] });
    emu.inject({ fault: 'value-NaN', domain: 'b.example.com' });
    const err = await failedWith(v.pass());
    expect(err.summary).toMatchObject({ unusable: 1, calls: 1, failedCalls: 0 });
    expect(v.deps.reports).toEqual([expect.stringMatching(/^huaweicdn \S+ b\.example\.com: unusable value at .*traffic_bytes.*NaN.*\(account default\)$/)]);
    const points = [...v.sink.points.values()];
    expect(points.length).toBeGreaterThan(0);
    for (const p of points) {
      expect(p).toMatchObject({ vendor: 'huawei', account: 'default', metric: 'traffic_bytes', intervalSec: 300 });
      expect(p.value, `${p.domain} ${p.tsSec}`).toBe(emu.servedValue(p.domain, 'bs_flux', p.tsSec, 300, START, account));
    }
    const owed = [...v.store.domain(v.ref, 'b.example.com')!.owed.keys()];
    expect(owed).toHaveLength(1);
    clock.advance(300_000);
    const before = emu.dataCalls().length;
    await v.pass();
    // The owed bucket is still in the provisional tail (Huawei settles in 3 h), so the pass's own
    // batched window re-reads it: one call for both domains, no separate refetch.
    expect(emu.dataCalls().length - before).toBe(1);
    expect(v.store.domain(v.ref, 'b.example.com')!.owed.size).toBe(0);
  });
});
