/**
 * Pins runPass (src/core/pass.ts) where the scenario tests in pass.test.ts leave it loose: the
 * lost-window notes, recovery for domains with a checkpoint (recoverAlways), chunking and its
 * telemetry, a stop between chunks, and the summary's newest checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { LineBudget } from '../../src/core/budget.js';
import { CHUNK_LINES, PassFailed, SLAB_DOMAINS, runPass, slabSize, type PassSettings } from '../../src/core/pass.js';
import { CollectorError } from '../../src/kernel/errors.js';
import type { Telemetry } from '../../src/ports.js';
import { aliyunModule } from '../../src/vendors/aliyun/index.js';
import { AliyunEmulator } from '../emulators/aliyun.js';
import { ManualClock, MemorySink, MemoryStore, inProcessHttp, moduleAccount, moduleSettings, staticCredentials, testDeps } from '../support/fakes.js';

const AK = 'LTAI-test';
const SK = 'secret-test';
const API = 'DescribeDomainRealTimeSrcTrafficData';
const START = Date.parse('2026-11-20T10:00:20Z');
const DAY = 86_400;
const H = (hm: string) => Date.parse(`2026-11-20T${hm}:00Z`) / 1000;
const settings: PassSettings = { concurrency: 4, requestTimeoutMs: 1000, maxBodyBytes: 1 << 20, retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5000 }, initialLookbackMs: 3_600_000, giveUpAfterMs: 3_600_000, recoverFromInflux: false };

function setup(domains: string[], telemetry?: Telemetry) {
  const clock = new ManualClock(START);
  const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains } }, now: () => clock.now(), rateLimits: { [API]: 1000 } });
  const http = inProcessHttp((r) => emu.handle(r));
  const sink = new MemorySink();
  const store = new MemoryStore();
  const deps = testDeps({ clock, http, sink, store, credentials: staticCredentials({ aliyun: { default: { accessKeyId: AK, accessKeySecret: SK } } }), ...(telemetry ? { telemetry } : {}) });
  const adapter = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://cdn.emulator:8080', apis: [API], ratePerSec: { ...(moduleSettings(aliyunModule).ratePerSec as object), [API]: 1000 } }), moduleAccount('default', domains));
  const stream = adapter.streams[0]!;
  const ref = { module: 'aliyun', account: 'default', stream: stream.id };
  const calls = (d?: string) => emu.calls.filter((c) => c.api !== 'DescribeUserDomains' && (!d || c.domains.includes(d)));
  return { clock, emu, sink, store, deps, adapter, stream, ref, calls };
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(2, '0')}.example.com`);

describe('notes on windows older than the vendor keeps', () => {
  it('a backfill before the retention: one line per text, naming up to 3 domains, else their number', async () => {
    for (const [n, who] of [[3, 'd00.example.com,d01.example.com,d02.example.com'], [4, '4 domains']] as const) {
      const { deps, adapter, stream } = setup(names(n));
      const from = H('10:00') - 8 * DAY;
      await runPass(deps, settings, adapter, stream, names(n), { kind: 'range', fromSec: from, toSec: H('10:00') - 7 * DAY + 3600 }).catch(() => undefined);
      const lines = deps.reports.filter((l) => l.includes('older than'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^aliyun ${API} ${who.replace(/\./g, '\\.')}: 2026-11-12T10:00:00Z to 2026-11-13T\\d\\d:\\d\\d:00Z is older than the vendor serves for this API; skipped \\(account default\\)$`));
    }
  });
});

describe('recovery from InfluxDB', () => {
  const recovery = (asked: string[][]) => ({ newestBuckets: async (q: { domains: readonly string[] }) => (asked.push([...q.domains]), new Map([['a.example.com', H('10:10')], ['b.example.com', H('09:30')]])) });
  const two = ['a.example.com', 'b.example.com'];

  it('without recoverAlways, domains with a checkpoint are not asked about', async () => {
    const { deps, adapter, stream, clock, calls } = setup(two);
    await runPass(deps, settings, adapter, stream, two, { kind: 'collect' });
    clock.advance(30 * 60_000);
    const asked: string[][] = [];
    const n0 = calls().length;
    await runPass({ ...deps, recovery: recovery(asked) }, { ...settings, recoverFromInflux: true }, adapter, stream, two, { kind: 'collect' });
    expect(asked).toEqual([]);
    expect(calls().slice(n0).map((c) => c.params.StartTime)).toEqual(['2026-11-20T09:54:00Z', '2026-11-20T09:54:00Z']);
  });

  it('recoverAlways asks about every domain; a newer bucket in InfluxDB moves the checkpoint on and drops its tail, an older one does not', async () => {
    const { deps, adapter, stream, clock, calls, store, ref } = setup(two);
    await runPass(deps, settings, adapter, stream, two, { kind: 'collect' });
    expect(store.domain(ref, 'a.example.com')!.tail.size).toBe(6);
    clock.advance(30 * 60_000);
    const asked: string[][] = [];
    const n0 = calls().length;
    await runPass({ ...deps, recovery: recovery(asked) }, { ...settings, recoverFromInflux: true, recoverAlways: true }, adapter, stream, two, { kind: 'collect' });
    expect(asked).toEqual([two]);
    const news = calls().slice(n0);
    expect(news.filter((c) => c.domains.includes('a.example.com')).map((c) => c.params.StartTime)).toEqual(['2026-11-20T10:11:00Z']);
    expect(news.filter((c) => c.domains.includes('b.example.com')).map((c) => c.params.StartTime)).toEqual(['2026-11-20T09:54:00Z']);
    expect(store.domain(ref, 'a.example.com')!.finalEndSec).toBe(H('10:24'));
  });
});

describe('recovery only where it applies', () => {
  it('a backfill never asks InfluxDB; InfluxDB away during collect is told to telemetry as the sink down', async () => {
    const states: string[] = [];
    const { deps, adapter, stream } = setup(['a.example.com'], { onSinkState: (ok: boolean, e?: string) => states.push(`${ok} ${e}`) } as Telemetry);
    let asked = 0;
    const away = { newestBuckets: async () => { asked++; throw new CollectorError('sink_timeout', 'influx: http://influx:8086 timed out: no complete answer within 30000 ms'); } };
    await runPass({ ...deps, recovery: away }, { ...settings, recoverFromInflux: true }, adapter, stream, ['a.example.com'], { kind: 'range', fromSec: H('08:00'), toSec: H('08:05') });
    expect(asked).toBe(0);
    await runPass({ ...deps, recovery: away }, { ...settings, recoverFromInflux: false }, adapter, stream, ['a.example.com'], { kind: 'collect' }).catch(() => undefined);
    expect(asked).toBe(0);
    const fresh = setup(['a.example.com'], { onSinkState: (ok: boolean, e?: string) => states.push(`${ok} ${e}`) } as Telemetry);
    const err = await runPass({ ...fresh.deps, recovery: away }, { ...settings, recoverFromInflux: true }, fresh.adapter, fresh.stream, ['a.example.com'], { kind: 'collect' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PassFailed);
    expect(asked).toBe(1);
    expect(states).toEqual(['false influx: http://influx:8086 timed out: no complete answer within 30000 ms']);
    expect(fresh.calls()).toEqual([]);
  });

  it('another failure of the recovery query is not swallowed', async () => {
    const { deps, adapter, stream, calls } = setup(['a.example.com']);
    const broken = { newestBuckets: async () => { throw new CollectorError('config', 'bad measurement'); } };
    await expect(runPass({ ...deps, recovery: broken }, { ...settings, recoverFromInflux: true }, adapter, stream, ['a.example.com'], { kind: 'collect' })).rejects.toThrow('bad measurement');
    expect(calls()).toEqual([]);
  });
});

describe('recovery at the horizon', () => {
  it('InfluxDB holding buckets up to or past the checkpoint but not past the horizon moves nothing: the tail is re-read, unchanged', async () => {
    const { deps, adapter, stream, calls, store, ref } = setup(['a.example.com', 'b.example.com']);
    await runPass(deps, settings, adapter, stream, ['a.example.com', 'b.example.com'], { kind: 'collect' });
    // a: newest 09:53 (its checkpoint is 09:54); b: newest 09:59, past the horizon 09:54.
    const recovery = { newestBuckets: async () => new Map([['a.example.com', H('09:53')], ['b.example.com', H('09:59')]]) };
    const n0 = calls().length;
    const s = await runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true, recoverAlways: true }, adapter, stream, ['a.example.com', 'b.example.com'], { kind: 'collect' });
    expect(s).toMatchObject({ written: 0, unchanged: 12 });
    expect(calls().slice(n0).map((c) => c.params.StartTime)).toEqual(['2026-11-20T09:54:00Z', '2026-11-20T09:54:00Z']);
    expect(store.domain(ref, 'b.example.com')!.finalEndSec).toBe(H('09:54'));
  });
});

describe('chunks', () => {
  it('calls go in chunks of max(32, 4 × concurrency); each chunk is one write, reported done; the plan is reported first', async () => {
    const events: string[] = [];
    const telemetry: Telemetry = {
      onPlanned: (m, s, n) => events.push(`planned ${m} ${s} ${n}`),
      onWindowsDone: (m, s, n) => events.push(`done ${m} ${s} ${n}`),
    } as Telemetry;
    const ds = names(33);
    const { deps, adapter, stream, sink, store, ref } = setup(ds, telemetry);
    const s = await runPass(deps, { ...settings, concurrency: 1 }, adapter, stream, ds, { kind: 'collect' });
    expect(s).toMatchObject({ windows: 33, calls: 33, written: 33 * 60, domains: 33 });
    expect(sink.batches.map((b) => b.length)).toEqual([32 * 60, 1 * 60]);
    expect(events).toEqual([`planned aliyun ${stream.id} 33`, `done aliyun ${stream.id} 32`, `done aliyun ${stream.id} 1`]);
    expect(s.finalEndSec).toBe(H('09:54'));
    expect(store.domain(ref, ds[32]!)!.finalEndSec).toBe(H('09:54'));
    // one commit per chunk, none for an empty gap ledger
    expect(store.commits).toBe(2);
    expect(store.gaps).toEqual([]);
    const wide = setup(ds);
    await runPass(wide.deps, { ...settings, concurrency: 10 }, wide.adapter, wide.stream, ds, { kind: 'collect' });
    expect(wide.sink.batches.map((b) => b.length)).toEqual([33 * 60]);
  });

  it('a stop between chunks: the chunk fetched is written and committed, the rest keeps its checkpoint, the pass says it stopped', async () => {
    const ds = names(33);
    const { deps, adapter, stream, sink, store, ref, calls, clock } = setup(ds);
    await runPass(deps, settings, adapter, stream, ds, { kind: 'collect' });
    const commits = store.commits;
    clock.advance(30 * 60_000);
    const ac = new AbortController();
    const write = sink.write.bind(sink);
    sink.write = async (parts) => {
      ac.abort();
      return write(parts);
    };
    const n0 = calls().length;
    const b0 = sink.batches.length;
    const err = await runPass(deps, { ...settings, concurrency: 1 }, adapter, stream, ds, { kind: 'collect' }, ac.signal).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PassFailed);
    expect((err as PassFailed).message).toBe('stopped before the pass finished');
    expect((err as PassFailed).reported).toBe(true);
    expect(calls().length - n0).toBe(32);
    expect(sink.batches.length - b0).toBe(1);
    expect(store.commits - commits).toBe(1);
    expect(store.domain(ref, ds[0]!)!.finalEndSec).toBe(H('10:24'));
    expect(store.domain(ref, ds[32]!)!.finalEndSec).toBe(H('09:54'));
    // The summary names the newest checkpoint of all domains.
    expect((err as PassFailed).summary).toMatchObject({ finalEndSec: H('10:24'), owed: 0, windows: 32 });
  });
});

describe('failures and their reach (strength)', () => {
  const three = ['a.example.com', 'b.example.com', 'c.example.com'];
  const failed = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(PassFailed);
    return e as PassFailed;
  };

  it('a refused key: the calls after it are dropped quietly, the pass fails as reported, no domain moves', async () => {
    const clock = new ManualClock(START);
    const emu = new AliyunEmulator({ accounts: { [AK]: { secret: SK, domains: three } }, now: () => clock.now() });
    const deps = testDeps({ clock, http: inProcessHttp((r) => emu.handle(r)), sink: new MemorySink(), store: new MemoryStore(), credentials: staticCredentials({ aliyun: { default: { accessKeyId: AK, accessKeySecret: 'wrong' } } }) });
    const adapter = aliyunModule.createAdapter(moduleSettings(aliyunModule, { endpoint: 'http://cdn.emulator:8080', apis: [API] }), moduleAccount('default', three));
    const e = await failed(runPass(deps, { ...settings, concurrency: 1 }, adapter, adapter.streams[0]!, three, { kind: 'collect' }));
    expect(e.reported).toBe(true);
    expect(e.message).toBe(`aliyun ${API}: the pass had failures (each reported above)`);
    expect(e.summary).toMatchObject({ failedCalls: 1, written: 0 });
    expect(deps.reports).toHaveLength(1);
  });

  it('window failures of two calls are reported once each, not once for both', async () => {
    const { emu, deps, adapter, stream } = setup(three);
    emu.inject({ fault: 'missing-container', domain: 'a.example.com', count: 3 });
    emu.inject({ fault: 'missing-container', domain: 'b.example.com', count: 3 });
    await failed(runPass(deps, settings, adapter, stream, three, { kind: 'collect' }));
    expect(deps.reports.filter((l) => /Malformed/.test(l)).map((l) => l.split(':')[0])).toEqual(expect.arrayContaining([`aliyun ${API} a.example.com`, `aliyun ${API} b.example.com`]));
    expect(deps.reports).toHaveLength(2);
  });

  it('a window failure does not keep the domain from its later windows', async () => {
    const { emu, deps, adapter, stream, calls, store, ref } = setup(['a.example.com']);
    emu.inject({ fault: 'missing-container', domain: 'a.example.com', count: 3 });
    await failed(runPass(deps, settings, adapter, stream, ['a.example.com'], { kind: 'range', fromSec: H('06:00'), toSec: H('09:00') }));
    // 3 attempts at 06:00, then 07:00 and 08:00
    expect(calls().map((c) => c.params.StartTime)).toEqual(['2026-11-20T06:00:00Z', '2026-11-20T06:00:00Z', '2026-11-20T06:00:00Z', '2026-11-20T07:00:00Z', '2026-11-20T08:00:00Z']);
    expect(store.domain(ref, 'a.example.com')!.owedWindows).toEqual([expect.objectContaining({ fromSec: H('06:00'), toSec: H('07:00') })]);
  });

  it('two problems of different sources still fail the pass (unusable and refused; failed call and refused)', async () => {
    const one = setup(['a.example.com', 'b.example.com']);
    one.emu.inject({ fault: 'value-abc', domain: 'a.example.com' });
    (one.sink as MemorySink).refuse((p) => p.domain === 'b.example.com' && p.tsSec === H('09:30'), 'nope');
    expect((await failed(runPass(one.deps, settings, one.adapter, one.stream, ['a.example.com', 'b.example.com'], { kind: 'collect' }))).summary).toMatchObject({ unusable: 1, refused: 1 });
    const two = setup(['a.example.com', 'b.example.com']);
    two.emu.inject({ fault: 'missing-container', domain: 'a.example.com', count: 3 });
    (two.sink as MemorySink).refuse((p) => p.domain === 'b.example.com' && p.tsSec === H('09:30'), 'nope');
    expect((await failed(runPass(two.deps, settings, two.adapter, two.stream, ['a.example.com', 'b.example.com'], { kind: 'collect' }))).summary).toMatchObject({ failedCalls: 1, refused: 1 });
  });

  it('the InfluxDB write failing on the first chunk: the next chunk is fetched but not written', async () => {
    const ds = names(33);
    const { deps, adapter, stream, sink } = setup(ds);
    (sink as MemorySink).failNext = 1;
    const e = await failed(runPass(deps, { ...settings, concurrency: 1 }, adapter, stream, ds, { kind: 'collect' }));
    expect(e.reported).toBe(false);
    expect(e.cause).toMatchObject({ kind: 'sink_unreachable' });
    expect((sink as MemorySink).batches).toHaveLength(0);
  });
});

describe('the summary and the stop (strength)', () => {
  it('finalEndSec is the newest checkpoint of all domains, whatever their order; absent when none has one', async () => {
    const { deps, adapter, stream } = setup(['a.example.com', 'b.example.com']);
    await runPass(deps, settings, adapter, stream, ['b.example.com'], { kind: 'range', fromSec: H('09:00'), toSec: H('09:50') });
    const s = await runPass(deps, settings, adapter, stream, ['a.example.com', 'b.example.com'], { kind: 'range', fromSec: H('08:00'), toSec: H('08:05') });
    expect(s.finalEndSec).toBe(H('09:50'));
    const fresh = setup(['a.example.com']);
    const ac = new AbortController();
    ac.abort();
    const e = await runPass(fresh.deps, settings, fresh.adapter, fresh.stream, ['a.example.com'], { kind: 'collect' }, ac.signal).then(() => undefined, (x: unknown) => x as PassFailed);
    expect(e).toBeInstanceOf(PassFailed);
    expect('finalEndSec' in e!.summary).toBe(false);
  });

  it('a stop after every window was fetched and written is not a stopped pass', async () => {
    const { deps, adapter, stream, sink, store, ref } = setup(['a.example.com', 'b.example.com']);
    const ac = new AbortController();
    const write = sink.write.bind(sink);
    sink.write = async (parts) => {
      ac.abort();
      return write(parts);
    };
    const s = await runPass(deps, settings, adapter, stream, ['a.example.com', 'b.example.com'], { kind: 'collect' }, ac.signal);
    expect(s).toMatchObject({ written: 120, calls: 2 });
    expect(store.domain(ref, 'b.example.com')!.finalEndSec).toBe(H('09:54'));
  });
});

describe('a domain is finished as soon as its last call is committed (issue 12: memory follows the domains in flight)', () => {
  it('its gap is recorded with the chunk that did it, before the third chunk is fetched, and only once', async () => {
    const ds = names(70);
    const { deps, adapter, stream, emu, store, calls } = setup(ds);
    emu.inject({ fault: 'non-json', domain: ds[0], count: settings.retry.maxAttempts });
    const seen: string[][] = [];
    const record = store.recordGaps.bind(store);
    store.recordGaps = async (entries) => {
      seen.push(calls().map((c) => c.domains.join(',')));
      return record(entries);
    };
    // An old range with collect.giveUpAfterMs 0: a failed window is a gap in this very pass.
    const err = await runPass(deps, { ...settings, giveUpAfterMs: 0 }, adapter, stream, ds, { kind: 'range', fromSec: H('08:00'), toSec: H('09:00') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PassFailed);
    expect(store.gaps.map((g) => [g.domain, g.metric, g.fromSec, g.toSec])).toEqual([[ds[0], '*', H('08:00'), H('09:00')]]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain(ds[31]);
    expect(seen[0]).not.toContain(ds[64]);
    expect(seen[0]).not.toContain(ds[69]);
    expect(calls()).toHaveLength(70 + settings.retry.maxAttempts - 1);
    for (const d of ds.slice(1)) expect(store.domain({ module: 'aliyun', account: 'default', stream: stream.id }, d)?.finalEndSec, d).toBe(H('09:00'));
  });
});

describe('slabs: the domains of a stream are planned and fetched a slab at a time (issue 12)', () => {
  it('a slab is a whole number of calls, at least one', () => {
    expect(SLAB_DOMAINS).toBe(1000);
    expect(slabSize(1000, 1)).toBe(1000);
    expect(slabSize(1000, 20)).toBe(1000);
    expect(slabSize(1000, 30)).toBe(1020);
    expect(slabSize(30, 20)).toBe(40);
    expect(slabSize(0, 20)).toBe(20);
  });

  it('each slab is asked about in InfluxDB, planned and fetched before the next; a note counts every slab once', async () => {
    const ds = names(10);
    const planned: number[] = [];
    const { deps, adapter, stream, calls, store, ref, clock } = setup(ds, { onPlanned: (_m, _s, n) => planned.push(n), onWindowsDone: () => undefined } as Telemetry);
    const asked: { domains: string[]; callsBefore: number }[] = [];
    const recovery = { newestBuckets: async (q: { domains: readonly string[] }) => (asked.push({ domains: [...q.domains], callsBefore: calls().length }), new Map<string, number>()) };
    await runPass({ ...deps, recovery }, { ...settings, recoverFromInflux: true, slabDomains: 4 }, adapter, stream, ds, { kind: 'collect' });
    expect(asked).toEqual([
      { domains: ds.slice(0, 4), callsBefore: 0 },
      { domains: ds.slice(4, 8), callsBefore: 4 },
      { domains: ds.slice(8), callsBefore: 8 },
    ]);
    expect(planned).toEqual([4, 4, 2]);
    expect(calls().map((c) => c.domains[0])).toEqual(ds);
    for (const d of ds) expect(store.domain(ref, d)?.finalEndSec, d).toBe(H('09:54'));

    // A range partly older than the vendor keeps: one line for the ten domains, not one per slab.
    clock.advance(60_000);
    const from = H('10:00') - 8 * DAY;
    await runPass(deps, { ...settings, slabDomains: 4 }, adapter, stream, ds, { kind: 'range', fromSec: from, toSec: from + DAY + 3600 }).catch(() => undefined);
    const lines = deps.reports.filter((l) => l.includes('older than'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aliyun \S+ 10 domains: /);
  });

  it('checkpoints are read a slab at a time, each just before its slab is planned, after the stream was prepared once', async () => {
    const ds = names(10);
    const { deps, adapter, stream, calls, store, clock } = setup(ds);
    await runPass(deps, { ...settings, slabDomains: 4 }, adapter, stream, ds, { kind: 'collect' });
    clock.advance(30 * 60_000);
    store.loads.length = 0;
    store.prepared.length = 0;
    const callsAtLoad: number[] = [];
    const loadSome = store.loadSome.bind(store);
    store.loadSome = (r, d) => (callsAtLoad.push(calls().length), loadSome(r, d));
    const n0 = calls().length;
    const s = await runPass(deps, { ...settings, slabDomains: 4 }, adapter, stream, ds, { kind: 'collect' });
    expect(store.prepared).toEqual(['aliyun/default/' + stream.id]);
    expect(store.loads.map((l) => l.domains)).toEqual([ds.slice(0, 4), ds.slice(4, 8), ds.slice(8)]);
    expect(callsAtLoad.map((n) => n - n0)).toEqual([0, 4, 8]);
    // Read, they were planned from their checkpoints: one call each for the half hour since.
    expect(calls().slice(n0).map((c) => c.params.StartTime)).toEqual(ds.map(() => '2026-11-20T09:54:00Z'));
    expect(s).toMatchObject({ calls: 10, finalEndSec: H('10:24') });
  });

  it('stopped in the first slab: the later slabs are not planned, they keep their checkpoint, and the pass says it stopped', async () => {
    const ds = names(10);
    const planned: number[] = [];
    const { deps, adapter, stream, sink, store, ref, calls } = setup(ds, { onPlanned: (_m, _s, n) => planned.push(n), onWindowsDone: () => undefined } as Telemetry);
    const ac = new AbortController();
    const write = sink.write.bind(sink);
    sink.write = async (parts) => {
      ac.abort();
      return write(parts);
    };
    const err = await runPass(deps, { ...settings, slabDomains: 4 }, adapter, stream, ds, { kind: 'collect' }, ac.signal).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PassFailed);
    expect((err as PassFailed).message).toBe('stopped before the pass finished');
    expect(planned).toEqual([4]);
    expect(calls().map((c) => c.domains[0])).toEqual(ds.slice(0, 4));
    for (const d of ds.slice(0, 4)) expect(store.domain(ref, d)?.finalEndSec, d).toBe(H('09:54'));
    for (const d of ds.slice(4)) expect(store.domain(ref, d), d).toBeUndefined();
  });
});

describe('chunks of point-heavy calls', () => {
  const chunks = (sink: MemorySink) => {
    const sizes: number[] = [];
    const write = sink.write.bind(sink);
    sink.write = async (parts) => (sizes.push(parts.length), write(parts));
    return sizes;
  };

  it('after a chunk, chunks hold about chunkLines lines (CHUNK_LINES by default), never more calls than the first, never fewer than run at once', async () => {
    expect(CHUNK_LINES).toBe(5000);
    const ds = names(50);
    // An hour of 1-minute data a call: 60 lines, so 17 calls make 1,000 lines.
    const a = setup(ds);
    const sizes = chunks(a.sink);
    await runPass(a.deps, { ...settings, concurrency: 2, chunkLines: 1000 }, a.adapter, a.stream, ds, { kind: 'collect' });
    expect(a.sink.batches.flat().length).toBe(50 * 60);
    expect(sizes).toEqual([32, 17, 1]);
    // 2 calls would make 100 lines, but 5 run at once.
    const b = setup(ds);
    const bSizes = chunks(b.sink);
    await runPass(b.deps, { ...settings, concurrency: 5, chunkLines: 100 }, b.adapter, b.stream, ds, { kind: 'collect' });
    expect(bSizes).toEqual([32, 5, 5, 5, 3]);
    // Light calls never make chunks larger than the first.
    const c = setup(ds);
    const cSizes = chunks(c.sink);
    await runPass(c.deps, { ...settings, concurrency: 2 }, c.adapter, c.stream, ds, { kind: 'collect' });
    expect(cSizes).toEqual([32, 18]);
  });
});

describe('the loaded state while a pass runs', () => {
  it('every finished domain leaves it once committed, one with a failed window too; the summary still counts what they owe', async () => {
    const ds = names(3);
    const { deps, adapter, stream, store, ref, clock, emu } = setup(ds);
    await runPass(deps, settings, adapter, stream, ds, { kind: 'collect' });
    clock.advance(30 * 60_000);
    store.loads.length = 0;
    emu.inject({ fault: 'non-json', domain: ds[1], count: settings.retry.maxAttempts });
    const err = await runPass(deps, settings, adapter, stream, ds, { kind: 'collect' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PassFailed);
    // Read once, as one slab; counted once: a finished domain's state still held at the end would count its owed window twice.
    expect(store.loads.map((l) => l.domains)).toEqual([ds]);
    expect((err as PassFailed).summary).toMatchObject({ owed: 1, finalEndSec: H('10:24') });
    expect(store.domain(ref, ds[1]!)!.owedWindows).toHaveLength(1);
  });
});

describe('a domain with calls in two chunks', () => {
  it('is finished only after its last call (an owed window fetched again in a later chunk): both calls count, the window is paid', async () => {
    const ds = names(40);
    const { deps, adapter, stream, store, ref, clock, emu, calls } = setup(ds);
    emu.inject({ fault: 'non-json', domain: ds[0], count: settings.retry.maxAttempts });
    await runPass(deps, settings, adapter, stream, ds, { kind: 'collect' }).catch(() => undefined);
    expect(store.domain(ref, ds[0]!)!.owedWindows).toHaveLength(1);
    clock.advance(30 * 60_000);
    const n0 = calls().length;
    // The main windows of the 40 domains come first (chunk 1: d00-d31), d00's owed window last (chunk 2).
    const s = await runPass(deps, settings, adapter, stream, ds, { kind: 'collect' });
    const mine = calls().slice(n0).filter((c) => c.domains.includes(ds[0]!));
    expect(mine.map((c) => c.params.StartTime)).toEqual(['2026-11-20T09:54:00Z', '2026-11-20T09:00:00Z']);
    expect(calls().slice(n0).findIndex((c) => c.params.StartTime === '2026-11-20T09:00:00Z')).toBe(40);
    expect(store.domain(ref, ds[0]!)!.owedWindows).toEqual([]);
    expect(store.domain(ref, ds[0]!)!.finalEndSec).toBe(H('10:24'));
    expect(s).toMatchObject({ owed: 0, gaps: 0, windows: 41 });
  });
});

describe('the process-wide budget of lines held', () => {
  it('a chunk is not fetched while the process holds the budget: it waits for the previous chunk\'s write', async () => {
    const ds = names(40);
    for (const budget of [undefined, new LineBudget(1)]) {
      const { deps, adapter, stream, sink, calls } = setup(ds);
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const callsAtWrite: number[] = [];
      const write = sink.write.bind(sink);
      sink.write = async (parts) => {
        callsAtWrite.push(calls().length);
        if (callsAtWrite.length === 1) {
          // Hold the first write while the pass could fetch its next chunk.
          await new Promise((r) => setTimeout(r, 20));
          callsAtWrite.push(calls().length);
          await gate;
        }
        return write(parts);
      };
      const run = runPass({ ...deps, ...(budget ? { lines: budget } : {}) }, settings, adapter, stream, ds, { kind: 'collect' });
      await new Promise((r) => setTimeout(r, 40));
      if (budget) expect(budget.held).toBeGreaterThan(0);
      open();
      await run;
      // Without a budget the second chunk (8 calls) is fetched while the first is written; with one, after.
      expect(callsAtWrite.slice(0, 2)).toEqual(budget ? [32, 32] : [32, 40]);
      if (budget) expect(budget.held).toBe(0);
    }
  });

  it('a pass\'s first chunk counts as a full chunk until its answers arrive: two passes starting together fetch one first chunk, not two', async () => {
    const budget = new LineBudget(1);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const passes = [setup(names(40)), setup(names(40))];
    for (const p of passes) {
      const write = p.sink.write.bind(p.sink);
      p.sink.write = async (parts) => (await gate, write(parts));
    }
    const runs = passes.map((p) => runPass({ ...p.deps, lines: budget }, { ...settings, chunkLines: 50 }, p.adapter, p.stream, names(40), { kind: 'collect' }));
    await new Promise((r) => setTimeout(r, 40));
    expect(passes.map((p) => p.calls().length).sort((a, b) => a - b)).toEqual([0, 32]);
    open();
    await Promise.all(runs);
    expect(passes.map((p) => p.calls().length)).toEqual([40, 40]);
    expect(budget.held).toBe(0);
  });

  it('a pass whose write fails gives back everything it held, the estimate of a chunk it fetched included', async () => {
    const ds = names(40);
    const budget = new LineBudget(1_000_000);
    const { deps, adapter, stream, sink } = setup(ds);
    let writes = 0;
    const write = sink.write.bind(sink);
    sink.write = async (parts) => {
      if (++writes === 1) {
        // The second chunk is fetched meanwhile, then finds the sink failed and does not write.
        await new Promise((r) => setTimeout(r, 30));
        throw new CollectorError('sink_server', 'InfluxDB answered 500');
      }
      return write(parts);
    };
    const err = await runPass({ ...deps, lines: budget }, settings, adapter, stream, ds, { kind: 'collect' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PassFailed);
    expect(writes).toBe(1);
    expect(budget.held).toBe(0);
  });
});
